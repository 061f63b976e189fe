"""The `/helploop` slash command: `oncall [department]` and `help`, answered ephemerally."""
from __future__ import annotations

import logging
from typing import Any

from datetime import datetime

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.backlog import Backlog
from handlers import oncall_blocks, replies
from handlers.i18n import N_, tr
from handlers.feedback_listeners import open_feedback_form
from handlers.home_listeners import home_command
from handlers.intake import ask_in_dm
from handlers.people import language_for
from handlers.parse import plain
from handlers.services import Services
from kb import KnowledgeBase

log = logging.getLogger(__name__)
COMMAND = "/helploop"


def register_commands(app: App, services: Services) -> None:
    """Attach the /helploop command listener to the Bolt app."""
    outbox = services.outbox

    @app.command(COMMAND)
    def on_helploop(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        ack()
        text = plain(command.get("text") or "").strip()
        response_url = command.get("response_url")
        user = command.get("user_id", "")
        verb, _, rest = text.partition(" ")
        if verb.lower() == "feedback":  # before anything looks the person up: the form may be sent anonymously
            open_feedback_form(client, services, command.get("trigger_id", ""), rest.strip(), user)
            return
        lang = language_for(services, user, text, remember=not anonymous_question(text)[0])  # anonymous: not kept
        if text.lower() == "status":  # an admin command: checked here, on the server, for every use
            answer = status_text(services.backlog(), lang) if user in services.admins else tr(lang, NOT_ADMIN)
            replies.respond(outbox, response_url, answer)
            return
        if home_command(client, services, command, text, lang):  # `/helploop` alone (the form), `search <words>`
            return
        anonymous, question = anonymous_question(text)
        if anonymous or is_question(text):
            replies.respond(outbox, response_url, tr(lang, ANONYMOUS_ACK) if anonymous else
                            tr(lang, "Got it. I'll answer you in our direct messages."))
            ask_in_dm(client, services, command.get("user_id", ""), question, "command",
                      command.get("trigger_id") or command.get("response_url") or text, anonymous=anonymous,
                      language=lang)
            return
        reply_text, blocks = reply(services.kb(), services.now(), text, lang)
        replies.respond(outbox, response_url, reply_text, blocks)


NOT_ADMIN = N_("Only helploop admins (the ADMINS setting) can see the service status.")


def status_text(backlog: Backlog, lang: str = "en") -> str:
    """The admin's view of the backlog."""
    def counts(states: dict[str, int]) -> str:
        return ", ".join(f"{state} {n}" for state, n in sorted(states.items())) or tr(lang, "empty")

    return tr(lang, "*helploop status*\n• Slack requests stored: {inbox}\n• Slack writes: {deliveries}\n"
              "• timers due now: {timers}", inbox=counts(backlog.inbox), deliveries=counts(backlog.deliveries),
              timers=backlog.timers_due)


ANONYMOUS_ACK = N_("Got it. I'll pass this on without your name: the team will see “an employee”, and can still "
                   "talk to you through me. I'll answer in our direct messages.")


def anonymous_question(text: str) -> tuple[bool, str]:
    """`/helploop anonymous <question>`: (True, the question); otherwise (False, the text)."""
    first, _, rest = text.partition(" ")
    if first.lower() in ("anonymous", "anon") and rest.strip():
        return True, rest.strip()
    return False, text


def is_question(text: str) -> bool:
    """`/helploop <question>` asks; `oncall …`, `help` and single words are commands or typos."""
    words = text.split()
    return len(words) >= 2 and words[0].lower() not in ("oncall", "help", "?")


def reply(kb: KnowledgeBase, now: datetime, text: str, lang: str = "en") -> tuple[str, oncall_blocks.Blocks]:
    """The ephemeral answer to `/helploop <text>` (in `lang`, the invoker's language)."""
    words = text.split()
    verb = words[0].lower() if words else "help"
    if verb in ("help", "?"):
        return oncall_blocks.usage_message(lang=lang)
    if verb != "oncall":
        return oncall_blocks.usage_message(text.strip(), lang)
    if len(words) > 1:
        wanted = words[1].lower()
        department = kb.departments.get(wanted) or next(
            (d for d in kb.departments.values() if d.name.lower() == " ".join(words[1:]).lower()), None)
        if department is None:
            return oncall_blocks.unknown_department_message(words[1], kb.departments, lang)
        return oncall_blocks.roster_message([department], now, lang)
    return oncall_blocks.roster_message(kb.departments.values(), now, lang)
