"""Bolt listeners for buttons and forms: thin glue from Slack payloads to the domain and back."""
from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.records import Outcome, Said
from handlers import blocks, forms, replies
from handlers import escalation_blocks as esc
from handlers.action_ids import ActionId, CallbackId
from handlers.conversation_listeners import register_messages
from handlers.feedback_listeners import register_feedback
from handlers.home_listeners import register_home
from handlers.i18n import tr
from handlers.intake import Intake, ask, register_intake
from handlers.parse import database_id, pick_of, question_of, request_id_of, strings
from handlers.people import language_for
from handlers.services import Services

log = logging.getLogger(__name__)


def register(app: App, services: Services, intake: Intake) -> None:
    """Attach every listener to the Bolt app."""
    register_messages(app, services, intake)
    register_intake(app, services, intake)
    _register_buttons(app, services)
    _register_held(app, services)
    _register_resolve(app, services)
    _register_transfer(app, services)
    register_feedback(app, services)
    register_home(app, services)


def _register_buttons(app: App, services: Services) -> None:
    lifecycle, followups = services.lifecycle, services.followups
    actions: dict[ActionId, Callable[[int, str], Outcome]] = {
        ActionId.SOLVED: lifecycle.solved,
        ActionId.NEED_HELP: lifecycle.still_need_help,
        ActionId.NONE_OF_THESE: lifecycle.still_need_help,
        ActionId.CLAIM: lifecycle.claim,
        ActionId.UNCLAIM: lifecycle.unclaim,
        ActionId.FIXED_YES: lambda request_id, user: followups.verdict(request_id, user, True),
        ActionId.FIXED_NO: lambda request_id, user: followups.verdict(request_id, user, False),
        ActionId.REOPEN: followups.revive,
    }
    for action_id, run in actions.items():
        app.action(str(action_id))(_button(run, services))
    app.action(re.compile(rf"^{re.escape(str(ActionId.PICK))}\.\d+$"))(
        _button(lambda picked, user: lifecycle.pick(picked[0], user, picked[1]), services, parse=pick_of))
    app.action(re.compile(rf"^{re.escape(str(ActionId.RELATED))}\.\d+$"))(
        _button(lambda shown, user: lifecycle.show_related(shown[0], user, shown[1]), services, parse=pick_of))


def _register_held(app: App, services: Services) -> None:
    """ "Is this about your open request?" answered: add the held DM to it, or ask it as a new question."""

    @app.action(str(ActionId.ADD_TO_REQUEST))
    def on_add(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        held_id, user = _held_id(body), _user(body)
        outcome = services.conversation.add_held(held_id, user) if held_id and user else None
        if outcome is not None and outcome.ok and outcome.request:
            replies.replace(services.outbox, body.get("response_url"),
                            tr(outcome.request.language, "Added to your request #{id}: the team will see it.",
                               id=outcome.request.id))

    @app.action(str(ActionId.NEW_QUESTION))
    def on_new(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        held_id, user = _held_id(body), _user(body)
        held = services.conversation.release_held(held_id, user) if held_id and user else None
        if held is None:
            return
        replies.replace(services.outbox, body.get("response_url"),
                        tr(language_for(services, user, held.text), "OK, I'll take that as a new question."))
        ask(services, question_of(Said(held.channel_id, held.ts, None, held.user_id, held.text)))


def _register_resolve(app: App, services: Services) -> None:
    """Resolve opens a short form (what was done, how to fix it yourself); submitting it resolves."""

    @app.action(str(ActionId.RESOLVE))
    def on_resolve(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        request_id, user = request_id_of(body), _user(body)
        if request_id is None or not user:
            return
        outcome = services.lifecycle.may_resolve(request_id, user)
        if not outcome.ok:
            replies.respond(services.outbox, body.get("response_url"),
                            blocks.refusal_text(outcome.refusal, outcome.request, user))
            return
        # A modal opens within seconds of the click or not at all, so it is opened here, not queued.
        client.views_open(trigger_id=body["trigger_id"], view=forms.resolve_modal(outcome.request))

    @app.view(str(CallbackId.RESOLVE))
    def on_resolve_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        ack()
        request_id, done, self_help = forms.resolve_submission(view)
        user = _user(body)
        if request_id is None or not user:
            return
        outcome = services.lifecycle.resolve(request_id, user, done, self_help,
                                             save_answer=forms.save_as_answer(view))
        if not outcome.ok and outcome.refusal and outcome.request and outcome.request.triage_channel:
            replies.ephemeral(services.outbox, outcome.request.triage_channel, user,
                              blocks.refusal_text(outcome.refusal, outcome.request, user))


def _register_transfer(app: App, services: Services) -> None:
    transfers, outbox = services.transfers, services.outbox

    @app.action(str(ActionId.TRANSFER))
    def on_transfer_button(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        request_id, user = request_id_of(body), _user(body)
        if request_id is None or not user:
            return
        outcome, departments = transfers.choices(request_id, user)
        if not outcome.ok:
            replies.respond(outbox, body.get("response_url"),
                            blocks.refusal_text(outcome.refusal, outcome.request, user))
            return
        client.views_open(trigger_id=body["trigger_id"], view=esc.transfer_modal(outcome.request, departments))

    @app.view(str(CallbackId.TRANSFER))
    def on_transfer_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        ack()  # an incomplete form was already answered with errors when it arrived (handlers.edge)
        request_id, department, note = esc.transfer_submission(view)
        if request_id is None or not department:
            return
        user = _user(body)
        outcome = transfers.transfer(request_id, user, department, note)
        if not outcome.ok and outcome.refusal and outcome.request and outcome.request.triage_channel:
            replies.ephemeral(outbox, outcome.request.triage_channel, user,
                              blocks.refusal_text(outcome.refusal, outcome.request, user))


def _button(run: Callable[[Any, str], Outcome], services: Services,
            parse: Callable[[dict[str, Any]], Any] = request_id_of) -> Callable[..., None]:
    def listener(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        target, user = parse(body), _user(body)
        if target is None or not user:
            log.warning("button click without a request id or user")
            return
        outcome = run(target, user)
        if not outcome.ok and outcome.refusal:
            replies.respond(services.outbox, body.get("response_url"),
                            blocks.refusal_text(outcome.refusal, outcome.request, user))
    return listener


def _user(body: dict[str, Any]) -> str:
    return strings(body.get("user")).get("id", "")


def _held_id(body: dict[str, Any]) -> int | None:
    try:
        return database_id(body["actions"][0]["value"])
    except (KeyError, IndexError, TypeError):
        return None
