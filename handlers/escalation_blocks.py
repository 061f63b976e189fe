"""Pure Block Kit builders for pages, the escalation status line, reminders and transfers."""
from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.records import EscalationStep, HistoryLine, RequestView, Transfer
from handlers.action_ids import CallbackId
from handlers.blocks import Blocks, asker, context, section, short
from handlers.escape import clean, mrkdwn
from handlers.parse import database_id, dig, strings

STEP_NAMES = {"backup": "the backup on-call", "staff": "the whole team", "manager": "the manager"}
HISTORY_LINES = 12


def slack_time(at: datetime, style: str = "{date_short_pretty} at {time}") -> str:
    """A time Slack shows in each reader's own time zone (with a UTC fallback)."""
    return f"<!date^{int(at.timestamp())}^{style}|{at:%Y-%m-%d %H:%M} UTC>"


def after_hours_note(reply_expected_from: datetime | None) -> str:
    """An honest line about when a reply can be expected, if not now."""
    if reply_expected_from is None:
        return ""
    return (f" It's outside the team's working hours, so expect a reply from "
            f"{slack_time(reply_expected_from)}.")


def page_text(request: RequestView, step: str, triage_link: str | None) -> str:
    """The direct message that pages someone about an unclaimed request."""
    where = f" <{triage_link}|Open it in the triage channel>" if triage_link else ""
    return (f":rotating_light: Request #{request.id} for *{mrkdwn(request.department_name)}* from "
            f"{asker(request)} has not been claimed yet: “{short(request.text)}”.{where}")


def escalation_status(steps: Sequence[EscalationStep]) -> tuple[str, Blocks]:
    """The single status line in the triage thread listing every page sent so far."""
    parts = [f"{slack_time(s.at, '{time}')} paged {STEP_NAMES.get(s.step, s.step)} "
             + " ".join(f"<@{u}>" for u in s.notified) for s in steps]
    text = ":rotating_light: Not claimed yet. " + " · ".join(parts)
    return text, [context(text)]


def stale_reminder(request: RequestView) -> str:
    """A nudge to the claimer of a request nobody has touched for a while."""
    return (f":hourglass: Request #{request.id} from {asker(request)} (“{short(request.text)}”) is "
            f"still open with you. Resolve it, or unclaim it so a colleague can take it.")


def transferred_away(request: RequestView, transfer: Transfer, text: str) -> tuple[str, Blocks]:
    """The old triage post once the request moved to another department (buttons gone)."""
    note = f": “{mrkdwn(transfer.note)}”" if transfer.note else ""
    line = f":arrow_right_hook: Transferred to *{mrkdwn(transfer.to_department)}* by <@{transfer.by}>{note}"
    return line, [section(text), context(line)]


def requester_transferred(request: RequestView, transfer: Transfer, reply_expected_from: datetime | None) -> str:
    """Tell the employee, once, where their request went and why."""
    note = f" Note from <@{transfer.by}>: “{mrkdwn(transfer.note)}”." if transfer.note else ""
    oncall = f" <@{request.oncall_user_id}> is on call there." if request.oncall_user_id else ""
    return (f"Your request #{request.id} is now with *{mrkdwn(transfer.to_department)}* (moved from "
            f"{mrkdwn(transfer.from_department)}); they can see everything so far.{note}{oncall}"
            f"{after_hours_note(reply_expected_from)}")


def history_block(history: Sequence[HistoryLine]) -> dict[str, Any] | None:
    """A compact history for a transferred request: who did what, when."""
    if not history:
        return None
    lines = [_history_line(h) for h in history[-HISTORY_LINES:]]
    return context("*History:* " + " · ".join(lines))


def transfer_modal(request: RequestView, departments: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """The modal where staff pick the department to transfer to and add a note."""
    options = [{"text": {"type": "plain_text", "text": name[:75]}, "value": dep_id} for dep_id, name in departments]
    return {
        "type": "modal", "callback_id": str(CallbackId.TRANSFER), "private_metadata": str(request.id),
        "title": {"type": "plain_text", "text": f"Transfer #{request.id}"[:24]},
        "submit": {"type": "plain_text", "text": "Transfer"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            section(f"From *{mrkdwn(request.department_name)}*: “{short(request.text)}”"),
            {"type": "input", "block_id": "department", "label": {"type": "plain_text", "text": "To department"},
             "element": {"type": "static_select", "action_id": "value", "options": options}},
            {"type": "input", "block_id": "note", "optional": True,
             "label": {"type": "plain_text", "text": "Note for the new team and the employee"},
             "element": {"type": "plain_text_input", "action_id": "value", "multiline": True, "max_length": 500}},
        ],
    }


def transfer_submission(view: dict[str, Any]) -> tuple[int | None, str | None, str | None]:
    """Request id, chosen department id and note from a submitted transfer modal."""
    values = dig(view, "state", "values")
    chosen = strings(dig(values, "department", "value", "selected_option")).get("value")
    note = strings(dig(values, "note", "value")).get("value")
    return database_id(strings(view).get("private_metadata", "")), chosen, clean(note) if note else None


def _history_line(line: HistoryLine) -> str:
    detail = json.loads(line.detail) if line.detail else {}
    what = {"created": "asked",
            "transferred": f"transferred {mrkdwn(str(detail.get('from_department')))} → "
                           f"{mrkdwn(str(detail.get('to_department')))}",
            "escalation_step": f"paged {STEP_NAMES.get(detail.get('step'), detail.get('step'))}",
            }.get(line.action, line.action.replace("_", " "))
    if line.action == "transferred" and detail.get("note"):
        what += f" (“{mrkdwn(str(detail['note']))}”)"
    who = {"helploop": "", "anonymous": " an employee"}.get(line.actor, f" <@{line.actor}>")
    return f"{slack_time(line.at, '{date_short} {time}')}{who} {what}"
