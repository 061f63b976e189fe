"""Bolt listeners: thin glue from Slack payloads to the domain and back."""
from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond, Say
from slack_sdk import WebClient

from bot.lifecycle import Lifecycle
from bot.records import Outcome
from bot.transfer import Transfers
from handlers import blocks
from handlers import escalation_blocks as esc
from handlers.action_ids import ActionId, CallbackId
from handlers.intake import Intake, ask, register_intake
from handlers.parse import (pick_of, question_from_dm, question_from_help_channel, question_from_mention,
                            request_id_of)

log = logging.getLogger(__name__)
EMPTY_MENTION_REPLY = ("Hi! Tell me what you need help with, e.g. "
                       "“@helploop my VPN password expired”, and I'll answer or find the right person.")


def register(app: App, lifecycle: Lifecycle, transfers: Transfers, intake: Intake) -> None:
    """Attach every listener to the Bolt app."""

    @app.event("message")
    def on_message(event: dict[str, Any], client: WebClient) -> None:
        question = question_from_dm(event) or question_from_help_channel(event, intake.help_channels)
        if question:
            ask(lifecycle, question, client)

    register_intake(app, lifecycle, intake)

    @app.event("app_mention")
    def on_mention(event: dict[str, Any], say: Say, client: WebClient) -> None:
        question = question_from_mention(event)
        if question is None:
            return
        if not question.text:
            say(text=EMPTY_MENTION_REPLY, thread_ts=question.thread_ts or question.message_ts)
            return
        ask(lifecycle, question, client)

    actions: dict[ActionId, Callable[[int, str], Outcome]] = {
        ActionId.SOLVED: lifecycle.solved,
        ActionId.NEED_HELP: lifecycle.still_need_help,
        ActionId.NONE_OF_THESE: lifecycle.still_need_help,
        ActionId.CLAIM: lifecycle.claim,
        ActionId.UNCLAIM: lifecycle.unclaim,
        ActionId.RESOLVE: lifecycle.resolve,
        ActionId.FIXED_YES: lambda request_id, user: lifecycle.followup_verdict(request_id, user, True),
        ActionId.FIXED_NO: lambda request_id, user: lifecycle.followup_verdict(request_id, user, False),
    }
    for action_id, run in actions.items():
        app.action(str(action_id))(_button(run))

    app.action(re.compile(rf"^{re.escape(str(ActionId.PICK))}\.\d+$"))(
        _button(lambda picked, user: lifecycle.pick(picked[0], user, picked[1]), parse=pick_of))

    @app.action(str(ActionId.TRANSFER))
    def on_transfer_button(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        request_id, user = request_id_of(body), (body.get("user") or {}).get("id")
        if request_id is None or not user:
            return
        outcome, departments = transfers.choices(request_id, user)
        if not outcome.ok:
            respond(text=blocks.refusal_text(outcome.refusal, outcome.request), response_type="ephemeral",
                    replace_original=False)
            return
        client.views_open(trigger_id=body["trigger_id"], view=esc.transfer_modal(outcome.request, departments))

    @app.view(str(CallbackId.TRANSFER))
    def on_transfer_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        request_id, department, note = esc.transfer_submission(view)
        if request_id is None or not department:
            ack(response_action="errors", errors={"department": "Please choose a department."})
            return
        ack()
        user = (body.get("user") or {}).get("id", "")
        outcome = transfers.transfer(request_id, user, department, note)
        if not outcome.ok and outcome.refusal and outcome.request and outcome.request.triage_channel:
            client.chat_postEphemeral(channel=outcome.request.triage_channel, user=user,
                                      text=blocks.refusal_text(outcome.refusal, outcome.request))


def _button(run: Callable[[Any, str], Outcome],
            parse: Callable[[dict[str, Any]], Any] = request_id_of) -> Callable[..., None]:
    def listener(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()  # first, so Slack gets its answer within 3 seconds whatever the Web API does
        target, user = parse(body), (body.get("user") or {}).get("id")
        if target is None or not user:
            log.warning("button click without a request id or user: %s", body.get("actions"))
            return
        outcome = run(target, user)
        if not outcome.ok and outcome.refusal:
            respond(text=blocks.refusal_text(outcome.refusal, outcome.request),
                    response_type="ephemeral", replace_original=False)
    return listener
