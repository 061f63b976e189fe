"""Bolt listeners for the App Home, the request form and KB search: thin glue to the domain and back.

A modal opens within seconds of the click or not at all, so `views.open` is called here, like the
resolution and transfer forms; the Home itself is published through the outbox (bot.home).
"""
from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.search import search
from handlers import home_blocks, replies
from handlers.action_ids import ActionId, CallbackId
from handlers.blocks import refusal_text
from handlers.i18n import tr
from handlers.intake import ask_in_dm
from handlers.parse import request_id_of, strings
from handlers.people import known_language, language_for
from handlers.request_form import request_modal, request_submission
from handlers.services import Services

log = logging.getLogger(__name__)
SEARCH = "search"


def register_home(app: App, services: Services) -> None:
    """Attach the App Home, request form and search listeners."""
    if services.home is None:
        return
    _register_home_tab(app, services)
    _register_form(app, services)


def _register_home_tab(app: App, services: Services) -> None:
    home = services.home

    @app.event("app_home_opened")
    def on_home_opened(event: dict[str, Any]) -> None:
        user = strings(event).get("user")
        if user and strings(event).get("tab", "home") == "home":
            language_for(services, user)  # their Slack language, cached for the Home rendered from the outbox
            home.opened(user)

    @app.action(str(ActionId.SEARCH))
    def on_search(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        words = home_blocks.search_words(body)
        if words:
            lang = known_language(services, _user(body))
            _open(client, body, home_blocks.search_modal(words, search(services.kb(), words), lang))

    @app.action(str(ActionId.ADD_MESSAGE))
    def on_add_message(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        request_id = request_id_of(body)
        if request_id is not None:
            _open(client, body, home_blocks.add_message_modal(request_id, known_language(services, _user(body))))

    @app.view(str(CallbackId.ADD_MESSAGE))
    def on_message_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        ack()
        request_id, text = home_blocks.add_message_submission(view)
        user = _user(body)
        if request_id is None or not text or not user:
            return
        outcome = services.conversation.from_home(request_id, user, text, strings(view).get("id") or "form")
        if not outcome.ok and outcome.refusal:
            replies.post(services.outbox, user, refusal_text(outcome.refusal, outcome.request))


def _register_form(app: App, services: Services) -> None:
    @app.shortcut(str(CallbackId.ASK_FOR_HELP))
    def on_ask_for_help(ack: Ack, shortcut: dict[str, Any], client: WebClient) -> None:
        ack()
        open_request_form(client, services, shortcut)

    @app.action(str(ActionId.OPEN_FORM))
    def on_open_form(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        open_request_form(client, services, body)

    @app.view(str(CallbackId.REQUEST_FORM))
    def on_form_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        ack()
        form, user = request_submission(view), _user(body)
        if not form.text or not user:
            return
        # The submitted view's id is unique per opened form, so a redelivered submission makes one request.
        key = strings(view).get("id") or strings(body).get("trigger_id") or form.text
        ask_in_dm(client, services, user, form.text, "form", f"form:{key}", anonymous=form.anonymous,
                  department=form.department, urgent=form.urgent)


def home_command(client: WebClient, services: Services, command: dict[str, Any], text: str, lang: str = "en") -> bool:
    """`/helploop` alone opens the request form; `/helploop search <words>` searches the KB. True if handled."""
    words = text.split()
    if not words and services.home is not None:
        open_request_form(client, services, command, lang)
        return True
    if words and words[0].lower() == SEARCH:
        query = " ".join(words[1:])
        reply_text, blocks = home_blocks.search_blocks(query, search(services.kb(), query), lang) if query else \
            (tr(lang, "Type what you are looking for: `/helploop search vpn password`."), None)
        replies.respond(services.outbox, command.get("response_url"), reply_text, blocks)
        return True
    return False


def open_request_form(client: WebClient, services: Services, body: dict[str, Any], lang: str | None = None) -> None:
    """Open the request form for whoever clicked, used the shortcut or typed `/helploop` (in their language)."""
    lang = lang or known_language(services, _user(body) or strings(body).get("user_id", ""))
    _open(client, body, request_modal(services.kb().departments.values(), lang=lang))


def _open(client: WebClient, body: dict[str, Any], view: dict[str, Any]) -> None:
    trigger = strings(body).get("trigger_id")
    if not trigger:
        return
    try:
        client.views_open(trigger_id=trigger, view=view)
    except SlackApiError as error:  # an expired trigger: nothing to retry, the person clicks again
        log.warning("views.open failed: %s", error.response.get("error"))


def _user(body: dict[str, Any]) -> str:
    return strings(body.get("user")).get("id", "")
