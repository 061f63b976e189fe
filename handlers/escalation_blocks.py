"""Pure Block Kit builders for pages, the escalation status line, reminders and transfers."""
from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.escalation import URGENT_STEP
from bot.records import EscalationStep, HistoryLine, RequestView, Transfer
from handlers.action_ids import CallbackId
from handlers.blocks import Blocks, asker, context, mention, section, short
from handlers.escape import clean, mrkdwn
from handlers.i18n import N_, language_block_id, tr
from handlers.parse import database_id, dig, strings

STEP_NAMES = {"backup": N_("the backup on-call"), "staff": N_("the whole team"), "manager": N_("the manager"),
              URGENT_STEP: N_("the on-call person (urgent)")}
ACTION_WORDS = {  # audit actions as the history line says them (English: the action's name, spaced)
    "picked": N_("picked"), "self_served": N_("self served"), "escalated": N_("escalated"),
    "claimed": N_("claimed"), "unclaimed": N_("unclaimed"), "resolved": N_("resolved"),
    "confirmed": N_("confirmed"), "reopened": N_("reopened"), "followup_asked": N_("followup asked"),
    "followup_expired": N_("followup expired"), "stale_reminder": N_("stale reminder"),
    "relayed": N_("relayed"), "note": N_("note")}
DATE_AT_TIME = N_("{date_short_pretty} at {time}")  # Slack date tokens, not placeholders: only " at " is words
HISTORY_LINES = 12


def slack_time(at: datetime, style: str | None = None, lang: str = "en") -> str:
    """A time Slack shows in each reader's own time zone (with a UTC fallback)."""
    style = style or tr(lang, DATE_AT_TIME)
    return f"<!date^{int(at.timestamp())}^{style}|{at:%Y-%m-%d %H:%M} UTC>"


def after_hours_note(reply_expected_from: datetime | None, lang: str = "en") -> str:
    """An honest line about when a reply can be expected, if not now."""
    if reply_expected_from is None:
        return ""
    return " " + tr(lang, "It's outside the team's working hours, so expect a reply from {when}.",
                    when=slack_time(reply_expected_from, lang=lang))


def page_text(request: RequestView, step: str, triage_link: str | None) -> str:
    """The direct message that pages someone about an unclaimed request."""
    lang = request.staff_language
    where = " " + tr(lang, "<{link}|Open it in the triage channel>", link=triage_link) if triage_link else ""
    fields = {"id": request.id, "department": mrkdwn(request.department_name), "asker": asker(request),
              "question": short(request.text)}
    if step == URGENT_STEP:
        return ":rotating_light: " + tr(lang, "*Urgent:* request #{id} for *{department}* from {asker} is blocking "
                                        "their work: “{question}”.", **fields) + where
    return ":rotating_light: " + tr(lang, "Request #{id} for *{department}* from {asker} has not been claimed yet: "
                                    "“{question}”.", **fields) + where


def escalation_status(steps: Sequence[EscalationStep], lang: str = "en") -> tuple[str, Blocks]:
    """The single status line in the triage thread listing every page sent so far."""
    parts = [tr(lang, "{time} paged {who}", time=slack_time(s.at, "{time}"),
                who=tr(lang, STEP_NAMES.get(s.step, s.step))) + " "
             + " ".join(f"<@{u}>" for u in s.notified) for s in steps]
    text = ":rotating_light: " + tr(lang, "Not claimed yet.") + " " + " · ".join(parts)
    return text, [context(text)]


def stale_reminder(request: RequestView) -> str:
    """A nudge to the claimer of a request nobody has touched for a while."""
    return ":hourglass: " + tr(request.staff_language, "Request #{id} from {asker} (“{question}”) is still open with "
                               "you. Resolve it, or unclaim it so a colleague can take it.",
                               id=request.id, asker=asker(request), question=short(request.text))


def transferred_away(request: RequestView, transfer: Transfer, text: str) -> tuple[str, Blocks]:
    """The old triage post once the request moved to another department (buttons gone)."""
    note = f": “{mrkdwn(transfer.note)}”" if transfer.note else ""
    line = ":arrow_right_hook: " + tr(request.staff_language, "Transferred to *{department}* by {user}",
                                      department=mrkdwn(transfer.to_department), user=mention(transfer.by)) + note
    return line, [section(text), context(line)]


