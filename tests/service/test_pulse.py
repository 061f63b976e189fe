"""The pulse survey's timer on a real database with a ManualClock: one row per department and pulse, planned and
asked once even with two runners, moved or dropped when `pulse_days` changes."""
from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.timers import TimerRunner
from bot.words import TimerKind
from storage import feedback_queries as fq
from storage.models import Survey, Timer
from tests.service.conftest import UNANSWERABLE, Service
from tests.service.test_surveys import PULSE_MONDAY, pulse_questions, pulse_runner, with_feedback

PEOPLE = [(f"U0HLP{n}", f"D0HLP{n}") for n in range(5)]


def pulse_timers(service: Service) -> list[tuple[str, str, datetime]]:
    with service.sessions.begin() as session:
        return [(t.subject, t.state, t.due_at) for t in
                session.scalars(select(Timer).where(Timer.kind == TimerKind.PULSE).order_by(Timer.id))]


def asked_people(service: Service) -> list[str]:
    with service.sessions.begin() as session:
        return sorted(session.scalars(select(Survey.user_id).where(Survey.kind == fq.PULSE)))


def requesters(service: Service) -> None:
    for n, (user, dm) in enumerate(PEOPLE):
        service.ask(f"{UNANSWERABLE} {n}", user=user, channel=dm)


def together(runners: list[TimerRunner]) -> list[int]:
    """Both runners run their due timers at the same moment, each in its own thread (two replicas)."""
    barrier, acted, failed = threading.Barrier(len(runners)), [], []

    def run(runner: TimerRunner) -> None:
        barrier.wait()
        try:
            acted.append(runner.run_due())
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            failed.append(error)

    threads = [threading.Thread(target=run, args=(r,)) for r in runners]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not failed and len(acted) == len(runners)
    return acted


def test_two_runners_plan_one_timer_and_ask_one_pulse_per_period(any_service):
    service = any_service
    with_feedback(service, pulse_days=7, pulse_sample=3)
    requesters(service)
    runners = [pulse_runner(service)[1] for _ in range(2)]
    together(runners)
    assert pulse_timers(service) == [("it", "pending", PULSE_MONDAY)]

    service.clock.advance(PULSE_MONDAY - service.clock.now())
    # The escalations' timers came due too; they are split between the runners. The pulse is asked once.
    together(runners)
    asked = asked_people(service)
    assert len(asked) == 3 and len(set(asked)) == 3
    assert sorted(pulse_questions(service)) == asked
    next_week = PULSE_MONDAY + timedelta(days=7)
    assert pulse_timers(service) == [("it", "done", PULSE_MONDAY), ("it", "pending", next_week)]

    service.clock.advance(timedelta(days=6, hours=23, minutes=59))
    together(runners)
    assert len(pulse_questions(service)) == 3  # not again within the week
    service.clock.advance(timedelta(minutes=1))
    together(runners)
    assert len(pulse_questions(service)) == 6 and len(asked_people(service)) == 6
    assert [state for _, state, _ in pulse_timers(service)] == ["done", "done", "pending"]


def test_a_pulse_turned_off_is_cancelled_and_a_changed_period_moves_the_timer(service):
    with_feedback(service, pulse_days=7)
    with_feedback(service, "hr", pulse_days=7)
    requesters(service)
    _, runner = pulse_runner(service)
    runner.run_due()
    assert sorted(pulse_timers(service)) == [("hr", "pending", PULSE_MONDAY), ("it", "pending", PULSE_MONDAY)]

    with_feedback(service, pulse_days=10)  # IT: every ten days counted from Monday 1 January 2024
    with_feedback(service, "hr")            # HR: no pulse any more
    runner.run_due()
    thursday = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # 10:00 in Warsaw
    assert sorted(pulse_timers(service)) == [("hr", "cancelled", PULSE_MONDAY), ("it", "pending", thursday)]
    service.clock.advance(thursday - service.clock.now())
    runner.run_due()
    assert len(pulse_questions(service)) == 5  # IT's five requesters (the default sample); HR asked nobody
    assert sorted(pulse_timers(service))[-1] == ("it", "pending", thursday + timedelta(days=10))


def test_a_pulse_turned_off_everywhere_ends_when_due_without_asking(service, example_kb):
    with_feedback(service, pulse_days=7)
    requesters(service)
    _, runner = pulse_runner(service)
    runner.run_due()
    service.kb = example_kb  # departments.yaml edited: no pulse anywhere, so no planning transaction either
    service.clock.advance(PULSE_MONDAY - service.clock.now())
    runner.run_due()
    assert pulse_questions(service) == []
    assert pulse_timers(service) == [("it", "done", PULSE_MONDAY)]
    service.clock.advance(timedelta(days=7))
    runner.run_due()
    assert pulse_timers(service) == [("it", "done", PULSE_MONDAY)]


def test_a_pulse_taken_over_after_its_lease_ran_out_is_asked_once(service):
    with_feedback(service, pulse_days=7, pulse_sample=2)
    requesters(service)
    pulse, runner = pulse_runner(service)
    runner.run_due()
    service.clock.advance(PULSE_MONDAY - service.clock.now())
    with service.sessions.begin() as session:
        timer_id = session.scalar(select(Timer.id).where(Timer.kind == TimerKind.PULSE))
        session.execute(Timer.__table__.update().where(Timer.id == timer_id)
                        .values(state="running", attempts=1, lease_until=PULSE_MONDAY))
    service.clock.advance(timedelta(minutes=1))
    runner.run_due()  # the first worker's lease ran out: this one takes the row (attempts 2) and asks
    assert len(pulse_questions(service)) == 2
    assert pulse.send(timer_id) is False  # the first worker comes back: the row is not its any more
    assert len(pulse_questions(service)) == 2
