"""Turn Slack event payloads into domain questions (or None for what the bot must ignore)."""
from __future__ import annotations

import re
from typing import Any

from bot.records import Question, Said
from handlers.escape import clean

MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
_MARKUP = re.compile(r"<([^<>]*)>")
_WORDISH = re.compile(r"\w")


def plain(raw: str) -> str:
    """What the person typed, from Slack's message markup: mentions of people dropped, channels as #name,
    links as their label (and address), `&lt;`-style entities decoded, control characters removed."""
    return clean(_MARKUP.sub(_plain_markup, MENTION.sub(" ", raw or ""))
                 .replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))


def _plain_markup(match: re.Match[str]) -> str:
    inner = match.group(1)
    target, _, label = inner.partition("|")
    if target.startswith("#"):
        return f"#{label or target[1:]}"
    if target.startswith("!"):
        return f"@{label or target[1:].split('^')[0]}"
    return f"{label} ({target})" if label and label != target else target


def _one_line(raw: str) -> str:
    return " ".join(plain(raw).split())


def has_words(text: str) -> bool:
    """False for text with no letters or digits at all (emoji only, punctuation): nothing to answer."""
    return bool(_WORDISH.search(re.sub(r":[a-z0-9_+-]+:", " ", text)))


def strings(obj: Any) -> dict[str, str]:
    """The string-valued fields of a payload object: whatever shape arrives, parsers see only strings."""
    return {k: v for k, v in obj.items() if isinstance(v, str)} if isinstance(obj, dict) else {}


def dig(obj: Any, *keys: str) -> dict[str, Any]:
    """obj[k1][k2]… as a dict, or {} wherever the payload has some other shape."""
    for key in keys:
        obj = obj.get(key) if isinstance(obj, dict) else None
    return obj if isinstance(obj, dict) else {}


def question_from_dm(event: dict[str, Any]) -> Question | None:
    """A direct message to the bot; edits, bot messages, joins and thread replies are ignored."""
    event = strings(event)
    if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
        return None
    user, text, ts = event.get("user"), plain(event.get("text") or "").strip(), event.get("ts")
    thread_ts = event.get("thread_ts")
    if not user or not ts or not text or not event.get("channel") or (thread_ts and thread_ts != ts):
        return None  # a threaded reply is conversation about an existing request, not a new one
    return Question(channel_id=event["channel"], user_id=user, message_ts=ts, thread_ts=None,
                    text=text, source="dm", is_direct=True)


def question_from_mention(event: dict[str, Any]) -> Question | None:
    """An @mention in a channel; the question is the text without the mention."""
    event = strings(event)
    if event.get("subtype") or event.get("bot_id"):
        return None
    user, ts = event.get("user"), event.get("ts")
    if not user or not ts or not event.get("channel"):
        return None
    text = _one_line(event.get("text") or "")
    return Question(channel_id=event["channel"], user_id=user, message_ts=ts,
                    thread_ts=event.get("thread_ts"), text=text,
                    source="mention", is_direct=False)


def pick_of(body: dict[str, Any]) -> tuple[int, str] | None:
    """(request id, entry id) from a "Did you mean …?" button's value "<request>|<entry>"."""
    try:
        request_id, entry_id = str(body["actions"][0]["value"]).split("|", 1)
        number = database_id(request_id)
        return (number, entry_id) if entry_id and number is not None else None
    except (KeyError, IndexError, TypeError, ValueError):
        return None


def request_id_of(body: dict[str, Any]) -> int | None:
    """The request id carried in the clicked button's value (None unless a plausible database id)."""
    try:
        return database_id(body["actions"][0]["value"])
    except (KeyError, IndexError, TypeError):
        return None


MAX_ID = 2**31 - 1  # the id columns are 32-bit; a longer number is not one of ours


def database_id(value: Any) -> int | None:
    """A plausible request id from a button value or modal metadata (a string of at most 10 digits), else None."""
    text = str(value)
    if not (text.isascii() and text.isdigit()) or len(text) > 10 or int(text) > MAX_ID:
        return None
    return int(text)


def question_from_help_channel(event: dict[str, Any], help_channels: frozenset[str]) -> Question | None:
    """A top-level message in a help channel; thread replies there are conversation, not new requests."""
    event = strings(event)
    if event.get("channel") not in help_channels or event.get("channel_type") not in ("channel", "group"):
        return None
    if event.get("subtype") or event.get("bot_id"):
        return None
    user, ts, thread_ts = event.get("user"), event.get("ts"), event.get("thread_ts")
    text = _one_line(event.get("text") or "")
    if not user or not ts or not has_words(text) or (thread_ts and thread_ts != ts):
        return None
    return Question(channel_id=event["channel"], user_id=user, message_ts=ts, thread_ts=None, text=text,
                    source="channel", is_direct=False)


def question_from_message(channel: str, message: dict[str, Any], requester: str, source: str) -> Question | None:
    """A request made from an existing message (shortcut, emoji), answered in that message's thread."""
    message = strings(message)
    ts = message.get("ts")
    text = _one_line(message.get("text") or "")
    if not ts or not has_words(text) or message.get("bot_id"):
        return None
    thread_ts = message.get("thread_ts")
    return Question(channel_id=channel, user_id=requester, message_ts=ts,
                    thread_ts=thread_ts if thread_ts and thread_ts != ts else None, text=text,
                    source=source, is_direct=False)


RELAYED_SUBTYPES = (None, "file_share", "thread_broadcast")


def said_of(event: dict[str, Any]) -> Said | None:
    """A message a person wrote (text and/or files), or None for bots, joins and other system messages."""
    raw_files, event = event.get("files") if isinstance(event, dict) else None, strings(event)
    if event.get("subtype") not in RELAYED_SUBTYPES or event.get("bot_id"):
        return None
    user, ts, channel = event.get("user"), event.get("ts"), event.get("channel")
    text = plain(event.get("text") or "").strip()
    files = tuple((f.get("name") or f.get("title") or "file", f.get("permalink") or "")
                  for f in map(strings, raw_files if isinstance(raw_files, list) else []))
    if not user or not ts or not channel or not (text or files):
        return None
    return Said(channel_id=channel, ts=ts, thread_ts=event.get("thread_ts"), user_id=user, text=text, files=files)


def is_thread_reply(said: Said) -> bool:
    """True for a reply inside a thread (not the thread's first message)."""
    return bool(said.thread_ts) and said.thread_ts != said.ts


def edit_of(event: dict[str, Any]) -> tuple[str, str, str] | None:
    """(channel, ts, new text) of a person's edited message."""
    message, event = strings(event.get("message") if isinstance(event, dict) else None), strings(event)
    if event.get("subtype") != "message_changed" or message.get("bot_id") or not message.get("ts"):
        return None
    return str(event.get("channel") or ""), str(message["ts"]), plain(message.get("text") or "").strip()


def deletion_of(event: dict[str, Any]) -> tuple[str, str] | None:
    """(channel, ts) of a deleted message."""
    event = strings(event)
    if event.get("subtype") != "message_deleted" or not event.get("deleted_ts"):
        return None
    return str(event.get("channel") or ""), str(event["deleted_ts"])


def question_of(said: Said) -> Question:
    """A top-level DM as a question."""
    return Question(channel_id=said.channel_id, user_id=said.user_id, message_ts=said.ts, thread_ts=None,
                    text=said.text, source="dm", is_direct=True)
