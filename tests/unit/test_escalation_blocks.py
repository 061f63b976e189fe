"""handlers/escalation_blocks.py: pages, the escalation status line, reminders, transfers and their modal."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.records import EscalationStep, HistoryLine
from handlers import escalation_blocks as esc
from handlers.action_ids import CallbackId
from tests.unit.support import AT, AT_FALLBACK, CLAIMER, EMPLOYEE, ONCALL, buttons, rendered, transfer, view

TRIAGE_LINK = "https://helploop.slack.com/archives/C0HLITTRIAGE/p1772442001000200"
EPOCH = int(AT.timestamp())  # 1772442000


@pytest.mark.parametrize("style, expected", [
    (None, f"<!date^{EPOCH}^{{date_short_pretty}} at {{time}}|{AT_FALLBACK}>"),
    ("{time}", f"<!date^{EPOCH}^{{time}}|{AT_FALLBACK}>"),
], ids=["default-style", "time-only"])
def test_slack_time_is_a_date_token_with_a_utc_fallback(style, expected):
    token = esc.slack_time(AT) if style is None else esc.slack_time(AT, style)
    assert token == expected
    assert rendered(token) == AT_FALLBACK  # what a client without date formatting shows


@pytest.mark.parametrize("reply_from, expected", [
    (None, ""),
    (AT, f" It's outside the team's working hours, so expect a reply from {esc.slack_time(AT)}."),
], ids=["working-hours", "after-hours"])
def test_after_hours_note_is_empty_in_hours_and_a_trailing_sentence_after(reply_from, expected):
    assert esc.after_hours_note(reply_from) == expected


@pytest.mark.parametrize("link, text, expected", [
    (TRIAGE_LINK, "VPN down", ":rotating_light: Request #42 for *IT* from <@U0EMPLOYEE> has not been claimed yet: "
                              f"“VPN down”. <{TRIAGE_LINK}|Open it in the triage channel>"),
    (None, "VPN\n down", ":rotating_light: Request #42 for *IT* from <@U0EMPLOYEE> has not been claimed yet: "
                         "“VPN down”."),
    (None, "y" * 200, ":rotating_light: Request #42 for *IT* from <@U0EMPLOYEE> has not been claimed yet: "
                      f"“{'y' * 120}…”."),
], ids=["with-link", "no-link", "long-question"])
def test_page_text(link, text, expected):
    assert esc.page_text(view(text=text), "backup", link) == expected


def test_escalation_status_lists_every_page_with_time_step_and_people():
    steps = [EscalationStep(AT, "backup", ("U0HLKASIA",)),
             EscalationStep(AT + timedelta(minutes=15), "staff", ("U0HLANNA", "U0HLMINH")),
             EscalationStep(AT + timedelta(minutes=30), "manager", ("U0HLBOSS",)),
             EscalationStep(AT + timedelta(minutes=45), "director", ("U0HLCEO",))]
    text, blocks = esc.escalation_status(steps)
    assert rendered(text, blocks) == (
        ":rotating_light: Not claimed yet. "
        "2026-03-02 09:00 UTC paged the backup on-call <@U0HLKASIA> · "
        "2026-03-02 09:15 UTC paged the whole team <@U0HLANNA> <@U0HLMINH> · "
        "2026-03-02 09:30 UTC paged the manager <@U0HLBOSS> · "
        "2026-03-02 09:45 UTC paged director <@U0HLCEO>")
    assert [blk["type"] for blk in blocks] == ["context"] and buttons(blocks) == []
    assert f"<!date^{EPOCH}^{{time}}|" in text  # Slack shows each page in the reader's own time


def test_stale_reminder():
    assert esc.stale_reminder(view(text="Printer\non fire")) == (
        ":hourglass: Request #42 from <@U0EMPLOYEE> (“Printer on fire”) is still open with you. "
        "Resolve it, or unclaim it so a colleague can take it.")


@pytest.mark.parametrize("note, line", [
    ("Payroll question", ":arrow_right_hook: Transferred to *People &amp; HR* by <@U0HLANNA>: “Payroll question”"),
    (None, ":arrow_right_hook: Transferred to *People &amp; HR* by <@U0HLANNA>"),
], ids=["note", "no-note"])
def test_transferred_away_replaces_the_old_triage_post_without_buttons(note, line):
    quote = "*Request #42* from <@U0EMPLOYEE>\n> VPN down"
    text, blocks = esc.transferred_away(view(), transfer(note=note), quote)
    assert text == line
    shown = line.replace("&amp;", "&")  # what Slack shows
    assert rendered(text, blocks).splitlines() == ["*Request #42* from <@U0EMPLOYEE>", "> VPN down", shown]
    assert buttons(blocks) == []


@pytest.mark.parametrize("note, oncall, reply_from, tail", [
    (None, None, None, ""),
    ("Payroll question", None, None, " Note from <@U0HLANNA>: “Payroll question”."),
    (None, ONCALL, None, " <@U0HLPIOTR> is on call there."),
    ("Payroll", ONCALL, AT, " Note from <@U0HLANNA>: “Payroll”. <@U0HLPIOTR> is on call there. It's outside the "
                            f"team's working hours, so expect a reply from {AT_FALLBACK}."),
], ids=["bare", "note", "oncall", "all"])
def test_requester_transferred(note, oncall, reply_from, tail):
    text = esc.requester_transferred(view(oncall_user_id=oncall), transfer(note=note), reply_from)
    assert rendered(text) == ("Your request #42 is now with *People & HR* (moved from IT); "
                              "they can see everything so far." + tail)


# --- history after a transfer ------------------------------------------------------------------------------
def _line(minutes: int, actor: str, action: str, **detail) -> HistoryLine:
    return HistoryLine(AT + timedelta(minutes=minutes), actor, action, json.dumps(detail) if detail else None)


@pytest.mark.parametrize("line, shown", [
    (_line(0, EMPLOYEE, "created"), "2026-03-02 09:00 UTC <@U0EMPLOYEE> asked"),
    (_line(1, "helploop", "escalation_step", step="backup", notified=["U0HLKASIA"]),
     "2026-03-02 09:01 UTC paged the backup on-call"),
    (_line(2, "helploop", "escalation_step", step="oncall"), "2026-03-02 09:02 UTC paged oncall"),
    (_line(3, CLAIMER, "claimed"), "2026-03-02 09:03 UTC <@U0HLANNA> claimed"),
    (_line(4, CLAIMER, "still_need_help"), "2026-03-02 09:04 UTC <@U0HLANNA> still need help"),
    (_line(5, CLAIMER, "transferred", from_department="it", to_department="hr"),
     "2026-03-02 09:05 UTC <@U0HLANNA> transferred it → hr"),
    (_line(6, CLAIMER, "transferred", from_department="it", to_department="hr", note="Payroll"),
     "2026-03-02 09:06 UTC <@U0HLANNA> transferred it → hr (“Payroll”)"),
], ids=["created", "paged-known-step", "paged-other-step", "claimed", "underscores", "transfer", "transfer-note"])
def test_history_line(line, shown):
    block = esc.history_block([line])
    assert rendered("", [block]) == f"*History:* {shown}"


def test_history_block_is_none_without_history_and_keeps_the_last_12_lines():
    assert esc.history_block([]) is None
    lines = [_line(n, CLAIMER, f"step_{n}") for n in range(20)]
    shown = rendered("", [esc.history_block(lines)]).removeprefix("*History:* ").split(" · ")
    assert shown == [f"2026-03-02 09:{n:02d} UTC <@U0HLANNA> step {n}" for n in range(8, 20)]


# --- the transfer modal and its submission -----------------------------------------------------------------
DEPARTMENTS = [("hr", "People & HR"), ("facilities", "Facilities"), ("long", "L" * 100)]


def test_transfer_modal_offers_the_other_departments_and_carries_the_request_id():
    modal = esc.transfer_modal(view(text="Payslip\nmissing"), DEPARTMENTS)
    assert (modal["type"], modal["callback_id"], modal["private_metadata"]) == ("modal", CallbackId.TRANSFER, "42")
    assert [modal[k]["text"] for k in ("title", "submit", "close")] == ["Transfer #42", "Transfer", "Cancel"]
    assert rendered("", modal["blocks"][:1]) == "From *IT*: “Payslip missing”"
    select = modal["blocks"][1]
    assert (select["block_id"], select["element"]["action_id"]) == ("department", "value")
    assert [(o["value"], o["text"]["text"]) for o in select["element"]["options"]] == [
        ("hr", "People & HR"), ("facilities", "Facilities"), ("long", "L" * 75)]
    note = modal["blocks"][2]
    assert (note["block_id"], note["optional"], note["element"]["max_length"]) == ("note", True, 500)


def test_transfer_modal_title_fits_24_characters_for_huge_request_ids():
    modal = esc.transfer_modal(view(id=12345678901234567890), DEPARTMENTS)
    assert modal["title"]["text"] == "Transfer #12345678901234"
    assert modal["private_metadata"] == "12345678901234567890"  # the id itself is never cut


def _submitted(metadata, department=None, note=None, drop=()):
    values = {"department": {"value": {"type": "static_select",
                                       "selected_option": {"value": department} if department else None}},
              "note": {"value": {"type": "plain_text_input", "value": note}}}
    for key in drop:
        values.pop(key)
    return {"private_metadata": metadata, "state": {"values": values}}


@pytest.mark.parametrize("view_, expected", [
    (_submitted("42", "hr", "Payroll question"), (42, "hr", "Payroll question")),
    (_submitted("42", "hr"), (42, "hr", None)),
    (_submitted("42"), (42, None, None)),
    (_submitted("42", "hr", drop=("note",)), (42, "hr", None)),
    ({"private_metadata": "42"}, (42, None, None)),
    (_submitted("", "hr"), (None, "hr", None)),
    (_submitted("abc", "hr"), (None, "hr", None)),
    (_submitted("12|x", "hr"), (None, "hr", None)),
    ({}, (None, None, None)),
], ids=["full", "no-note", "no-department", "no-note-block", "no-state", "empty-metadata", "text-metadata",
        "pipe-metadata", "empty-view"])
def test_transfer_submission(view_, expected):
    assert esc.transfer_submission(view_) == expected


def test_transfer_modal_round_trips_through_its_submission():
    modal = esc.transfer_modal(view(id=314), DEPARTMENTS)
    chosen = modal["blocks"][1]["element"]["options"][1]
    submission = _submitted(modal["private_metadata"], chosen["value"], "over to you")
    assert esc.transfer_submission(submission) == (314, "facilities", "over to you")
