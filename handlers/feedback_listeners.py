"""Bolt listeners for feedback: rating buttons, the comment form, the re-check, pulse answers, the feedback form."""
from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.feedback import Feedback
from bot.records import Outcome
from handlers import blocks, replies
from handlers import feedback_blocks as fb
from handlers.action_ids import ActionId, CallbackId
from handlers.feedback_forms import comment_submission, feedback_submission, score_of, submission_key
from handlers.i18n import view_language
from handlers.parse import request_id_of, strings
from handlers.people import known_language
from handlers.services import Services

log = logging.getLogger(__name__)


def register_feedback(app: App, services: Services) -> None:
    """Attach the feedback listeners to the Bolt app."""
    surveys, followups = services.followups.surveys, services.followups

    def refuse(body: dict[str, Any], outcome: Outcome) -> None:
        if not outcome.ok and outcome.refusal:
            replies.respond(services.outbox, body.get("response_url"),
                            blocks.refusal_text(outcome.refusal, outcome.request))

    @app.action(re.compile(rf"^{re.escape(str(ActionId.RATE))}\.\d$"))
    def on_rate(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        scored, user = score_of(body), _user(body)
        if scored and user:
            refuse(body, surveys.rate(scored[0], user, scored[1]))

    simple: dict[ActionId, Callable[[int, str], Outcome]] = {
        ActionId.STILL_FIXED: surveys.still_fixed, ActionId.NOT_FIXED: followups.recheck_failed}
    for action_id, run in simple.items():
        app.action(str(action_id))(_button(run, refuse))
    _register_comment(app, services, refuse)
    _register_pulse(app, services)
    _register_form(app, services)


def _register_comment(app: App, services: Services, refuse: Callable[[dict[str, Any], Outcome], None]) -> None:
    surveys = services.followups.surveys

    @app.action(str(ActionId.COMMENT))
    def on_comment_button(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        request_id, user = request_id_of(body), _user(body)
        if request_id is None or not user:
            return
        outcome = surveys.may_answer(request_id, user)
        if not outcome.ok:
            refuse(body, outcome)
            return
        # A modal opens within seconds of the click or not at all, so it is opened here, not queued.
        client.views_open(trigger_id=body["trigger_id"], view=fb.comment_modal(outcome.request))

    @app.view(str(CallbackId.COMMENT))
    def on_comment(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        ack()
        request_id, text = comment_submission(view)
        user = _user(body)
        if request_id is not None and text and user:
            surveys.comment(request_id, user, text)


def _register_pulse(app: App, services: Services) -> None:
    @app.action(re.compile(rf"^{re.escape(str(ActionId.PULSE))}\.\d$"))
    def on_pulse(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        scored, user = score_of(body), _user(body)
        if scored is None or not user or services.pulse is None:
            return
        department = services.pulse.answer(scored[0], user, scored[1])
        if department is not None:
            replies.replace(services.outbox, body.get("response_url"),
                            fb.pulse_recorded(department, scored[1], known_language(services, user)))


def _register_form(app: App, services: Services) -> None:
    @app.view(str(CallbackId.FEEDBACK))
    def on_feedback(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        ack()  # the form was already answered with a thank-you when it was stored (handlers.edge)
        department, text, anonymous = feedback_submission(view)
        if services.feedback is None or not department or not text:
            return
        if anonymous:  # the edge stored this submission without its author; nothing here looks for one
            services.feedback.submit(Feedback(department, text))
            return
        user = _user(body)
        channel = _dm_channel(client, user)
        if user and channel:
            services.feedback.submit(Feedback(department, text, user, channel, submission_key(body),
                                              view_language(view)))


def open_feedback_form(client: WebClient, services: Services, trigger_id: str, rest: str, user: str = "") -> None:
    """/helploop feedback [department | words]: open the form (a modal opens at once or not at all)."""
    departments = [(d.id, d.name) for d in services.kb().departments.values()]
    chosen = rest.lower() if rest.lower() in {d for d, _ in departments} else None
    # The cached language only: the form may be sent anonymously, so nobody is looked up for it.
    view = fb.feedback_modal(departments, chosen, None if chosen else rest, known_language(services, user))
    client.views_open(trigger_id=trigger_id, view=view)


def _dm_channel(client: WebClient, user: str) -> str | None:
    try:
        return client.conversations_open(users=user)["channel"]["id"]
    except SlackApiError as error:
        log.error("could not open a DM for named feedback: %s", error.response.get("error"))
        return None


def _button(run: Callable[[int, str], Outcome], refuse: Callable[[dict[str, Any], Outcome], None]
            ) -> Callable[..., None]:
    def listener(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        request_id, user = request_id_of(body), _user(body)
        if request_id is not None and user:
            refuse(body, run(request_id, user))
    return listener


def _user(body: dict[str, Any]) -> str:
    return strings(body.get("user")).get("id", "")
