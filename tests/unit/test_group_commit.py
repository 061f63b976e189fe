"""GroupCommit: concurrent rows share one write; every caller gets its own result or the batch's error."""
from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import pytest

from storage.group_commit import GroupCommit, NotQueuedInTime


class SlowWriter:
    """Records each batch; the first write blocks until released, so others queue behind it."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.batches: list[list[str]] = []
        self.release = threading.Event()
        self.writing = threading.Event()
        self.fail_on = fail_on

    def __call__(self, rows: Sequence[str]) -> list[str]:
        self.batches.append(list(rows))
        self.writing.set()
        self.release.wait(5)
        if self.fail_on in rows:
            raise RuntimeError("disk full")
        return [row.upper() for row in rows]


def submit_in_threads(group: GroupCommit, rows: list[str], timeout: float = 5.0) -> dict[str, object]:
    outcomes: dict[str, object] = {}

    def one(row: str) -> None:
        try:
            outcomes[row] = group.submit(row, timeout)
        except Exception as error:  # recorded for the assertions
            outcomes[row] = error

    threads = [threading.Thread(target=one, args=(row,)) for row in rows]
    for thread in threads:
        thread.start()
    outcomes["_threads"] = threads
    return outcomes


def join(outcomes: dict[str, object]) -> dict[str, object]:
    for thread in outcomes["_threads"]:  # type: ignore[union-attr]
        thread.join(5)
    return {row: outcome for row, outcome in outcomes.items() if row != "_threads"}


def test_a_lone_row_is_written_at_once_in_its_own_batch():
    writer = SlowWriter()
    writer.release.set()
    assert GroupCommit(writer).submit("a", timeout=1) == "A"
    assert writer.batches == [["a"]]


def test_rows_queued_behind_a_write_share_the_next_batch():
    writer = SlowWriter()
    group = GroupCommit(writer, patience=5)
    first = submit_in_threads(group, ["first"])
    assert writer.writing.wait(5)
    queued = submit_in_threads(group, ["b", "c", "d"])
    time.sleep(0.2)  # all three are waiting behind the first write
    writer.release.set()
    assert join(first) == {"first": "FIRST"}
    assert join(queued) == {"b": "B", "c": "C", "d": "D"}
    assert writer.batches[0] == ["first"]
    assert sorted(writer.batches[1]) == ["b", "c", "d"] and len(writer.batches) == 2


def test_a_failed_batch_fails_each_of_its_rows_and_not_the_next():
    writer = SlowWriter(fail_on="bad")
    group = GroupCommit(writer, patience=5)
    first = submit_in_threads(group, ["first"])
    assert writer.writing.wait(5)
    queued = submit_in_threads(group, ["bad", "also"])
    time.sleep(0.2)
    writer.release.set()
    assert join(first) == {"first": "FIRST"}
    failed = join(queued)
    assert all(isinstance(e, RuntimeError) and str(e) == "disk full" for e in failed.values()), failed
    writer.fail_on = None
    assert group.submit("later", timeout=1) == "LATER"


def test_behind_a_write_slower_than_the_patience_a_row_is_refused_at_once_not_at_its_deadline():
    writer = SlowWriter()
    group = GroupCommit(writer, patience=0.1)
    first = submit_in_threads(group, ["first"])
    assert writer.writing.wait(5)
    started = time.monotonic()
    with pytest.raises(NotQueuedInTime):
        group.submit("stuck", timeout=5)
    assert time.monotonic() - started < 1, "waited for the stalled write instead of refusing"
    writer.release.set()
    assert join(first) == {"first": "FIRST"}
    assert all("stuck" not in batch for batch in writer.batches)


def test_a_row_nobody_takes_in_time_is_withdrawn_unwritten():
    writer = SlowWriter()
    group = GroupCommit(writer, patience=5)
    first = submit_in_threads(group, ["first"])
    assert writer.writing.wait(5)
    with pytest.raises(NotQueuedInTime):
        group.submit("late", timeout=0.1)
    writer.release.set()
    join(first)
    assert group.submit("after", timeout=1) == "AFTER"
    assert all("late" not in batch for batch in writer.batches)


def test_batches_are_capped_and_every_row_is_written_once():
    writer = SlowWriter()
    group = GroupCommit(writer, max_batch=3, patience=5)
    first = submit_in_threads(group, ["first"])
    assert writer.writing.wait(5)
    rows = [f"r{i}" for i in range(10)]
    queued = submit_in_threads(group, rows)
    time.sleep(0.3)
    writer.release.set()
    join(first)
    assert join(queued) == {row: row.upper() for row in rows}
    written = [row for batch in writer.batches[1:] for row in batch]
    assert sorted(written) == sorted(rows) and max(len(b) for b in writer.batches) <= 3
