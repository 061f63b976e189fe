"""The `/helploop` slash command: `oncall [department]` and `help`, answered ephemerally."""
from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond

from slack_sdk import WebClient

from bot.desk import Desk
from bot.lifecycle import Lifecycle
from handlers import oncall_blocks
from handlers.intake import ask_in_dm

log = logging.getLogger(__name__)
COMMAND = "/helploop"


def register_commands(app: App, desk: Desk, lifecycle: Lifecycle) -> None:
    """Attach the /helploop command listener to the Bolt app."""

    @app.command(COMMAND)
    def on_helploop(ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()  # first, so Slack gets its answer within 3 seconds; the reply goes to the response_url
        text = (command.get("text") or "").strip()
        if is_question(text):
            respond(text="Got it. I'll answer you in our direct messages.", response_type="ephemeral")
            ask_in_dm(client, lifecycle, command.get("user_id", ""), text, "command")
            return
        reply_text, blocks = reply(desk, text)
        respond(text=reply_text, blocks=blocks, response_type="ephemeral", replace_original=False)


def is_question(text: str) -> bool:
    """`/helploop <question>` asks; `oncall …`, `help` and single words are commands or typos."""
    words = text.split()
    return len(words) >= 2 and words[0].lower() not in ("oncall", "help", "?")


def reply(desk: Desk, text: str) -> tuple[str, oncall_blocks.Blocks]:
    """The ephemeral answer to `/helploop <text>`."""
    words = text.split()
    verb = words[0].lower() if words else "help"
    if verb in ("help", "?"):
        return oncall_blocks.usage_message()
    if verb != "oncall":
        return oncall_blocks.usage_message(text.strip())
    kb = desk.kb()
    if len(words) > 1:
        wanted = words[1].lower()
        department = kb.departments.get(wanted) or next(
            (d for d in kb.departments.values() if d.name.lower() == " ".join(words[1:]).lower()), None)
        if department is None:
            return oncall_blocks.unknown_department_message(words[1], kb.departments)
        return oncall_blocks.roster_message([department], desk.clock.now())
    return oncall_blocks.roster_message(kb.departments.values(), desk.clock.now())
