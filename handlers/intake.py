"""More ways to ask: a help channel, an emoji on any message, a message shortcut, the slash command."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.lifecycle import Lifecycle
from bot.records import Question
from handlers.action_ids import CallbackId
from handlers.parse import question_from_message

log = logging.getLogger(__name__)
SORRY = ("Sorry, I couldn't take your request just now because of a problem on my side. "
         "Please send it again in a minute; if it keeps happening, tell the IT team.")


@dataclass(frozen=True)
class Intake:
    """Where employees can ask besides DMs and @mentions."""

    help_channels: frozenset[str] = frozenset()
    reactions: frozenset[str] = frozenset({"sos"})


def register_intake(app: App, lifecycle: Lifecycle, intake: Intake) -> None:
    """Attach the emoji and message-shortcut listeners (help channels are in the message listener)."""

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
            ask(lifecycle, question, client)

    @app.shortcut(str(CallbackId.ASK))
    def on_ask_shortcut(ack: Ack, shortcut: dict[str, Any], client: WebClient) -> None:
        ack()
        channel = (shortcut.get("channel") or {}).get("id", "")
        invoker = (shortcut.get("user") or {}).get("id", "")
        message = shortcut.get("message") or {}
        question = question_from_message(channel, message, message.get("user") or invoker, "shortcut")
        if question is None:
            client.chat_postEphemeral(channel=channel, user=invoker,
                                      text="That message has no text I can turn into a request.")
            return
        ask(lifecycle, question, client)


def ask(lifecycle: Lifecycle, question: Question, client: WebClient) -> None:
    """Hand a question to the domain; if that fails (database down), say so instead of going quiet."""
    try:
        lifecycle.ask(question)
    except Exception:  # Slack was already acked and will not resend: the employee must know
        log.exception("could not take request %s/%s", question.channel_id, question.message_ts)
        try:
            client.chat_postMessage(channel=question.channel_id, text=SORRY,
                                    thread_ts=None if question.is_direct else (question.thread_ts or question.message_ts))
        except Exception:
            log.exception("could not tell %s either", question.user_id)


def ask_in_dm(client: WebClient, lifecycle: Lifecycle, user: str, text: str, source: str) -> bool:
    """A question without a message of its own (slash command): quote it in the DM and answer there."""
    try:
        channel = client.conversations_open(users=user)["channel"]["id"]
        posted = client.chat_postMessage(channel=channel, text=f"You asked: “{text}”")
    except SlackApiError as error:
        log.error("could not open a DM with %s: %s", user, error.response.get("error"))
        return False
    ask(lifecycle, Question(channel_id=channel, user_id=user, message_ts=posted["ts"], thread_ts=None,
                            text=text, source=source, is_direct=True), client)
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