def requester_transferred(request: RequestView, transfer: Transfer, reply_expected_from: datetime | None) -> str:
    """Tell the employee, once, where their request went and why."""
    lang = request.language
    note = " " + tr(lang, "Note from {user}: “{note}”.", user=mention(transfer.by), note=mrkdwn(transfer.note)) \
        if transfer.note else ""
    oncall = " " + tr(lang, "{user} is on call there.", user=mention(request.oncall_user_id)) \
        if request.oncall_user_id else ""
    return (tr(lang, "Your request #{id} is now with *{department}* (moved from {previous}); they can see "
               "everything so far.", id=request.id, department=mrkdwn(transfer.to_department),
               previous=mrkdwn(transfer.from_department))
            + f"{note}{oncall}{after_hours_note(reply_expected_from, lang)}")


def history_block(history: Sequence[HistoryLine], lang: str = "en") -> dict[str, Any] | None:
    """A compact history for a transferred request: who did what, when."""
    if not history:
        return None
    lines = [_history_line(h, lang) for h in history[-HISTORY_LINES:]]
    return context(tr(lang, "*History:*") + " " + " · ".join(lines))


def transfer_modal(request: RequestView, departments: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """The modal where staff pick the department to transfer to and add a note."""
    options = [{"text": {"type": "plain_text", "text": name[:75]}, "value": dep_id} for dep_id, name in departments]
    lang = request.staff_language
    return {
        "type": "modal", "callback_id": str(CallbackId.TRANSFER), "private_metadata": str(request.id),
        "title": {"type": "plain_text", "text": tr(lang, "Transfer #{id}", id=request.id)[:24]},
        "submit": {"type": "plain_text", "text": tr(lang, "Transfer")},
        "close": {"type": "plain_text", "text": tr(lang, "Cancel")},
        "blocks": [
            {**section(tr(lang, "From *{department}*: “{question}”", department=mrkdwn(request.department_name),
                          question=short(request.text))), "block_id": language_block_id(lang)},
            {"type": "input", "block_id": "department",
             "label": {"type": "plain_text", "text": tr(lang, "To department")},
             "element": {"type": "static_select", "action_id": "value", "options": options}},
            {"type": "input", "block_id": "note", "optional": True,
             "label": {"type": "plain_text", "text": tr(lang, "Note for the new team and the employee")},
             "element": {"type": "plain_text_input", "action_id": "value", "multiline": True, "max_length": 500}},
        ],
    }


def transfer_submission(view: dict[str, Any]) -> tuple[int | None, str | None, str | None]:
    """Request id, chosen department id and note from a submitted transfer modal."""
    values = dig(view, "state", "values")
    chosen = strings(dig(values, "department", "value", "selected_option")).get("value")
    note = strings(dig(values, "note", "value")).get("value")
    return database_id(strings(view).get("private_metadata", "")), chosen, clean(note) if note else None


def _history_line(line: HistoryLine, lang: str = "en") -> str:
    detail = json.loads(line.detail) if line.detail else {}
    step = detail.get("step")
    what = {"created": tr(lang, "asked"),
            "transferred": tr(lang, "transferred {previous} → {department}",
                              previous=mrkdwn(str(detail.get("from_department"))),
                              department=mrkdwn(str(detail.get("to_department")))),
            "escalation_step": tr(lang, "paged {who}", who=tr(lang, STEP_NAMES.get(step, str(step)))),
            }.get(line.action) or tr(lang, ACTION_WORDS.get(line.action, line.action.replace("_", " ")))
    if line.action == "transferred" and detail.get("note"):
        what += f" (“{mrkdwn(str(detail['note']))}”)"
    who = {"helploop": "", "anonymous": " " + tr(lang, "an employee")}.get(line.actor, f" <@{line.actor}>")
    return f"{slack_time(line.at, '{date_short} {time}')}{who} {what}"
