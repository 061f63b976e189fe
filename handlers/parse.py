"""Turn Slack event payloads into domain questions (or None for what the bot must ignore)."""
from __future__ import annotations

import re
from typing import Any

from bot.records import Question

MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")


def question_from_dm(event: dict[str, Any]) -> Question | None:
    """A direct message to the bot; edits, bot messages, joins and thread replies are ignored."""
    if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
        return None
    user, text, ts = event.get("user"), (event.get("text") or "").strip(), event.get("ts")
    thread_ts = event.get("thread_ts")
    if not user or not ts or not text or (thread_ts and thread_ts != ts):
        return None  # a threaded reply is conversation about an existing request, not a new one
    return Question(channel_id=event["channel"], user_id=user, message_ts=ts, thread_ts=None,
                    text=text, source="dm", is_direct=True)


def question_from_mention(event: dict[str, Any]) -> Question | None:
    """An @mention in a channel; the question is the text without the mention."""
    if event.get("subtype") or event.get("bot_id"):
        return None
    user, ts = event.get("user"), event.get("ts")
    if not user or not ts or not event.get("channel"):
        return None
    text = MENTION.sub(" ", event.get("text") or "")
    return Question(channel_id=event["channel"], user_id=user, message_ts=ts,
                    thread_ts=event.get("thread_ts"), text=" ".join(text.split()),
                    source="mention", is_direct=False)


def request_id_of(body: dict[str, Any]) -> int | None:
    """The request id carried in the clicked button's value."""
    try:
        return int(body["actions"][0]["value"])
    except (KeyError, IndexError, TypeError, ValueError):
        return None
