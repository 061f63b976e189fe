"""Follow-ups: the timer asks "was it really fixed?"; yes closes, no reopens, silence expires."""
from __future__ import annotations

from datetime import timedelta

import pytest

from bot.messages import Notice
from bot.words import BOT_ACTOR, Action, Purpose, Resolution, Status, TimerKind
from tests.service.conftest import ANNA, EMPLOYEE, EMPLOYEE_DM, IT_TRIAGE, MONDAY_MORNING

T0 = MONDAY_MORNING
ASKED = T0 + timedelta(hours=24)


@pytest.fixture
def asked(service):
    """A request resolved at T0 whose follow-up question was asked at T0 + 24 h."""
    view = service.resolved(ANNA)
    assert service.advance(hours=23, minutes=59) == 0
    assert service.advance(minutes=1) == 1
    return view


def test_the_followup_timer_asks_the_requester_and_schedules_the_expiry(service, asked):
    assert service.writes(asked.id)[-1] == {"what": "followup_question", "request": asked.id, "status": "resolved",
                                            "channel": EMPLOYEE_DM}
    delivery = service.deliveries(asked.id)[-1]
    assert (delivery.purpose, delivery.order_key) == (Purpose.FOLLOWUP, f"request:{asked.id}:requester")
    assert service.pending_timers(asked.id) == [(TimerKind.FOLLOWUP_EXPIRY, ASKED + timedelta(hours=72))]
    assert service.audit(asked.id)[-1] == (Action.FOLLOWUP_ASKED, BOT_ACTOR, Status.RESOLVED, Status.RESOLVED)
    assert service.row(asked.id).status == Status.RESOLVED


def test_yes_closes_as_confirmed_and_cancels_the_expiry(service, asked):
    service.clock.advance(timedelta(hours=1))
    mark = len(service.deliveries(asked.id))
    outcome = service.followups.verdict(asked.id, EMPLOYEE, True)
    row = service.row(asked.id)
    assert (outcome.ok, row.status, row.resolution, row.closed_at) == (
        True, Status.CLOSED, Resolution.CONFIRMED, ASKED + timedelta(hours=1))
    assert [(w["what"], w.get("posted")) for w in service.writes(asked.id, mark)] == [
        ("refresh", "followup"), ("refresh", "triage"), ("rating_prompt", None)]  # rating: tests/service/test_surveys.py
    assert service.pending_timers(asked.id) == []
    assert service.advance(hours=100) == 0


def test_no_reopens_with_the_claimer_and_tells_them(service, asked):
    mark = len(service.deliveries(asked.id))
    outcome = service.followups.verdict(asked.id, EMPLOYEE, False)
    row = service.row(asked.id)
    assert (outcome.ok, row.status, row.reopen_count, row.claimed_by, row.resolved_at, row.resolution) == (
        True, Status.REOPENED, 1, ANNA, None, None)
    assert service.writes(asked.id, mark) == [
        {"what": "refresh", "request": asked.id, "status": "reopened", "posted": "followup"},
        {"what": "refresh", "request": asked.id, "status": "reopened", "posted": "triage"},
        {"what": "notice", "request": asked.id, "status": "reopened", "channel": IT_TRIAGE,
         "notice": Notice.REOPENED, "claimer": ANNA},
        {"what": "what_is_wrong", "request": asked.id, "status": "reopened", "channel": asked.channel_id},
    ]
    notice = service.deliveries(asked.id)[-2]
    assert (notice.thread_of, notice.order_key) == (Purpose.TRIAGE, f"request:{asked.id}:staff")
    assert service.pending_timers(asked.id) == [(TimerKind.STALE_CLAIM, ASKED + timedelta(hours=4))]


def test_silence_closes_as_unconfirmed_when_the_followup_expires(service, asked):
    assert service.advance(hours=71, minutes=59) == 0
    mark = len(service.deliveries(asked.id))
    assert service.advance(minutes=1) == 1
    row = service.row(asked.id)
    assert (row.status, row.resolution, row.closed_at) == (
        Status.CLOSED, Resolution.UNCONFIRMED, ASKED + timedelta(hours=72))
    assert service.audit(asked.id)[-1] == (Action.FOLLOWUP_EXPIRED, BOT_ACTOR, Status.RESOLVED, Status.CLOSED)
    assert [w["posted"] for w in service.writes(asked.id, mark)] == ["followup", "triage"]
    assert service.pending_timers(asked.id) == []


def test_an_answer_after_the_expiry_is_refused(service, asked):
    service.advance(hours=72)
    outcome = service.followups.verdict(asked.id, EMPLOYEE, True)
    assert (outcome.ok, outcome.request.resolution) == (False, Resolution.UNCONFIRMED)


def test_a_second_resolve_after_a_reopen_asks_again(service, asked):
    assert service.followups.verdict(asked.id, EMPLOYEE, False).ok
    service.clock.advance(timedelta(hours=2))
    assert service.lifecycle.resolve(asked.id, ANNA).ok
    resolved_again = ASKED + timedelta(hours=2)
    assert service.pending_timers(asked.id) == [(TimerKind.FOLLOWUP, resolved_again + timedelta(hours=24))]
    assert service.advance(hours=24) == 1
    assert service.said(asked.id).count("followup_question") == 2
    assert [a[0] for a in service.audit(asked.id)].count(Action.FOLLOWUP_ASKED) == 2
    assert service.pending_timers(asked.id) == [
        (TimerKind.FOLLOWUP_EXPIRY, resolved_again + timedelta(hours=24 + 72))]
    assert service.followups.verdict(asked.id, EMPLOYEE, True).ok
    row = service.row(asked.id)
    assert (row.status, row.resolution, row.reopen_count) == (Status.CLOSED, Resolution.CONFIRMED, 1)


@pytest.mark.parametrize("meanwhile", ["reopened", "confirmed"])
def test_a_followup_timer_that_finds_the_request_no_longer_resolved_does_nothing(service, meanwhile):
    view = service.resolved(ANNA)
    service.followups.verdict(view.id, EMPLOYEE, meanwhile == "confirmed")  # answered before being asked
    mark = len(service.deliveries(view.id))
    service.advance(hours=24)
    assert "followup_question" not in service.said(view.id, mark)
    assert Action.FOLLOWUP_ASKED not in [a[0] for a in service.audit(view.id)]
    assert [t.state for t in service.all_timers(view.id) if t.kind == TimerKind.FOLLOWUP] == ["done"]
