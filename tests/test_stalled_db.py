"""A stalled database changes nothing: Slack is answered in time, /health stays fast, nothing is lost or doubled.

Another connection holds a long lock (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: `LOCK TABLE ... IN ACCESS
EXCLUSIVE MODE`) while signed requests come in over HTTP, more at once than the server has threads. A
request the inbox cannot store is refused with 503 inside the ack budget, so Slack sends it again; after the
lock is gone, Slack's retry (same event_id, X-Slack-Retry-Num: 1) is taken and every question is answered
exactly once (counted as the chat.postMessage calls LocalSlack answered ok, per DM channel).
"""
from __future__ import annotations

import json
import socket
import sqlite3
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from localslack.sender import SimResponse
from storage.models import Delivery, DeliveryState, InboxItem, InboxState, Request
from storage.engine import make_engine
from tests.flows import kb_phrasing, text_of
from tests.harness import Harness, running
from wiring.app import HealthCheck

ACK_LIMIT = 2.5        # the ack budget is 1.5 s; Slack gives up after 3 s
HEALTH_LIMIT = 1.0
WAITRESS_THREADS = 12  # wiring.server.Server's default
BURST = 16             # more requests at once than the server has threads
STALL_SECONDS = 3.0    # how long the lock is held once the burst is answered


# --- holding a lock from outside the app ---------------------------------------------------------

@contextmanager
def sqlite_write_lock(database_url: str) -> Iterator[None]:
    """Another process's writer: `BEGIN IMMEDIATE` on its own sqlite3 connection, held until the block ends."""
    path = make_url(database_url).database
    connection = sqlite3.connect(path, isolation_level=None, timeout=5)
    try:
        connection.execute("BEGIN IMMEDIATE")
        yield
        connection.execute("ROLLBACK")
    finally:
        connection.close()


@contextmanager
def postgres_table_lock(database_url: str, table: str) -> Iterator[None]:
    """`LOCK TABLE <table> IN ACCESS EXCLUSIVE MODE` in an open transaction, held until the block ends."""
    engine = create_engine(database_url, poolclass=None)
    try:
        with engine.connect() as connection:
            transaction = connection.begin()
            connection.execute(text(f'LOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE'))
            try:
                yield
            finally:
                transaction.rollback()
    finally:
        engine.dispose()


@contextmanager
def inbox_stall(database_url: str) -> Iterator[None]:
    """Nothing can be written to the inbox while the block runs."""
    if database_url.startswith("sqlite"):
        with sqlite_write_lock(database_url):
            yield
    else:
        with postgres_table_lock(database_url, "inbox"):
            yield


# --- what Slack and an operator see ----------------------------------------------------------------

@dataclass
class Asked:
    """One question sent during the stall and how the app answered it."""

    user: str
    channel: str
    response: SimResponse


@dataclass
class Health:
    status: int
    body: dict
    elapsed: float


def health(h: Harness) -> Health:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(f"{h.server.url}/health", timeout=10) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    return Health(status, json.loads(body), time.perf_counter() - started)


def ask_at_once(h: Harness, question: str, prefix: str, count: int = BURST) -> list[Asked]:
    """`count` people DM the bot at the same moment (one thread each), each in their own DM."""
    people = [(f"U0ST{prefix}{n:03d}", f"D0ST{prefix}{n:03d}") for n in range(count)]
    start = threading.Barrier(count)

    def ask(person: tuple[str, str]) -> Asked:
        user, channel = person
        start.wait()
        return Asked(user, channel, h.sim.message(user, question, channel))

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(ask, people))


def answered_in_time(asked: list[Asked], statuses: set[int]) -> None:
    for a in asked:
        r = a.response
        assert r.status in statuses, (a.channel, r.status, r.body)
        assert r.elapsed < ACK_LIMIT, f"{a.channel}: answered after {r.elapsed:.2f}s ({r.status})"
        if r.status == 503:
            assert r.json() == {"error": "try_again"}


def posts(h: Harness, channel: str) -> list:
    return [c for c in h.slack.calls("chat.postMessage")
            if c.ok and (c.response.get("channel") or c.args.get("channel")) == channel]


def settled(h: Harness) -> bool:
    """Nothing stored is waiting: every inbox item done, every delivery finished."""
    with h.app.sessions.begin() as session:
        states = dict(session.execute(select(InboxItem.state, func.count()).group_by(InboxItem.state)).all())
        unfinished = session.scalar(select(func.count()).select_from(Delivery).where(
            Delivery.state.in_([DeliveryState.PENDING, DeliveryState.SENDING])))
    return set(states) <= {InboxState.DONE} and unfinished == 0


