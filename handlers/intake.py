"""More ways to ask: a help channel, an emoji on any message, a message shortcut, the slash command."""
from __future__ import annotations

import dataclasses
import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.records import Question
from handlers import replies
from handlers.action_ids import CallbackId
from handlers.i18n import tr
from handlers.parse import question_from_message
from handlers.people import language_for
from handlers.services import Services

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Intake:
    """Where employees can ask besides DMs and @mentions."""

    help_channels: frozenset[str] = frozenset()
    reactions: frozenset[str] = frozenset({"sos"})


def register_intake(app: App, services: Services, intake: Intake) -> None:
    """Attach the emoji and message-shortcut listeners (help channels are in the message listener)."""
    outbox = services.outbox

    @app.event("reaction_added")
    def on_reaction(event: dict[str, Any], client: WebClient) -> None:
        item = event.get("item") or {}
        if event.get("reaction") not in intake.reactions or item.get("type") != "message":
            return
        message = _fetch_message(client, item.get("channel", ""), item.get("ts", ""))
        if message is None:
            return
        requester = message.get("user") or event.get("item_user") or event.get("user", "")
        question = question_from_message(item["channel"], message, requester, "emoji")
        if question:
            ask(services, question)

    @app.shortcut(str(CallbackId.ASK))
    def on_ask_shortcut(ack: Ack, shortcut: dict[str, Any], client: WebClient) -> None:
        ack()
        channel = (shortcut.get("channel") or {}).get("id", "")
        invoker = (shortcut.get("user") or {}).get("id", "")
        message = shortcut.get("message") or {}
        question = question_from_message(channel, message, message.get("user") or invoker, "shortcut")
        if question is None:
            replies.ephemeral(outbox, channel, invoker, tr(language_for(services, invoker),
                                                           "That message has no text I can turn into a request."))
            return
        ask(services, question)


def ask(services: Services, question: Question) -> None:
    """Hand a question to the domain in the asker's language (users.info, cached: a read, so not through the
    outbox); a failure propagates: the inbox tries again, then apologises."""
    if question.language is None:
        language = language_for(services, question.user_id, question.text, remember=not question.anonymous)
        question = dataclasses.replace(question, language=language)
    services.lifecycle.ask(question)


def ask_in_dm(client: WebClient, services: Services, user: str, text: str, source: str, trigger_id: str,
              anonymous: bool = False, department: str | None = None, urgent: bool = False,
              language: str | None = None) -> bool:
    """A question without a message of its own (slash command): answered in the DM, where the bot quotes it."""
    try:
        channel = client.conversations_open(users=user)["channel"]["id"]
    except SlackApiError as error:
        log.error("could not open a DM with %s: %s", user, error.response.get("error"))
        return False
    # The command's trigger id is unique per invocation, so a reprocessed command makes one request.
    root = "cmd-" + hashlib.sha256(trigger_id.encode()).hexdigest()[:24]
    ask(services, Question(channel_id=channel, user_id=user, message_ts=root, thread_ts=None, text=text,
                            source=source, is_direct=True, quote=True, anonymous=anonymous,
                            department=department, urgent=urgent, language=language))
    return True


def _fetch_message(client: WebClient, channel: str, ts: str) -> dict[str, Any] | None:
    try:
        messages = client.conversations_history(channel=channel, latest=ts, inclusive=True, limit=1)["messages"]
    except SlackApiError as error:
        log.warning("cannot read %s/%s for an emoji request: %s", channel, ts, error.response.get("error"))
        return None
    found = next((m for m in messages if m.get("ts") == ts), None)
    if found is None:
        log.info("emoji on %s/%s: not a top-level message the bot can read; ignored", channel, ts)
    return found
