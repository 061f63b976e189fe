"""The escalation chain on a ManualClock: who is paged when, after hours, and stale-claim reminders."""
from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import ManualClock
from bot.words import BOT_ACTOR, Action, Purpose, Status, TimerKind
from kb import load_kb
from tests.service.conftest import (ANNA, BOSS, EMPLOYEE, EXAMPLE_KB, IT_TRIAGE, KASIA, MINH, MONDAY_MORNING,
                                    PIOTR, open_service)
from tests.service.recording import what

T0 = MONDAY_MORNING                                          # Monday 10:30 in Warsaw; on call MINH, backup KASIA
FRIDAY_EVENING = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)   # 18:00 in Warsaw, after hours; on call MINH
CLOSING_SOON = datetime(2026, 11, 27, 16, 20, tzinfo=UTC)    # 17:20 in Warsaw: working, closes at 17:30
MONDAY_OPENING = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)    # 09:00 in Warsaw; on call and backup PIOTR
FINANCE_TRIAGE = "C0HLFINTRIAGE"

STEPS = [  # minutes after the escalation, step, who is paged (the on-call MINH never twice)
    (15, "backup", [KASIA]),
    (30, "staff", [ANNA, PIOTR, KASIA]),
    (45, "manager", [BOSS]),
]


def _pages(service, request_id, since=0):
    return [(w["step"], w["user"]) for w in service.writes(request_id, since) if w["what"] == "page"]


def test_unclaimed_request_pages_backup_then_staff_then_manager(service):
    view = service.escalated()
    assert view.oncall_user_id == MINH
    assert service.advance(minutes=14, seconds=59) == 0
    shown = []
    for minutes, step, paged in STEPS:
        service.clock.advance(T0 + timedelta(minutes=minutes) - service.clock.now())
        mark = len(service.deliveries(view.id))
        assert service.timers.run_due() == 1, step
        assert _pages(service, view.id, mark) == [(step, user) for user in paged]
        shown.append([step, paged])
        status = service.writes(view.id, mark)[-1]
        assert (status["what"], status["steps"], status["edit"]) == ("escalation_status", shown, len(shown) > 1)
        assert service.row(view.id).escalation_level == len(shown)
    assert service.audit_details(view.id, Action.ESCALATION_STEP) == [
        {"step": step, "notified": paged} for _, step, paged in STEPS]
    assert [a[1:] for a in service.audit(view.id) if a[0] == Action.ESCALATION_STEP] == [
        (BOT_ACTOR, Status.ESCALATED, Status.ESCALATED)] * 3
    assert service.pending_timers(view.id) == []
    assert service.advance(hours=3) == 0


def test_pages_and_the_status_line_go_to_staff_in_the_triage_thread(service):
    view = service.escalated()
    service.advance(minutes=15)
    page, status = service.deliveries(view.id)[2:]
    assert (page.order_key, page.link_of) == (f"request:{view.id}:staff", '{"channel": null, "ts": null, '
                                                                          '"purpose": "triage"}')
    assert (status.method, status.purpose, status.thread_of, status.order_key) == (
        "chat.postMessage", Purpose.ESCALATION, Purpose.TRIAGE, f"request:{view.id}:staff")
    service.advance(minutes=15)
    edit = service.deliveries(view.id)[-1]
    assert (edit.method, edit.edit_of, edit.purpose) == ("chat.update", Purpose.ESCALATION, None)


@pytest.mark.parametrize("after_minutes", [5, 20, 35])
def test_a_claim_stops_the_chain_wherever_it_is(service, after_minutes):
    view = service.escalated()
    service.advance(minutes=after_minutes)
    paged = _pages(service, view.id)
    assert service.lifecycle.claim(view.id, ANNA).ok
    assert service.pending_timers(view.id) == [(TimerKind.STALE_CLAIM, service.clock.now() + timedelta(hours=4))]
    assert service.advance(hours=3) == 0
    assert _pages(service, view.id) == paged


