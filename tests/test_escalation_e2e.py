"""The escalation chain, after-hours honesty, stale-claim reminders and transfers, end to end."""
from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.measures import compute_report, flat
from wiring.settings import EXAMPLE_KB_DIR
from handlers.action_ids import ActionId, CallbackId
from storage import queries
from storage.measure_queries import Selection
from bot.words import Status
from tests.flows import (EMPLOYEE_DM, IT_TRIAGE, claimed, click, escalate, reload, resolved, text_of,
                         wait_call, wait_recorded)
from tests.harness import running

ONCALL, BACKUP, MANAGER = "U0HLANNA", "U0HLKASIA", "U0HLBOSS"
FINANCE_TRIAGE, FINANCE_STAFF = "C0HLFINTRIAGE", "U0HLMAREK"
MONDAY_MORNING = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)   # 10:30 in Warsaw
FRIDAY_EVENING = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)   # 18:00 in Warsaw
MONDAY_OPENING = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)    # 09:00 in Warsaw

DEPARTMENTS = """
default: it
departments:
  - id: it
    name: IT
    triage_channel: C0HLITTRIAGE
    staff: [U0HLANNA, U0HLPIOTR, U0HLMINH, U0HLKASIA]
    keywords: [laptop, vpn]
    oncall:
      timezone: Europe/Warsaw
      layers:
        - {name: primary, members: [U0HLANNA], every: {weeks: 1}, handoff: {weekday: monday, time: "09:00"}, start: 2026-01-05}
        - {name: backup, members: [U0HLKASIA], every: {weeks: 1}, handoff: {weekday: monday, time: "09:00"}, start: 2026-01-05}
    working_hours: {weekdays: [mon, tue, wed, thu, fri], hours: "09:00-17:30", after_hours: {notify: none}}
    escalation: {ack_timeout_minutes: 15, steps: [backup, staff, manager], manager: U0HLBOSS, stale_claim_hours: 4}
  - id: finance
    name: Finance
    triage_channel: C0HLFINTRIAGE
    staff: [U0HLMAREK, U0HLTRANG]
    keywords: [invoice]
    rotation: {members: [U0HLMAREK], handoff: {weekday: monday, time: "09:00"}, timezone: Europe/Warsaw, start: 2026-01-05}
"""


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    kb = tmp_path / "kb"
    kb.mkdir()
    shutil.copy(EXAMPLE_KB_DIR / "it.yaml", kb / "it.yaml")
    (kb / "departments.yaml").write_text(DEPARTMENTS)
    return kb


def _pages(h, after: int) -> list[tuple[str, str]]:
    return [(c.args["channel"], text_of(c)) for c in h.slack.calls()[after:]
            if c.method == "chat.postMessage" and "has not been claimed yet" in text_of(c)]


def test_unclaimed_escalation_pages_backup_then_staff_then_manager(sqlite_url, kb_dir):
    with running(sqlite_url, kb_dir=kb_dir, clock=ManualClock(MONDAY_MORNING)) as h:
        request = escalate(h)
        assert request.oncall_user_id == ONCALL
        mark = len(h.slack.calls())
        assert h.advance(minutes=14) == 0
        assert h.advance(minutes=1, seconds=1) == 1
        assert [channel for channel, _ in _pages(h, mark)] == [BACKUP]
        status = wait_call(h, mark, "chat.postMessage", IT_TRIAGE, "Not claimed yet")
        assert status.args["thread_ts"] == request.triage_ts and f"<@{BACKUP}>" in text_of(status)

        assert h.advance(minutes=15) == 1  # the whole team, except the on-call who was paged first
        assert sorted(c for c, _ in _pages(h, mark)) == sorted([BACKUP, "U0HLPIOTR", "U0HLMINH", BACKUP])
        assert h.advance(minutes=15) == 1
        assert [c for c, _ in _pages(h, mark)][-1] == MANAGER
        edits = [c for c in h.slack.calls("chat.update")[0:] if c.args.get("ts") == status.response["ts"]]
        assert len(edits) == 2 and "the manager" in text_of(edits[-1])  # one line, edited in place
        assert h.advance(hours=2) == 0  # the chain has run out
        with h.app.sessions.begin() as session:
            steps = [json.loads(a.detail)["step"] for a in queries.audit_trail(session, request.id)
                     if a.action == "escalation_step"]
        assert steps == ["backup", "staff", "manager"]


def test_a_claim_stops_the_chain(sqlite_url, kb_dir):
    with running(sqlite_url, kb_dir=kb_dir, clock=ManualClock(MONDAY_MORNING)) as h:
        request = claimed(h, escalate(h), ONCALL)
        mark = len(h.slack.calls())
        assert h.advance(minutes=50) == 0
        assert _pages(h, mark) == [] and reload(h, request.id).escalation_level == 0