def eventually(probe: Callable[[], object], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not probe():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        time.sleep(0.05)


def each_answered_once(h: Harness, asked: list[Asked]) -> None:
    """Every DM got exactly one answer, and nothing else was decided twice."""
    eventually(lambda: all(posts(h, a.channel) for a in asked), "every question answered")
    eventually(lambda: settled(h), "inbox and outbox settled")
    h.app.inbox.run_due()           # anything left behind would be taken up now...
    h.app.dispatcher.run_due()      # ...and sent
    for a in asked:
        answers = posts(h, a.channel)
        assert len(answers) == 1, (a.channel, [text_of(c) for c in answers])
        assert "[That solved it]" in text_of(answers[0])
    with h.app.sessions.begin() as session:
        per_channel = dict(session.execute(select(Request.channel_id, func.count())
                                           .group_by(Request.channel_id)).all())
    assert {a.channel: per_channel.get(a.channel) for a in asked} == {a.channel: 1 for a in asked}


def retry_refused(h: Harness, asked: list[Asked]) -> None:
    """Slack sends each refused event again (same event_id and ts) with X-Slack-Retry-Num: 1."""
    for a in asked:
        if a.response.status != 200:
            retry = h.sim.event(a.response.payload, retry_num=1, retry_reason="http_error")
            assert retry.status == 200, (a.channel, retry.status, retry.body)
            assert retry.elapsed < ACK_LIMIT


# --- the tests -----------------------------------------------------------------------------------

def test_a_locked_inbox_is_refused_in_time_and_slacks_retry_is_answered_once(database_url):
    with running(database_url) as h:
        question = kb_phrasing(h, "it-printer")
        warm = ask_at_once(h, question, "W", count=2)  # connections open, the app answers normally
        answered_in_time(warm, {200})
        each_answered_once(h, warm)

        with inbox_stall(database_url):
            with ThreadPoolExecutor(max_workers=1) as side:
                burst = side.submit(ask_at_once, h, question, "S")
                time.sleep(0.3)          # every server thread is now waiting on the database...
                during = health(h)       # ...and yet the health check gets a thread and answers
                asked = burst.result()
            answered_in_time(asked, {503})      # nothing could be stored: refused, so Slack retries
            assert during.elapsed < HEALTH_LIMIT, during
            assert during.status in (200, 503) and "database" in during.body
            quiet = health(h)
            assert quiet.elapsed < HEALTH_LIMIT, quiet
            again = ask_at_once(h, question, "T", count=WAITRESS_THREADS + 2)  # no thread was left stuck
            answered_in_time(again, {503})
            assert len(h.slack.calls("chat.postMessage")) == len(warm)  # nothing new was answered meanwhile

        after = health(h)
        assert (after.status, after.body) == (200, {"status": "ok", "database": "ok"}) and after.elapsed < 1
        retry_refused(h, asked + again)
        each_answered_once(h, warm + asked + again)


def test_a_short_stall_inside_the_ack_budget_is_stored_and_answered_once(database_url):
    with running(database_url) as h:
        question = kb_phrasing(h, "it-printer")
        with ThreadPoolExecutor(max_workers=1) as side:
            with inbox_stall(database_url):
                burst = side.submit(ask_at_once, h, question, "Q", count=4)
                time.sleep(0.5)  # released while the requests still wait for the database
            asked = burst.result()
        answered_in_time(asked, {200, 503})
        assert any(a.response.status == 200 for a in asked), [a.response.status for a in asked]
        retry_refused(h, asked)
        each_answered_once(h, asked)


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_lock_on_requests_during_processing_is_waited_out_and_each_question_answered_once(database_url):
    with running(database_url) as h:
        question = kb_phrasing(h, "it-printer")
        warm = ask_at_once(h, question, "W", count=1)
        each_answered_once(h, warm)

        with postgres_table_lock(database_url, "requests"):
            asked = ask_at_once(h, question, "P")     # the inbox takes them: acknowledged at once
            answered_in_time(asked, {200})
            during = health(h)
            assert (during.status, during.body) == (200, {"status": "ok", "database": "ok"})
            assert during.elapsed < HEALTH_LIMIT
            time.sleep(STALL_SECONDS)                  # the workers wait for the lock...
            assert len(h.slack.calls("chat.postMessage")) == len(warm)  # ...and nothing was decided meanwhile
            with h.app.sessions.begin() as session:
                states = dict(session.execute(select(InboxItem.state, func.count())
                                              .group_by(InboxItem.state)).all())
            assert states.get(InboxState.FAILED, 0) == 0, states

        each_answered_once(h, warm + asked)
        with h.app.sessions.begin() as session:
            assert session.scalar(select(func.count()).select_from(InboxItem)
                                  .where(InboxItem.state != InboxState.DONE)) == 0


def test_health_answers_in_time_when_the_database_never_answers():
    """A server that accepts connections and then says nothing (a hung host, a half-open proxy)."""
    with socket.socket() as black_hole:
        black_hole.bind(("127.0.0.1", 0))
        black_hole.listen(16)
        port = black_hole.getsockname()[1]
        check = HealthCheck(make_engine(f"postgresql+psycopg://nobody@127.0.0.1:{port}/db", timeout_seconds=0.4))
        try:
            before = threading.active_count()
            for _ in range(3):  # one ping at a time: later checks wait for the same one, threads do not pile up
                started = time.perf_counter()
                assert check() is False
                assert time.perf_counter() - started < HEALTH_LIMIT
            assert threading.active_count() <= before + 1
        finally:
            check.close()
