"""The worker's rollup: a report that reads it gives the figures of computing every day now (tests/test_measures.py
runs every measure both ways), sees changes made since the rollup ran, computes every day again when working hours
change, and estimates the percentiles of a big group from a fixed sample; on SQLite and PostgreSQL."""
from __future__ import annotations

import logging
import statistics
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.measures import compute_report, flat
from bot.clock import ManualClock
from bot.rollup import Rollup, live_days, refresh_rollup
from kb import load_kb
from storage import measure_queries as mq
from storage.engine import make_engine, make_sessions
from storage.measure_queries import Selection
from storage.migrate import upgrade
from tests.history import ANNA, EMP, Made, at, history, insert_history
from wiring.scheduler import start_scheduler

EXAMPLE = Path(__file__).resolve().parent.parent / "kb" / "example"
NOW = at(30, 18)
DEPARTMENTS = load_kb(EXAMPLE).departments


@pytest.fixture
def sessions(database_url):
    engine = make_engine(database_url)
    upgrade(engine)
    sessions = make_sessions(engine)
    with sessions.begin() as session:
        insert_history(session, history())
    yield sessions
    engine.dispose()


def _live(sessions, departments=DEPARTMENTS, selection: Selection | None = None) -> set[int]:
    selection = selection or Selection()
    with sessions() as session:
        return live_days(session, departments, selection, mq.selection_span(session, selection))


def _figures(sessions, now=NOW, departments=DEPARTMENTS, **selection) -> dict:
    report = compute_report(sessions, departments, Selection(**selection), now)
    return {"all": flat(report.overall), **{f.key: flat(f) for f in report.departments + report.staff}}


def _escalated(n: int, created, minutes: int) -> Made:
    """A request escalated at `created`, claimed and resolved by Anna `minutes` later (unique thread root)."""
    done = created + timedelta(minutes=minutes)
    return Made("hr", created, "resolved", [(created, EMP, "created", None, "escalated", None),
                                             (created, ANNA, "claimed", "escalated", "claimed", None),
                                             (done, ANNA, "resolved", "claimed", "resolved", None)],
                dict(root_ts=f"1765000000.{n:06d}", message_ts=f"1765000000.{n:06d}", claimed_by=ANNA,
                     resolved_by=ANNA, resolved_at=done))


def _every_day(sessions) -> set[int]:
    with sessions() as session:
        first, last = mq.selection_span(session, Selection())
    return set(range(first, last + 1))


def test_after_a_rollup_a_report_computes_only_partly_selected_days(sessions):
    assert _live(sessions) == _every_day(sessions)  # nothing rolled up yet
    everything = _figures(sessions)
    assert refresh_rollup(sessions, DEPARTMENTS, NOW) == 8  # Monday 23rd to Monday 30th
    assert _live(sessions) == set()
    assert _live(sessions, selection=Selection(since=at(24, 12), until=at(26, 0))) == {at(24, 0).timestamp() // 86400}
    assert _figures(sessions) == everything
    assert refresh_rollup(sessions, DEPARTMENTS, NOW + timedelta(hours=1)) == 0  # nothing changed since


def test_a_change_after_the_rollup_shows_at_once_and_in_the_next_rollup(sessions):
    refresh_rollup(sessions, DEPARTMENTS, NOW)
    before = _figures(sessions, NOW + timedelta(hours=2))
    with sessions.begin() as session:  # a request of the 25th, resolved after the rollup ran
        insert_history(session, [_escalated(1, at(25, 9), minutes=int((NOW - at(25, 9)).total_seconds()) // 60 + 60)])
    after = _figures(sessions, NOW + timedelta(hours=2))
    assert after["all"]["requests"] == before["all"]["requests"] + 1
    assert after["hr"]["staff_resolved"] == before["hr"]["staff_resolved"] + 1
    assert refresh_rollup(sessions, DEPARTMENTS, NOW + timedelta(hours=2)) >= 1
    assert _live(sessions) == set()
    assert _figures(sessions, NOW + timedelta(hours=2)) == after


def test_other_working_hours_make_every_rolled_up_day_stale(sessions):
    refresh_rollup(sessions, DEPARTMENTS, NOW)
    always = {k: d.model_copy(update={"working_hours": None}) for k, d in DEPARTMENTS.items()}
    assert _live(sessions, always) == _every_day(sessions)
    it = _figures(sessions, departments=always)["it"]
    assert it["first_response_median_working"] == it["first_response_median"]  # no working hours: wall time


@pytest.mark.parametrize("rolled", [False, True])
def test_a_big_group_s_percentiles_come_from_a_fixed_sample(sessions, monkeypatch, rolled):
    minutes = list(range(1, 401))
    with sessions.begin() as session:
        insert_history(session, [_escalated(i, at(24, 9) + timedelta(seconds=i), m) for i, m in enumerate(minutes)])
    if rolled:
        refresh_rollup(sessions, DEPARTMENTS, NOW)
    exact = compute_report(sessions, DEPARTMENTS, Selection(department="hr"), NOW).overall.timings["handling"]
    assert (exact.n, exact.read, exact.estimated) == (401, 401, False)  # 400 here and one of the history
    monkeypatch.setitem(mq.SAMPLE, "all", 40)
    sampled = compute_report(sessions, DEPARTMENTS, Selection(department="hr"), NOW).overall.timings["handling"]
    assert sampled.n == 401 and sampled.estimated and 20 <= sampled.read <= 70
    assert abs(sampled.median - exact.median) <= 0.2 * exact.median
    asked = compute_report(sessions, DEPARTMENTS, Selection(department="hr"), NOW, exact=True).overall
    assert asked.timings["handling"] == exact  # `helploop report --exact`: every value, whatever the group's size
    assert exact.median == pytest.approx(statistics.median([m * 60 for m in minutes] + [3300]), abs=60)


def test_sample_share_reads_every_row_of_a_small_group():
    assert mq.sample_share(10, 1000) == mq.SAMPLES
    assert mq.sample_share(1_000_000, 20_000) == 20
    assert mq.sample_share(20_001, 20_000) == 1000  # ceil: never fewer than the target


def test_the_worker_rolls_up_with_the_served_kb_and_its_clock(sessions, caplog):
    kb = load_kb(EXAMPLE)
    rollup = Rollup(sessions, lambda: kb, ManualClock(NOW))
    with caplog.at_level(logging.INFO, logger="bot.rollup"):
        assert rollup.run() == 8
    assert "report rollup: 8 days" in caplog.text
    assert rollup.run() == 0 and _live(sessions) == set()


def test_the_scheduler_runs_the_rollup_every_five_minutes():
    scheduler = start_scheduler(lambda: None, 3600, lambda: None, 3600, rollup=lambda: None)
    try:
        job = scheduler.get_job("rollup")
        assert job is not None and job.trigger.interval == timedelta(minutes=5)
        assert job.next_run_time <= datetime.now(UTC) + timedelta(minutes=1, seconds=1)
    finally:
        scheduler.shutdown(wait=False)
