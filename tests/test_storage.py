"""Storage on SQLite and PostgreSQL: migrations match the models, conditional updates, timers."""
from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from storage import migrate, queries
from storage.engine import make_engine, make_sessions, ping
from storage.models import Base, Request, TimerState
from bot.words import Status, TimerKind

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def sessions(database_url):
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    yield make_sessions(engine)
    engine.dispose()


def _request(session, root_ts="1.0001", **overrides) -> Request | None:
    fields = dict(channel_id="D1", root_ts=root_ts, message_ts=root_ts, reply_thread_ts=None, user_id="U1",
                  source="dm", text="printer broken", department_id="it", status=Status.ESCALATED,
                  reopen_count=0, created_at=NOW, updated_at=NOW)
    fields.update(overrides)
    return queries.add_request(session, **fields)


def test_migrations_create_exactly_the_models(database_url):
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    migrate.upgrade(engine)  # idempotent on an up-to-date schema
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    migrate.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()


def test_datetimes_come_back_timezone_aware_utc(sessions):
    with sessions.begin() as s:
        request_id = _request(s).id
    with sessions.begin() as s:
        stored = queries.get_request(s, request_id)
        assert stored.created_at == NOW
        assert stored.created_at.utcoffset() == timedelta(0)


def test_one_request_per_channel_and_thread_root(sessions):
    with sessions.begin() as s:
        assert _request(s) is not None
    with sessions.begin() as s:
        assert _request(s) is None  # the same Slack message again (a retry)
        assert _request(s, root_ts="1.0002") is not None
    with sessions.begin() as s:
        assert queries.count_requests_by(s, "status") == {"escalated": 2}


def test_concurrent_conditional_transition_has_one_winner(sessions):
    with sessions.begin() as s:
        request_id = _request(s).id
    barrier = threading.Barrier(8)
    wins: list[str] = []

    def claim(user: str) -> None:
        barrier.wait()
        with sessions.begin() as s:
            if queries.transition(s, request_id, [Status.ESCALATED], Status.CLAIMED, claimed_by=user):
                wins.append(user)

    threads = [threading.Thread(target=claim, args=(f"U{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1
    with sessions.begin() as s:
        assert queries.get_request(s, request_id).claimed_by == wins[0]


def test_timers_are_claimed_once_and_leases_expire(sessions):
    with sessions.begin() as s:
        request_id = _request(s).id
        queries.schedule_timer(s, request_id, TimerKind.FOLLOWUP, NOW + timedelta(hours=1), NOW)
    lease = timedelta(minutes=5)
    with sessions.begin() as s:
        assert queries.claim_due_timers(s, NOW, lease, 10) == []  # not due yet
    later = NOW + timedelta(hours=1)
    with sessions.begin() as s:
        [timer] = queries.claim_due_timers(s, later, lease, 10)
        assert (timer.state, timer.attempts, timer.lease_until) == (TimerState.RUNNING, 1, later + lease)
        timer_id = timer.id
    with sessions.begin() as s:
        assert queries.claim_due_timers(s, later + timedelta(minutes=1), lease, 10) == []  # leased
    lease_over = later + timedelta(minutes=6)  # the worker died: its lease ran out
    with sessions.begin() as s:
        [retaken] = queries.claim_due_timers(s, lease_over, lease, 10)
        assert (retaken.id, retaken.attempts) == (timer_id, 2)
        queries.finish_timer(s, timer_id, lease_over)
    with sessions.begin() as s:
        assert queries.claim_due_timers(s, lease_over + timedelta(days=1), lease, 10) == []


def test_concurrent_workers_claim_disjoint_batches(sessions):
    with sessions.begin() as s:
        request_id = _request(s).id
        for i in range(300):
            queries.schedule_timer(s, request_id, TimerKind.FOLLOWUP, NOW - timedelta(seconds=i), NOW)
    claimed: list[list[int]] = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        mine: list[int] = []
        barrier.wait()
        while True:
            with sessions.begin() as s:
                batch = [t.id for t in queries.claim_due_timers(s, NOW, timedelta(minutes=5), 25)]
            if not batch:
                break
            mine.extend(batch)
        claimed.append(mine)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = [timer_id for mine in claimed for timer_id in mine]
    assert len(every) == 300 and len(set(every)) == 300


def test_cancel_timers_only_touches_pending_of_that_kind(sessions):
    with sessions.begin() as s:
        request_id = _request(s).id
        queries.schedule_timer(s, request_id, TimerKind.FOLLOWUP, NOW, NOW)
        queries.schedule_timer(s, request_id, TimerKind.FOLLOWUP_EXPIRY, NOW, NOW)
    with sessions.begin() as s:
        assert queries.cancel_timers(s, request_id, [TimerKind.FOLLOWUP_EXPIRY], NOW) == 1
        assert [t.kind for t in queries.pending_timers(s, request_id)] == [TimerKind.FOLLOWUP]


def test_audit_rows_keep_order_and_detail(sessions):
    with sessions.begin() as s:
        request_id = _request(s).id
        queries.add_audit(s, request_id, at=NOW, actor="U1", action="created", from_status=None,
                          to_status="escalated", detail={"score": 12.5, "note": "mật khẩu"})
        queries.add_audit(s, request_id, at=NOW, actor="U2", action="claimed", from_status="escalated",
                          to_status="claimed")
    with sessions.begin() as s:
        trail = queries.audit_trail(s, request_id)
        assert [(a.actor, a.action, a.from_status, a.to_status) for a in trail] == [
            ("U1", "created", None, "escalated"), ("U2", "claimed", "escalated", "claimed")]
        assert "mật khẩu" in trail[0].detail


def test_ping_tells_a_reachable_database_from_an_unreachable_one(database_url):
    assert ping(make_engine(database_url)) is True
    assert ping(make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")) is False
