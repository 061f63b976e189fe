"""The weekly digest on a real database with a ManualClock: due Monday 09:00 in the department's zone, once a week,
once even with two runners, with the figures of `helploop report` for the past week."""
from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.digest import WeeklyDigest
from bot.timers import TimerRunner
from kb import load_kb
from storage.models import Delivery, Survey, Timer
from tests.digest_support import RecordingDigestMessages, kb_with_digests
from tests.history import ANNA, PIOTR, at, history, insert_history
from tests.service.conftest import IT_TRIAGE, Service, open_service


def runner_for(service: Service) -> tuple[TimerRunner, RecordingDigestMessages]:
    say = RecordingDigestMessages()
    digests = WeeklyDigest(service.store, service.outbox, say, service.clock)
    return TimerRunner(service.store, service.outbox, service.say, service.chain, service.followups, service.clock,
                       digests=digests), say


@pytest.fixture
def digest_kb(tmp_path: Path):
    return load_kb(kb_with_digests(tmp_path / "kb", {"it": '{weekday: monday, time: "09:00"}'}))


@pytest.fixture
def weekly(database_url, digest_kb, clock):
    with open_service(database_url, digest_kb, clock) as service:
        with service.sessions.begin() as session:
            ids = insert_history(session, history())
            # Anna: three ratings in the week (mean 4.67); Piotr: two fives, too few to be named.
            for request_id, staff, score in ((ids[1], ANNA, 5), (ids[2], ANNA, 5), (ids[3], ANNA, 4),
                                             (ids[4], PIOTR, 5), (ids[6], PIOTR, 5)):
                session.add(Survey(kind="rating", request_id=request_id, department_id="it", staff_id=staff,
                                   user_id="U0HLEMP", sampled=True, asked_at=at(27, 12), score=score,
                                   answered_at=at(27, 12)))
        yield service


def digest_timers(service: Service) -> list[tuple[str, str, datetime]]:
    with service.sessions.begin() as session:
        return [(t.subject, t.state, t.due_at) for t in
                session.scalars(select(Timer).where(Timer.kind == "digest").order_by(Timer.id))]


def digest_writes(service: Service) -> list[tuple[str, str]]:
    with service.sessions.begin() as session:
        return [(d.method, d.order_key) for d in
                session.scalars(select(Delivery).where(Delivery.request_id.is_(None)).order_by(Delivery.id))]


def move_to(service: Service, when: datetime) -> None:
    service.clock.advance(when - service.clock.now())


def test_the_digest_comes_due_monday_0900_in_the_zone_of_the_department_once_a_week(weekly):
    runner, say = runner_for(weekly)
    assert runner.run_due() == 0
    assert digest_timers(weekly) == [("it", "pending", at(30, 8))]  # 09:00 in Warsaw; only IT has a digest
    move_to(weekly, at(30, 7, 59))
    assert runner.run_due() == 0 and say.digests == []
    move_to(weekly, at(30, 8))
    assert runner.run_due() == 1
    assert runner.run_due() == 0  # once
    [digest] = say.digests
    assert digest.week.first_day == date(2026, 11, 23) and digest.week.last_day == date(2026, 11, 29)
    assert (digest.week.since, digest.week.until) == (at(22, 23), at(29, 23))  # Warsaw midnights
    assert (digest.channel, digest.language, digest.requests, digest.self_served) == (IT_TRIAGE, "en", 7, 1)
    assert {m.name: (m.value, m.target, m.breached) for m in digest.measures} == {
        "first_response": (1800, 1800, False), "handling": (3600, 86400, False), "one_touch": (0.5, 0.6, True),
        "reopen": (1 / 3, None, False), "rating": (4.8, 4.5, False)}
    assert digest.rating_count == 5
    assert [(d.day, d.self_served + d.escalated + d.other) for d in digest.days] == [
        ("2026-11-23", 2), ("2026-11-24", 1), ("2026-11-25", 1), ("2026-11-26", 2), ("2026-11-27", 1),
        ("2026-11-28", 0), ("2026-11-29", 0)]
    assert [(b.standard, b.value, b.target) for b in digest.breaches] == [("one_touch", 0.5, 0.6)]
    assert digest.thanks == (ANNA,)  # Piotr's mean is higher, but two ratings are too few to single him out
    assert digest_writes(weekly) == [("chat.postMessage", f"to:{IT_TRIAGE}"), ("files.uploadV2", f"to:{IT_TRIAGE}")]
    assert digest_timers(weekly) == [("it", "done", at(30, 8)), ("it", "pending", datetime(2026, 12, 7, 8, tzinfo=UTC))]

    move_to(weekly, datetime(2026, 12, 7, 8, tzinfo=UTC))
    assert runner.run_due() == 1
    quiet = say.digests[-1]
    assert (quiet.week.first_day, quiet.requests, quiet.thanks) == (date(2026, 11, 30), 0, ())
    assert len(digest_writes(weekly)) == 3  # a week without requests: the message, no chart


def test_two_runners_plan_one_timer_and_send_one_digest(weekly):
    runners = [runner_for(weekly)[0] for _ in range(2)]

    def together() -> list[int]:
        barrier, acted = threading.Barrier(2), []

        def run(runner: TimerRunner) -> None:
            barrier.wait()
            acted.append(runner.run_due())

        threads = [threading.Thread(target=run, args=(r,)) for r in runners]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        return acted

    together()
    assert digest_timers(weekly) == [("it", "pending", at(30, 8))]
    move_to(weekly, at(30, 8, 0))
    assert sorted(together()) == [0, 1]
    assert [m for m, _ in digest_writes(weekly)] == ["chat.postMessage", "files.uploadV2"]
    assert [state for _, state, _ in digest_timers(weekly)] == ["done", "pending"]


def test_a_digest_switched_off_is_not_planned_and_a_planned_one_is_dropped(weekly, example_kb):
    runner, say = runner_for(weekly)
    runner.run_due()
    weekly.kb = example_kb  # departments.yaml edited: no `digest:` any more
    move_to(weekly, at(30, 9))
    assert runner.run_due() == 0 and say.digests == []
    assert digest_timers(weekly) == [("it", "done", at(30, 8))]  # came due after the edit: finished, nothing sent
    runner.run_due()
    assert len(digest_timers(weekly)) == 1


def test_a_changed_digest_time_moves_the_planned_timer(weekly, tmp_path):
    runner, _ = runner_for(weekly)
    runner.run_due()
    weekly.kb = load_kb(kb_with_digests(tmp_path / "friday", {"it": '{weekday: friday, time: "16:00"}'}))
    runner.run_due()
    assert digest_timers(weekly) == [("it", "pending", at(27, 15))]  # Friday 16:00 in Warsaw
