"""Two dispatchers (two replicas: own engine, own outbox) drain one outbox table concurrently.

Each delivery is sent exactly once, the deliveries of one order key one at a time and in id order, also when
some sends fail and come back later. SQLite and PostgreSQL.
"""
from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from bot.clock import ManualClock
from bot.delivery import DeliveryError, Dispatcher, Outgoing, Sent
from bot.outbox import Outbox
from storage import delivery_queries, migrate
from storage.engine import make_engine, make_sessions
from storage.models import DeliveryState
from tests.harness import START

DELIVERIES, KEYS = 500, 50
FLAKY_EVERY = 7       # in the flaky run, the first try of every 7th delivery fails and is retried later


@dataclass
class Slack:
    """A recording Transport shared by both replicas: who sent what, when, and overlapping sends per key."""

    fail_first_try_of: frozenset[int] = frozenset()
    sends: list[tuple[str, int, str]] = field(default_factory=list)   # (replica, delivery id, key), in start order
    failures: list[int] = field(default_factory=list)
    overlaps: list[tuple[str, int, int]] = field(default_factory=list)
    _busy: dict[str, int] = field(default_factory=dict)
    _tried: set[int] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def replica(self, name: str) -> Replica:
        return Replica(self, name)

    def send(self, name: str, outgoing: Outgoing) -> Sent:
        key = outgoing.args["channel"]
        with self._lock:
            if key in self._busy:
                self.overlaps.append((key, self._busy[key], outgoing.id))
            self._busy[key] = outgoing.id
            first_try = outgoing.id not in self._tried
            self._tried.add(outgoing.id)
        try:
            time.sleep(random.uniform(0, 0.002))  # a Web API call takes a moment: let the replicas interleave
            if first_try and outgoing.id in self.fail_first_try_of:
                with self._lock:
                    self.failures.append(outgoing.id)
                raise DeliveryError("internal_error")
            with self._lock:
                self.sends.append((name, outgoing.id, key))
            return Sent(key, f"1700000000.{outgoing.id:06d}")
        finally:
            with self._lock:
                self._busy.pop(key, None)


@dataclass
class Replica:
    """One replica's Transport: the shared Slack, labelled."""

    slack: Slack
    name: str

    def send(self, outgoing: Outgoing) -> Sent:
        return self.slack.send(self.name, outgoing)


def _seed(engine: Engine, clock: ManualClock) -> dict[str, list[int]]:
    """500 pending deliveries over 50 keys, interleaved; returns each key's ids in id order."""
    rng = random.Random(20261123)
    by_key: dict[str, list[int]] = defaultdict(list)
    now = clock.now()
    with make_sessions(engine).begin() as session:  # no Outbox here: nothing is woken by the seeding
        for n in range(DELIVERIES):
            key = f"C{rng.randrange(KEYS):03d}"
            row = delivery_queries.add_delivery(
                session, request_id=None, order_key=f"to:{key}", method="chat.postMessage",
                args=json.dumps({"channel": key, "text": f"message {n}"}), purpose=None, edit_of=None,
                thread_of=None, link_of=None, due_at=now, created_at=now)
            by_key[key].append(row.id)
    return dict(by_key)


def _unfinished(engine: Engine) -> int:
    with make_sessions(engine).begin() as session:
        return len(delivery_queries.deliveries_of(session, states=["pending", "sending"]))


def _run(dispatcher: Dispatcher, barrier: threading.Barrier, errors: list[BaseException]) -> None:
    try:
        barrier.wait()
        dispatcher.run_due(timeout=60)
    except BaseException as error:  # reported by the test thread
        errors.append(error)


def _drain_together(dispatchers: list[Dispatcher], engine: Engine, clock: ManualClock, deadline: float) -> None:
    """Both replicas work at once until nothing is left (a retried row is due again after the clock moves)."""
    while _unfinished(engine):
        assert time.monotonic() < deadline, f"{_unfinished(engine)} deliveries still unfinished"
        barrier = threading.Barrier(len(dispatchers))
        errors: list[BaseException] = []
        threads = [threading.Thread(target=_run, args=(d, barrier, errors)) for d in dispatchers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=90)
        assert not errors, errors
        clock.advance(timedelta(minutes=1))  # past any backoff of a failed first try


@pytest.mark.parametrize("flaky", [False, True], ids=["clean", "flaky"])
def test_two_dispatchers_send_every_delivery_once_and_each_key_in_id_order(database_url, flaky):
    clock = ManualClock(START)
    engines = [make_engine(database_url) for _ in range(2)]
    migrate.upgrade(engines[0])
    by_key = _seed(engines[0], clock)
    all_ids = sorted(i for ids in by_key.values() for i in ids)
    slack = Slack(frozenset(all_ids[::FLAKY_EVERY]) if flaky else frozenset())
    dispatchers = []
    for n, engine in enumerate(engines):
        sessions = make_sessions(engine)
        dispatchers.append(Dispatcher(sessions, Outbox(sessions, clock), slack.replica(f"replica-{n}"), clock,
                                      workers=8))
    try:
        started = time.monotonic()
        _drain_together(dispatchers, engines[0], clock, deadline=started + 120)
    finally:
        for dispatcher in dispatchers:
            dispatcher.close()
        for engine in engines:
            engine.dispose()

    sent = Counter(i for _, i, _ in slack.sends)
    assert sorted(sent) == all_ids and set(sent.values()) == {1}, \
        f"sent twice: {[i for i, n in sent.items() if n > 1]}; never: {sorted(set(all_ids) - set(sent))}"
    assert slack.overlaps == [], "two sends of one key at once"
    for key, ids in by_key.items():
        assert [i for _, i, k in slack.sends if k == key] == ids, f"{key} out of order"
    if flaky:
        assert sorted(slack.failures) == all_ids[::FLAKY_EVERY]
    by_replica = Counter(name for name, _, _ in slack.sends)
    assert len(by_replica) == 2, f"only one replica did the work: {by_replica}"  # the test really ran both

    engine = make_engine(database_url)
    try:
        with make_sessions(engine).begin() as session:
            rows = delivery_queries.deliveries_of(session)
            assert {r.state for r in rows} == {DeliveryState.SENT}
            assert Counter(r.attempts for r in rows) == Counter(
                {1: DELIVERIES - len(slack.failures), **({2: len(slack.failures)} if flaky else {})})
    finally:
        engine.dispose()