def test_an_unclaim_starts_the_chain_again_from_the_backup(service):
    view = service.escalated()
    service.advance(minutes=30)  # backup and staff paged
    assert service.lifecycle.claim(view.id, ANNA).ok and service.lifecycle.unclaim(view.id, ANNA).ok
    mark = len(service.deliveries(view.id))
    assert service.advance(minutes=15) == 1
    assert _pages(service, view.id, mark) == [("backup", KASIA)]


# --- after hours -----------------------------------------------------------------------------------------------


def _kb_variant(tmp_path_factory, name: str, shipped: str, instead: str):
    """kb/example with one line of IT's settings in departments.yaml changed."""
    folder = tmp_path_factory.mktemp(f"kb-{name}")
    for path in EXAMPLE_KB.glob("*.yaml"):
        shutil.copy(path, folder / path.name)
    departments = (folder / "departments.yaml").read_text(encoding="utf-8")
    assert departments.count(shipped) == 1
    (folder / "departments.yaml").write_text(departments.replace(shipped, instead), encoding="utf-8")
    return load_kb(folder)


@pytest.fixture(scope="module")
def after_hours_kbs(tmp_path_factory):
    """kb/example with IT's after-hours policy set to each of none (as shipped), oncall and a named person."""
    return {notify: _kb_variant(tmp_path_factory, notify, "after_hours: {notify: none}",
                                f"after_hours: {{notify: {notify}}}") for notify in ("none", "oncall", PIOTR)}


@pytest.fixture
def night(sqlite_url, after_hours_kbs, request):
    with open_service(sqlite_url, after_hours_kbs[request.param], ManualClock(FRIDAY_EVENING)) as opened:
        yield opened


AFTER_HOURS = [  # policy, on call recorded, reply expected from, first step due, who the first step pages
    ("none", None, MONDAY_OPENING, MONDAY_OPENING + timedelta(minutes=15), PIOTR),
    ("oncall", MINH, None, FRIDAY_EVENING + timedelta(minutes=15), KASIA),
    (PIOTR, PIOTR, None, FRIDAY_EVENING + timedelta(minutes=15), KASIA),
]


@pytest.mark.parametrize(("night", "oncall", "expected_from", "due", "backup"), AFTER_HOURS,
                         indirect=["night"], ids=[row[0] for row in AFTER_HOURS])
def test_after_hours_paging_follows_the_policy(night, oncall, expected_from, due, backup):
    view = night.escalated()
    assert view.oncall_user_id == oncall
    notice = night.writes(view.id)[0]
    assert (notice["what"], notice["oncall"], notice["reply_expected_from"]) == (
        "escalation_notice", oncall, expected_from.isoformat() if expected_from else None)
    assert night.pending_timers(view.id) == [(TimerKind.ESCALATION_STEP, due)]
    night.clock.advance(due - timedelta(seconds=1) - night.clock.now())
    assert night.timers.run_due() == 0
    night.clock.advance(timedelta(seconds=1))
    assert night.timers.run_due() == 1
    assert _pages(night, view.id) == [("backup", backup)]


@pytest.mark.parametrize("night", ["none"], indirect=True)
@pytest.mark.parametrize("hours", [1, 16, 40, 62])
def test_nobody_is_paged_at_night_or_over_the_weekend_when_the_policy_is_none(night, hours):
    view = night.escalated()
    assert night.advance(hours=hours) == 0
    assert _pages(night, view.id) == [] and night.row(view.id).escalation_level == 0


def test_a_step_falling_due_after_closing_waits_for_the_opening(sqlite_url, example_kb):
    with open_service(sqlite_url, example_kb, ManualClock(CLOSING_SOON)) as late:  # kb/example: notify none
        view = late.escalated()
        assert late.pending_timers(view.id) == [(TimerKind.ESCALATION_STEP, CLOSING_SOON + timedelta(minutes=15))]
        assert late.advance(minutes=15) == 0  # 17:35 in Warsaw: closed
        assert late.pending_timers(view.id) == [(TimerKind.ESCALATION_STEP, MONDAY_OPENING + timedelta(minutes=15))]
        assert _pages(late, view.id) == [] and Action.ESCALATION_STEP not in [a[0] for a in late.audit(view.id)]
        late.clock.advance(MONDAY_OPENING + timedelta(minutes=15) - late.clock.now())
        assert late.timers.run_due() == 1
        assert _pages(late, view.id) == [("backup", PIOTR)]