def test_after_hours_the_employee_is_told_when_and_nobody_is_paged_at_night(sqlite_url, kb_dir):
    with running(sqlite_url, kb_dir=kb_dir, clock=ManualClock(FRIDAY_EVENING)) as h:
        request = escalate(h)
        notice = wait_call(h, 0, "chat.postMessage", EMPLOYEE_DM, "outside the team's working hours")
        assert f"<!date^{int(MONDAY_OPENING.timestamp())}^" in notice.args["text"]  # shown in the reader's zone
        triage = wait_call(h, 0, "chat.postMessage", IT_TRIAGE, "[Claim]")
        assert "on call:" not in text_of(triage) and request.oncall_user_id is None
        mark = len(h.slack.calls())
        assert h.advance(hours=60) == 0  # the whole weekend: nobody paged
        h.clock.advance(MONDAY_OPENING + timedelta(minutes=15, seconds=1) - h.clock.now())
        assert h.advance(seconds=0) == 1
        assert [c for c, _ in _pages(h, mark)] == [BACKUP]


def test_a_quiet_claimed_request_reminds_its_claimer(sqlite_url, kb_dir):
    with running(sqlite_url, kb_dir=kb_dir, clock=ManualClock(MONDAY_MORNING)) as h:
        request = claimed(h, escalate(h), "U0HLPIOTR")
        mark = len(h.slack.calls())
        assert h.advance(hours=3, minutes=59) == 0
        assert h.advance(minutes=2) == 1
        reminder = wait_call(h, mark, "chat.postMessage", "U0HLPIOTR", "still open with you")
        assert f"#{request.id}" in text_of(reminder)
        resolved(h, reload(h, request.id), "U0HLPIOTR")
        mark = len(h.slack.calls())
        assert h.advance(hours=5) == 0
        assert not [c for c in h.slack.calls()[mark:] if "still open with you" in text_of(c)]


def test_transfer_moves_the_request_with_its_history_and_tells_the_employee_once(sqlite_url, kb_dir):
    with running(sqlite_url, kb_dir=kb_dir, clock=ManualClock(MONDAY_MORNING)) as h:
        request = claimed(h, escalate(h), ONCALL)
        mark = click(h, "U0HLMAREK", ActionId.TRANSFER, request, IT_TRIAGE, request.triage_ts)
        assert "Only members of IT" in text_of(wait_call(h, mark, "response_url"))

        mark = click(h, ONCALL, ActionId.TRANSFER, request, IT_TRIAGE, request.triage_ts)
        modal = wait_call(h, mark, "views.open").args["view"]
        options = modal["blocks"][1]["element"]["options"]
        assert [o["value"] for o in options] == ["finance"]

        mark = len(h.slack.calls())
        values = {"department": {"value": {"type": "static_select", "selected_option": options[0]}},
                  "note": {"value": {"type": "plain_text_input", "value": "This is about an invoice"}}}
        response = h.sim.view_submission(ONCALL, str(CallbackId.TRANSFER), values, modal["private_metadata"])
        assert response.status == 200
        new_post = wait_call(h, mark, "chat.postMessage", FINANCE_TRIAGE, "[Claim]")
        assert "transferred it → finance" in text_of(new_post) and "This is about an invoice" in text_of(new_post)
        assert f"<@{ONCALL}> claimed" in text_of(new_post)  # the history came along
        old = wait_call(h, mark, "chat.update", IT_TRIAGE, "Transferred to *Finance*")
        assert old.args["ts"] == request.triage_ts and "[Resolve]" not in text_of(old)
        wait_call(h, mark, "chat.postMessage", EMPLOYEE_DM, "now with *Finance*")
        moved = wait_recorded(h, request.id, "triage_ts")
        told = [c for c in h.slack.calls()[mark:] if c.method == "chat.postMessage" and c.args["channel"] == EMPLOYEE_DM]
        assert len(told) == 1  # the employee is told once
        assert (moved.department_id, moved.status, moved.claimed_by, moved.transfer_count) == (
            "finance", Status.ESCALATED, None, 1)
        assert moved.triage_channel == FINANCE_TRIAGE
        mark = click(h, ONCALL, ActionId.CLAIM, moved, FINANCE_TRIAGE, moved.triage_ts)
        assert "Only members of Finance" in text_of(wait_call(h, mark, "response_url"))
        claimed(h, moved, FINANCE_STAFF)
        figures = flat(compute_report(h.app.sessions, h.app.kb.departments, Selection(), h.clock.now()).overall)
        assert (figures["transferred"], figures["bounced"], figures["transfers"]) == (1, 0, 1)


def test_after_hours_a_named_person_is_paged_when_the_policy_says_so(sqlite_url, tmp_path):
    kb = tmp_path / "kb-night"
    kb.mkdir()
    shutil.copy(EXAMPLE_KB_DIR / "it.yaml", kb / "it.yaml")
    (kb / "departments.yaml").write_text(DEPARTMENTS.replace("after_hours: {notify: none}",
                                                             "after_hours: {notify: U0HLPIOTR}"))
    with running(sqlite_url, kb_dir=kb, clock=ManualClock(FRIDAY_EVENING)) as h:
        request = escalate(h)
        assert request.oncall_user_id == "U0HLPIOTR"
        triage = wait_call(h, 0, "chat.postMessage", IT_TRIAGE, "[Claim]")
        assert "on call: <@U0HLPIOTR>" in text_of(triage)
        notice = wait_call(h, 0, "chat.postMessage", EMPLOYEE_DM, "passed your request")
        assert "outside the team's working hours" not in text_of(notice)  # someone is on it tonight
        mark = len(h.slack.calls())
        assert h.advance(minutes=16) == 1  # the chain runs at night too: the backup is paged
        assert [c for c, _ in _pages(h, mark)] == [BACKUP]
