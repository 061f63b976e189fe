"""Group commit: concurrent callers' rows are written in one transaction and one flush to disk.

Storing a Slack request must be durable before it is acknowledged, and a durable commit costs one
flush of the log to disk (SQLite's WAL fsync, PostgreSQL's WAL flush) whatever the transaction holds.
Acks arriving together therefore share one: the first caller to find nobody writing becomes the
leader, takes every row queued so far (its own included), writes them in one statement and commits;
the others wait for that commit. Whoever queued while a batch was being written leads the next one.
No thread of its own: an idle store costs nothing, a lone caller writes at once.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Row = TypeVar("Row")
Result = TypeVar("Result")


class NotQueuedInTime(TimeoutError):
    """The row waited for a writer longer than its caller could (nothing was written for it)."""


@dataclass
class _Slot(Generic[Row, Result]):
    row: Row
    done: bool = False
    taken: bool = False
    result: Result | None = None
    error: BaseException | None = field(default=None)


class GroupCommit(Generic[Row, Result]):
    """Writes rows through `write_batch` (one transaction, one result per row, in order)."""

    def __init__(self, write_batch: Callable[[Sequence[Row]], Sequence[Result]], max_batch: int = 64,
                 patience: float = 0.2) -> None:
        self.write_batch, self.max_batch, self.patience = write_batch, max_batch, patience
        self._cond = threading.Condition()
        self._queue: list[_Slot[Row, Result]] = []
        self._writing = False
        self._batch_started = 0.0

    def submit(self, row: Row, timeout: float) -> Result:
        """Write `row` durably (alone or with others); raises what the write raised, or NotQueuedInTime."""
        slot: _Slot[Row, Result] = _Slot(row)
        deadline = time.monotonic() + timeout
        with self._cond:
            self._queue.append(slot)
        while not slot.done:
            batch = self._wait_or_take(slot, deadline)
            if batch:
                self._lead(batch)
        if slot.error is not None:
            raise slot.error
        return slot.result  # type: ignore[return-value]

    def _wait_or_take(self, slot: _Slot[Row, Result], deadline: float) -> list[_Slot[Row, Result]]:
        """Wait while another caller writes; then either our row is done, or we take the next batch."""
        with self._cond:
            while self._writing and not slot.done:
                now = time.monotonic()
                # A write that takes longer than `patience` means a stalled database: refuse now rather
                # than wait for it and then spend a whole statement timeout of our own (the ack's budget
                # would be spent twice over).
                if not slot.taken and (now >= deadline or now - self._batch_started > self.patience):
                    self._queue.remove(slot)
                    raise NotQueuedInTime("the database is not taking writes in time")
                # A taken row's batch is bounded by the write's own statement timeout: wait for it.
                self._cond.wait(min(deadline - now, self.patience) if deadline > now else 0.05)
            if slot.done:
                return []
            self._writing, self._batch_started = True, time.monotonic()
            batch, self._queue = self._queue[:self.max_batch], self._queue[self.max_batch:]
            for queued in batch:
                queued.taken = True
            return batch

    def _lead(self, batch: list[_Slot[Row, Result]]) -> None:
        try:
            results = self.write_batch([slot.row for slot in batch])
            for slot, result in zip(batch, results, strict=True):
                slot.result = result
        except BaseException as error:  # every row of the batch failed with it: each caller is told
            for slot in batch:
                slot.error = error
        finally:
            with self._cond:
                for slot in batch:
                    slot.done = True
                self._writing = False
                self._cond.notify_all()
