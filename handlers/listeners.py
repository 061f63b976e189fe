"""Bolt listeners: thin glue from Slack payloads to the domain and back."""
from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.followups import Followups
from bot.lifecycle import Lifecycle
from bot.outbox import Outbox
from bot.records import Outcome, Question
from bot.transfer import Transfers
from handlers import blocks, replies
from handlers import escalation_blocks as esc
from handlers.action_ids import ActionId, CallbackId
from handlers.intake import Intake, ask, register_intake
from handlers.parse import (has_words, pick_of, question_from_dm, question_from_help_channel, question_from_mention,
                            request_id_of)

log = logging.getLogger(__name__)
EMPTY_MENTION_REPLY = ("Hi! Tell me what you need help with, e.g. "
                       "“@helploop my VPN password expired”, and I'll answer or find the right person.")


def register(app: App, lifecycle: Lifecycle, followups: Followups, transfers: Transfers, intake: Intake,
             outbox: Outbox) -> None:
    """Attach every listener to the Bolt app."""
    _register_questions(app, lifecycle, intake, outbox)
    _register_buttons(app, lifecycle, followups, outbox)
    _register_transfer(app, transfers, outbox)


def _register_questions(app: App, lifecycle: Lifecycle, intake: Intake, outbox: Outbox) -> None:
    def take(question: Question) -> None:
        if has_words(question.text):
            ask(lifecycle, question)
        else:  # an empty mention, or only emoji: nothing to answer, so say how to ask
            thread = None if question.is_direct else question.thread_ts or question.message_ts
            replies.post(outbox, question.channel_id, EMPTY_MENTION_REPLY, thread)

    @app.event("message")
    def on_message(event: dict[str, Any]) -> None:
        question = question_from_dm(event) or question_from_help_channel(event, intake.help_channels)
        if question:
            take(question)

    register_intake(app, lifecycle, intake, outbox)

    @app.event("app_mention")
    def on_mention(event: dict[str, Any]) -> None:
        question = question_from_mention(event)
        if question is not None:
            take(question)


def _register_buttons(app: App, lifecycle: Lifecycle, followups: Followups, outbox: Outbox) -> None:
    actions: dict[ActionId, Callable[[int, str], Outcome]] = {
        ActionId.SOLVED: lifecycle.solved,
        ActionId.NEED_HELP: lifecycle.still_need_help,
        ActionId.NONE_OF_THESE: lifecycle.still_need_help,
        ActionId.CLAIM: lifecycle.claim,
        ActionId.UNCLAIM: lifecycle.unclaim,
        ActionId.RESOLVE: lifecycle.resolve,
        ActionId.FIXED_YES: lambda request_id, user: followups.verdict(request_id, user, True),
        ActionId.FIXED_NO: lambda request_id, user: followups.verdict(request_id, user, False),
    }
    for action_id, run in actions.items():
        app.action(str(action_id))(_button(run, outbox))

    app.action(re.compile(rf"^{re.escape(str(ActionId.PICK))}\.\d+$"))(
        _button(lambda picked, user: lifecycle.pick(picked[0], user, picked[1]), outbox, parse=pick_of))


def _register_transfer(app: App, transfers: Transfers, outbox: Outbox) -> None:
    @app.action(str(ActionId.TRANSFER))
    def on_transfer_button(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        request_id, user = request_id_of(body), (body.get("user") or {}).get("id")
        if request_id is None or not user:
            return
        outcome, departments = transfers.choices(request_id, user)
        if not outcome.ok:
            replies.respond(outbox, body.get("response_url"), blocks.refusal_text(outcome.refusal, outcome.request))
            return
        # Opening a modal is not a message: it is only possible within seconds of the click, so it is
        # made here rather than queued (a failure leaves the request as it was; the button still works).
        client.views_open(trigger_id=body["trigger_id"], view=esc.transfer_modal(outcome.request, departments))

    @app.view(str(CallbackId.TRANSFER))
    def on_transfer_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        ack()  # an incomplete form was already answered with errors when it arrived (handlers.edge)
        request_id, department, note = esc.transfer_submission(view)
        if request_id is None or not department:
            return
        user = (body.get("user") or {}).get("id", "")
        outcome = transfers.transfer(request_id, user, department, note)
        if not outcome.ok and outcome.refusal and outcome.request and outcome.request.triage_channel:
            replies.ephemeral(outbox, outcome.request.triage_channel, user,
                              blocks.refusal_text(outcome.refusal, outcome.request))


def _button(run: Callable[[Any, str], Outcome], outbox: Outbox,
            parse: Callable[[dict[str, Any]], Any] = request_id_of) -> Callable[..., None]:
    def listener(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        target, user = parse(body), (body.get("user") or {}).get("id")
        if target is None or not user:
            log.warning("button click without a request id or user: %s", body.get("actions"))
            return
        outcome = run(target, user)
        if not outcome.ok and outcome.refusal:
            replies.respond(outbox, body.get("response_url"), blocks.refusal_text(outcome.refusal, outcome.request))
    return listener
