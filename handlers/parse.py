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
    if not user or not ts or not text or not event.get("channel") or (thread_ts and thread_ts != ts):
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


def pick_of(body: dict[str, Any]) -> tuple[int, str] | None:
    """(request id, entry id) from a "Did you mean …?" button's value "<request>|<entry>"."""
    try:
        request_id, entry_id = str(body["actions"][0]["value"]).split("|", 1)
        return (int(request_id), entry_id) if entry_id else None
    except (KeyError, IndexError, TypeError, ValueError):
        return None


def request_id_of(body: dict[str, Any]) -> int | None:
    """The request id carried in the clicked button's value."""
    try:
        return int(body["actions"][0]["value"])
    except (KeyError, IndexError, TypeError, ValueError):
        return None


def question_from_help_channel(event: dict[str, Any], help_channels: frozenset[str]) -> Question | None:
    """A top-level message in a help channel; thread replies there are conversation, not new requests."""
    if event.get("channel") not in help_channels or event.get("channel_type") not in ("channel", "group"):
        return None
    if event.get("subtype") or event.get("bot_id"):
        return None
    user, ts, thread_ts = event.get("user"), event.get("ts"), event.get("thread_ts")
    text = " ".join(MENTION.sub(" ", event.get("text") or "").split())
    if not user or not ts or not text or (thread_ts and thread_ts != ts):
        return None
    return Question(channel_id=event["channel"], user_id=user, message_ts=ts, thread_ts=None, text=text,
                    source="channel", is_direct=False)


def question_from_message(channel: str, message: dict[str, Any], requester: str, source: str) -> Question | None:
    """A request made from an existing message (shortcut, emoji), answered in that message's thread."""
    ts = message.get("ts")
    text = " ".join(MENTION.sub(" ", message.get("text") or "").split())
    if not ts or not text or message.get("bot_id"):
        return None
    thread_ts = message.get("thread_ts")
    return Question(channel_id=channel, user_id=requester, message_ts=ts,
                    thread_ts=thread_ts if thread_ts and thread_ts != ts else None, text=text,
                    source=source, is_direct=False)
