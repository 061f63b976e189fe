"""Messages people write: new questions, replies in a request's threads, edits and deletions."""
from __future__ import annotations

import dataclasses
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.conversation import NewDm
from bot.records import Question, Said
from handlers import replies
from handlers.i18n import N_, tr
from handlers.intake import Intake, ask
from handlers.people import language_for
from handlers.parse import (deletion_of, edit_of, has_words, is_thread_reply, question_from_help_channel,
                            question_from_mention, question_of, said_of)
from handlers.services import Services

EMPTY_MENTION_REPLY = N_("Hi! Tell me what you need help with, e.g. "
                         "“@helploop my VPN password expired”, and I'll answer or find the right person.")


def register_messages(app: App, services: Services, intake: Intake) -> None:
    """Attach the message and @mention listeners."""
    router = MessageRouter(services, intake)
    app.event("message")(router.on_message)

    @app.event("app_mention")
    def on_mention(event: dict[str, Any], client: WebClient) -> None:
        question = question_from_mention(event)
        if question is not None:
            router.take(question, client)


class MessageRouter:
    """Decides what a message is: an edit, a reply in a request's thread, part of an open request, a question."""

    def __init__(self, services: Services, intake: Intake) -> None:
        self.services, self.intake = services, intake
        self.conversation = services.conversation
        self.dm_channels: dict[str, str] = {}  # a person's DM with the bot never changes: one look-up each

    def on_message(self, event: dict[str, Any], client: WebClient) -> None:
        """Bolt listener for every message event."""
        if (edit := edit_of(event)) is not None:
            self.conversation.edited(*edit)
        elif (gone := deletion_of(event)) is not None:
            self.conversation.deleted(*gone)
        elif (said := said_of(event)) is not None:
            self._said(said, event, client)

    def take(self, question: Question, client: WebClient) -> None:
        """Ask a question (or, with nothing to answer, say how to ask)."""
        if not has_words(question.text):  # an empty mention, or only emoji
            thread = None if question.is_direct else question.thread_ts or question.message_ts
            text = tr(language_for(self.services, question.user_id), EMPTY_MENTION_REPLY)
            replies.post(self.services.outbox, question.channel_id, text, thread)
            return
        if not question.is_direct:  # a private department's answer goes to the DM instead
            question = dataclasses.replace(question, dm_channel=_dm_channel(client, question.user_id,
                                                                             self.dm_channels))
        ask(self.services, question)

    def _said(self, said: Said, event: dict[str, Any], client: WebClient) -> None:
        direct = event.get("channel_type") == "im"
        if is_thread_reply(said):
            if direct or not self.conversation.from_staff(said):
                self.conversation.from_requester_thread(said)
        elif direct:
            if self.conversation.new_dm(said) is NewDm.NEW_REQUEST:
                self.take(question_of(said), client)
        elif (question := question_from_help_channel(event, self.intake.help_channels)) is not None:
            self.take(question, client)


def _dm_channel(client: WebClient, user: str, cache: dict[str, str]) -> str | None:
    if user not in cache:
        try:
            cache[user] = client.conversations_open(users=user)["channel"]["id"]
        except SlackApiError:
            return None  # without a DM the request simply stays in its thread
    return cache[user]
