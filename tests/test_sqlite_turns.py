"""SQLite write turns (storage/engine.py): within one process the write lock passes, the moment it is
released, to the waiter whose deadline comes first, so a Slack ack (1.5 s budget) goes before
background work (30 s) that began waiting earlier."""
from __future__ import annotations

import sqlite3
import threading
import time

from sqlalchemy import text

from storage.engine import make_engine


def test_the_waiter_with_the_nearest_deadline_writes_first_not_the_quickest_to_look_again(tmp_path):
    url = f"sqlite:///{tmp_path / 'turns.db'}"
    background, acks = make_engine(url, timeout_seconds=30), make_engine(url, timeout_seconds=1.5)
    with background.begin() as connection:
        connection.execute(text("CREATE TABLE t (who TEXT)"))
    order: list[str] = []
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with background.begin() as connection:
            connection.execute(text("INSERT INTO t VALUES ('holder')"))
            holding.set()
            release.wait(5)

    def write(engine, who: str) -> None:
        with engine.begin() as connection:
            order.append(who)
            connection.execute(text("INSERT INTO t VALUES (:who)"), {"who": who})

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(5)
    fast = threading.Thread(target=write, args=(acks, "ack"))
    fast.start()
    # SQLite's own busy handler backs off: a waiter that has waited long looks again only every 100 ms,
    # so a writer that arrives just before the release would usually win. With turns, the nearer deadline wins.
    time.sleep(0.8)
    slow = threading.Thread(target=write, args=(background, "background"))
    slow.start()
    time.sleep(0.05)
    release.set()
    for thread in (holder, slow, fast):
        thread.join(5)
    assert order == ["ack", "background"]
    with acks.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM t")).scalar() == 3
    background.dispose()
    acks.dispose()


def test_a_waiter_whose_budget_runs_out_gets_database_is_locked(tmp_path):
    url = f"sqlite:///{tmp_path / 'turns.db'}"
    holder_engine, impatient = make_engine(url, timeout_seconds=30), make_engine(url, timeout_seconds=0.3)
    with holder_engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
        started = time.monotonic()
        try:
            with impatient.begin() as other:
                other.execute(text("INSERT INTO t VALUES (1)"))
            raise AssertionError("wrote while another transaction held the lock")
        except Exception as error:  # OperationalError: what SQLite's own busy timeout says
            assert "database is locked" in str(error)
        assert 0.25 <= time.monotonic() - started < 2
    holder_engine.dispose()
    impatient.dispose()


def test_an_eager_engine_takes_the_lock_in_the_short_gap_another_process_leaves(tmp_path):
    """Another process (here a raw sqlite3 connection: outside this process's turns) holds the write lock
    for 400 ms, lets go for 5 ms, and takes it again. SQLite's own busy handler naps up to 100 ms at
    a time and usually sleeps through the gap; the eager engine (acks) looks every millisecond."""
    path = tmp_path / "eager.db"
    acks = make_engine(f"sqlite:///{path}", timeout_seconds=1.5, eager=True)
    with acks.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holding, stop = threading.Event(), threading.Event()

    def hog() -> None:
        while not stop.is_set():
            other.execute("BEGIN IMMEDIATE")
            holding.set()
            time.sleep(0.4)
            other.execute("COMMIT")
            time.sleep(0.005)

    thread = threading.Thread(target=hog)
    thread.start()
    try:
        assert holding.wait(5)
        started = time.monotonic()
        with acks.begin() as connection:
            connection.execute(text("INSERT INTO t VALUES (1)"))
        assert time.monotonic() - started < 0.9  # in the first or second gap, well inside its 1.5 s
    finally:
        stop.set()
        thread.join(5)
        other.close()
        acks.dispose()
