"""Engine and session factory; SQLite is tuned so concurrent writers queue instead of failing."""
from __future__ import annotations

import heapq
import itertools
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

# Connections kept open: the worker's threads (8 inbox workers, 16 senders, the scheduler) use one each at
# once. With fewer kept, every transaction beyond them opened a connection and closed it afterwards
# (SQLite: 0.9 opened per answered event; PostgreSQL: a new backend each time). Opened on demand only.
POOL_SIZE = 26
POOL_OVERFLOW = 10
# How often an eager engine looks for SQLite's write lock: another web process's commit holds it for
# ~0.4 ms, so looking every millisecond made each waiting ack batch wait a whole millisecond (1.03 vs
# 1.24 x the bare app's events/s with two web processes, bench/README.md "Load, round 4"). After the
# first 20 ms the holder is a long transaction (or a stall), and looking less often costs less CPU.
POLL_SECONDS = 0.0002
POLL_FAST_FOR_SECONDS = 0.02


def make_engine(url: str, timeout_seconds: float = 30.0, *, eager: bool = False) -> Engine:
    """An engine for a SQLAlchemy URL (sqlite:///file.db or postgresql+psycopg://...).

    No statement, lock wait or wait for a pooled connection lasts longer than `timeout_seconds`: a
    stalled database makes the caller fail fast instead of holding its thread. `eager` (SQLite, the
    engine that stores Slack requests): while another process holds the write lock, look again every
    0.2 ms instead of SQLite's backing-off naps (up to 100 ms), so acks get the lock first.
    """
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": timeout_seconds},
                               pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW, pool_timeout=timeout_seconds,
                               hide_parameters=True)
        _tune_sqlite(engine, timeout_seconds, _turns_for(make_url(url).database), eager)
        return engine
    millis = int(timeout_seconds * 1000)
    given = make_url(url).query.get("options", "")  # e.g. a search_path: keep it, add the timeouts
    options = " ".join(filter(None, [given if isinstance(given, str) else " ".join(given),
                                     f"-c statement_timeout={millis} -c lock_timeout={millis}"]))
    # hide_parameters: an error message must not carry a question's text into the log.
    return create_engine(url, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW,
                         pool_timeout=timeout_seconds,
                         hide_parameters=True,
                         connect_args={"options": options, "connect_timeout": max(1, int(timeout_seconds))})


def make_sessions(engine: Engine) -> sessionmaker[Session]:
    """A session factory; callers own the unit of work (`with sessions.begin() as s: ...`)."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def one_statement(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A session for one self-contained write statement, committed when the block ends.

    On PostgreSQL the statement runs in autocommit: it is its own transaction, committed - and, with
    synchronous_commit left on, flushed to the WAL - before it returns, which saves the BEGIN and COMMIT
    round trips. SQLite keeps its ordinary BEGIN IMMEDIATE transaction.
    """
    with sessions() as session:
        if session.get_bind().dialect.name == "postgresql":
            session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        yield session
        session.commit()


class _Turns:
    """Whose turn it is to take SQLite's one write lock, among this process's threads (one per file).

    SQLite's busy handler lets a waiting writer sleep and look again, up to 100 ms between looks, so it
    misses releases that other waiters take: under load an ack waited up to a second behind background
    work (bench/README.md, "Load"). Here the turn passes the moment a transaction ends, to the waiter
    whose deadline (when it began waiting + its engine's timeout) comes first: storing a Slack request
    (1.5 s budget) goes before processing and sending (30 s). A turn spans what SQLite's lock spans,
    BEGIN IMMEDIATE to COMMIT/ROLLBACK, so it adds no wait SQLite would not impose; other processes
    (replicas, the CLI) still meet on SQLite's lock, waited for with what is left of the budget.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holder: Any = None
        self._waiting: list[tuple[float, int, threading.Condition]] = []  # heap of (deadline, ticket, its wake-up)
        self._tickets = itertools.count()

    def take(self, owner: Any, budget: float) -> float:
        """Wait for the turn; returns the seconds left of `budget` (0 when it ran out first: no turn)."""
        deadline = time.monotonic() + budget
        with self._lock:
            if self._holder is None and not self._waiting:  # nobody writing or waiting: no queue to join
                self._holder = owner
                return max(budget, 0.001)
            entry = (deadline, next(self._tickets), threading.Condition(self._lock))
            heapq.heappush(self._waiting, entry)
            try:
                while self._holder is not None or self._waiting[0] is not entry:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return 0.0
                    entry[2].wait(left)
                self._holder = owner
                return max(deadline - time.monotonic(), 0.001)
            finally:
                self._waiting.remove(entry)
                heapq.heapify(self._waiting)
                self._wake_first()  # when this waiter gave up, whoever is first now may take a free turn

    def give_back(self, owner: Any) -> None:
        """End `owner`'s turn; nothing when it holds none."""
        owner = getattr(owner, "dbapi_connection", owner)  # SQLAlchemy passes its proxy or the raw connection
        with self._lock:
            if owner is not None and self._holder is owner:
                self._holder = None
                self._wake_first()

    def _wake_first(self) -> None:
        # Only the waiter whose turn it is wakes: waking all of them (8 inbox workers, 16 senders) to find
        # out cost the worker process more CPU than the turn itself (bench/README.md, "Load, round 3").
        if self._holder is None and self._waiting:
            self._waiting[0][2].notify()