def test_an_ack_timeout_longer_than_the_working_day_still_pages_someone(sqlite_url, tmp_path_factory):
    kb = _kb_variant(tmp_path_factory, "long-ack", "ack_timeout_minutes: 15", "ack_timeout_minutes: 600")
    with open_service(sqlite_url, kb, ManualClock(T0)) as service:
        view = service.escalated()
        for _ in range(24 * 8):  # a week and a day, hour by hour
            service.advance(hours=1)
        assert Action.TIMER_GAVE_UP not in [a[0] for a in service.audit(view.id)]
        assert _pages(service, view.id)[:1] == [("backup", KASIA)]


# --- stale claims ----------------------------------------------------------------------------------------------


def test_a_quiet_claim_reminds_its_claimer_every_stale_period(service):
    view = service.claimed(PIOTR)
    assert service.advance(hours=3, minutes=59) == 0
    mark = len(service.deliveries(view.id))
    assert service.advance(minutes=1) == 1
    assert service.writes(view.id, mark) == [{"what": "stale_reminder", "request": view.id, "status": "claimed",
                                              "channel": PIOTR, "claimer": PIOTR}]
    assert service.deliveries(view.id)[-1].order_key == f"request:{view.id}:staff"
    assert service.audit(view.id)[-1] == (Action.STALE_REMINDER, BOT_ACTOR, Status.CLAIMED, Status.CLAIMED)
    assert service.audit_details(view.id, Action.STALE_REMINDER) == [{"claimer": PIOTR}]
    assert service.pending_timers(view.id) == [(TimerKind.STALE_CLAIM, T0 + timedelta(hours=8))]
    assert service.advance(hours=4) == 1
    assert service.said(view.id).count("stale_reminder") == 2


def test_a_resolved_request_is_not_chased(service):
    view = service.resolved(PIOTR)
    assert service.pending_timers(view.id) == [(TimerKind.FOLLOWUP, T0 + timedelta(hours=24))]
    service.advance(hours=23)
    assert "stale_reminder" not in service.said(view.id) and _pages(service, view.id) == []


def test_a_reopened_request_is_chased_again(service):
    view = service.resolved(PIOTR)
    service.advance(hours=24)
    assert service.followups.verdict(view.id, EMPLOYEE, False).ok
    assert service.advance(hours=4) == 1
    assert service.writes(view.id)[-1]["what"] == "stale_reminder"
    assert service.writes(view.id)[-1]["status"] == "reopened"


# --- a transferred request's chain -------------------------------------------------------------------------------


def test_after_a_transfer_the_new_departments_steps_get_a_status_line_in_its_own_triage_thread(
        any_service, dispatcher, transport):
    view = any_service.escalated()
    any_service.advance(minutes=15)  # IT's backup is paged; the status line goes to IT's triage thread
    dispatcher.run_due()
    assert any_service.transfers.transfer(view.id, ANNA, "finance", "invoice").ok
    dispatcher.run_due()
    finance_triage_ts = any_service.row(view.id).triage_ts
    assert any_service.advance(minutes=30) == 1  # Finance: no backup layer, so its staff are paged
    dispatcher.run_due()
    status_lines = transport.tries(what("escalation_status"))
    assert [(o.method, o.args.get("channel"), o.target) for o in status_lines] == [
        ("chat.postMessage", IT_TRIAGE, None), ("chat.postMessage", FINANCE_TRIAGE, None)]
    assert status_lines[-1].args["thread_ts"] == finance_triage_ts
