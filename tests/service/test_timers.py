"""TimerRunner: a timer whose work raises is retried when its lease runs out, and given up on visibly."""
from __future__ import annotations

from datetime import timedelta

import pytest

from bot.timers import LEASE, MAX_ATTEMPTS
from bot.words import BOT_ACTOR, Action, Status, TimerKind
from tests.service.conftest import ANNA, MONDAY_MORNING, open_service
from tests.service.recording import RecordingMessages

T0 = MONDAY_MORNING
DUE = T0 + timedelta(hours=24)  # the follow-up of a request resolved at T0
AFTER_LEASE = LEASE + timedelta(seconds=1)


class FlakyMessages(RecordingMessages):
    """Rendering the follow-up question raises (for the first `failures` asks, or always)."""

    def __init__(self, failures: int | None = None, only_request: int | None = None) -> None:
        self.failures, self.only_request, self.asked = failures, only_request, 0

    def followup_question(self, request):
        if self.only_request is None or request.id == self.only_request:
            self.asked += 1
            if self.failures is None or self.asked <= self.failures:
                raise RuntimeError("renderer broke")
        return super().followup_question(request)


@pytest.fixture
def flaky(database_url, example_kb, clock):
    say = FlakyMessages()
    with open_service(database_url, example_kb, clock, say) as service:
        yield service, say


def _followup_timer(service, request_id):
    [timer] = [t for t in service.all_timers(request_id) if t.kind == TimerKind.FOLLOWUP]
    return timer


def test_a_raising_timer_is_not_retried_while_its_lease_holds(flaky):
    service, say = flaky
    view = service.resolved(ANNA)
    assert service.advance(hours=24) == 0
    timer = _followup_timer(service, view.id)
    assert (say.asked, timer.state, timer.attempts, timer.lease_until) == (1, "running", 1, DUE + LEASE)
    assert service.advance(minutes=5) == 0 and say.asked == 1


def test_a_raising_timer_is_retried_then_given_up_after_max_attempts(flaky):
    service, say = flaky
    view = service.resolved(ANNA)
    assert service.advance(hours=24) == 0
    for attempt in range(2, MAX_ATTEMPTS + 1):
        assert service.advance(seconds=AFTER_LEASE.total_seconds()) == 0
        assert say.asked == attempt
    assert (say.asked, MAX_ATTEMPTS) == (5, 5)
    assert service.advance(seconds=AFTER_LEASE.total_seconds()) == 0
    assert say.asked == MAX_ATTEMPTS  # the sixth claim gives up without running it
    timer = _followup_timer(service, view.id)
    assert (timer.state, timer.attempts, timer.finished_at) == ("done", 6, DUE + AFTER_LEASE * MAX_ATTEMPTS)
    assert service.audit(view.id)[-1] == (Action.TIMER_GAVE_UP, BOT_ACTOR, None, None)
    assert service.audit_details(view.id, Action.TIMER_GAVE_UP) == [{"kind": "followup", "attempts": 5}]
    assert service.row(view.id).status == Status.RESOLVED and "followup_question" not in service.said(view.id)
    assert service.advance(hours=1) == 0 and say.asked == MAX_ATTEMPTS


def test_a_timer_that_raised_once_succeeds_on_its_retry(flaky):
    service, say = flaky
    say.failures = 1
    view = service.resolved(ANNA)
    assert service.advance(hours=24) == 0
    assert service.advance(seconds=AFTER_LEASE.total_seconds()) == 1
    assert say.asked == 2 and service.said(view.id)[-1] == "followup_question"
    assert service.pending_timers(view.id) == [(TimerKind.FOLLOWUP_EXPIRY, DUE + AFTER_LEASE + timedelta(hours=72))]
    assert Action.TIMER_GAVE_UP not in [a[0] for a in service.audit(view.id)]


def test_one_raising_timer_does_not_stop_the_others(flaky):
    service, say = flaky
    broken, fine = service.resolved(ANNA), service.resolved(ANNA)
    say.only_request = broken.id
    assert service.advance(hours=24) == 1
    assert service.said(fine.id)[-1] == "followup_question"
    assert "followup_question" not in service.said(broken.id) and say.asked == 1