_TURNS: dict[str, _Turns] = {}
_BUSY_MS = "helploop.busy_timeout_ms"  # a pooled SQLite connection's busy timeout as last set (its record's info)
_TURNS_LOCK = threading.Lock()


def _turns_for(database: str | None) -> _Turns | None:
    """The turns of a database file (None for an in-memory database: each connection has its own)."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    with _TURNS_LOCK:
        return _TURNS.setdefault(os.path.realpath(database), _Turns())


def _tune_sqlite(engine: Engine, timeout_seconds: float, turns: _Turns | None, eager: bool = False) -> None:
    # pysqlite's own BEGIN is deferred, so two writers that both read first deadlock with
    # "database is locked"; taking the write lock at BEGIN makes them wait for each other.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, record) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(timeout_seconds * 1000)}")
        record.info[_BUSY_MS] = int(timeout_seconds * 1000)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        if turns is None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            return
        owner = conn.connection.dbapi_connection
        left = turns.take(owner, timeout_seconds)
        if not left:  # what SQLite's busy timeout would have said
            raise OperationalError("BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked"))
        try:
            # Another process may hold the lock: wait for it only what is left of this caller's budget.
            _begin_polling(owner, left) if eager else _begin_waiting(conn, conn.connection.info, owner, left)
        except BaseException:
            turns.give_back(owner)
            raise

    if turns is None:
        return

    # The turn ends with the transaction: after the COMMIT or ROLLBACK itself, or when the connection
    # goes back to the pool, is closed or is invalidated without either.
    dialect = engine.dialect
    commit, rollback = dialect.do_commit, dialect.do_rollback

    def do_commit(dbapi_connection) -> None:
        try:
            commit(dbapi_connection)
        finally:
            turns.give_back(dbapi_connection)

    def do_rollback(dbapi_connection) -> None:
        try:
            rollback(dbapi_connection)
        finally:
            turns.give_back(dbapi_connection)

    dialect.do_commit, dialect.do_rollback = do_commit, do_rollback  # type: ignore[method-assign]
    for name in ("checkin", "close", "invalidate"):
        event.listen(engine.pool, name, lambda dbapi_connection, *_: turns.give_back(dbapi_connection))


def _begin_waiting(conn: Any, info: dict[str, Any], dbapi_connection: Any, budget: float) -> None:
    """BEGIN IMMEDIATE, waiting for another process's write lock with SQLite's busy handler.

    The busy timeout is set to what is left of the budget only when the connection's current one is more than
    5 % off: the turn usually comes within milliseconds, and a PRAGMA before every transaction was one
    statement in five of the worker's (bench/README.md, "Load, round 3")."""
    millis = int(budget * 1000)
    if not 0.95 * millis <= info.get(_BUSY_MS, -1) <= 1.05 * millis:
        dbapi_connection.execute(f"PRAGMA busy_timeout={millis}")
        info[_BUSY_MS] = millis
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _begin_polling(dbapi_connection: Any, budget: float) -> None:
    """BEGIN IMMEDIATE, trying again every POLL_SECONDS while another process holds the write lock.

    SQLite's own busy handler sleeps longer the longer it waits (up to 100 ms between looks), so a
    writer that has waited a while misses the moments the lock is free: measured in bench/load.py as
    acks refused while the worker process kept taking the lock back.
    """
    started = time.monotonic()
    deadline = started + budget
    dbapi_connection.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                dbapi_connection.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                now = time.monotonic()
                if "locked" not in str(error) or now >= deadline:
                    raise OperationalError("BEGIN IMMEDIATE", None, error) from None
                time.sleep(POLL_SECONDS if now - started < POLL_FAST_FOR_SECONDS else 0.001)
    finally:
        dbapi_connection.execute(f"PRAGMA busy_timeout={max(1, int((deadline - time.monotonic()) * 1000))}")


def ping(engine: Engine) -> bool:
    """True when the database answers a trivial query (for the health endpoint)."""
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
        return True
    except Exception:  # any failure means "not healthy"; the caller reports it
        return False
