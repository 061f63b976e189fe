"""The way in: what Slack sends is stored before it is acknowledged, then processed by a worker.

The Slack edge calls `accept` on its own short-timeout sessions (so a stalled database makes it
answer "not now" and Slack retry, instead of acknowledging something it cannot keep), then
acknowledges, then `kick`s processing. A restart, or another replica, processes whatever was stored
and not finished: items are claimed with a lease, like timers.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.failpoints import failpoint
from bot.pacing import ArrivalPacer
from storage import inbox_queries
from storage.engine import one_statement
from storage.group_commit import GroupCommit
from storage.inbox_queries import NewInboxItem
from storage.models import InboxState

log = logging.getLogger(__name__)
RETRY_PAUSES = (0.2, 1.0)   # seconds between the tries of one item before it is given up
WORKER_PATIENCE = 30.0      # a worker's claim or finish waits for a slow write (no ack depends on it)


@dataclass(frozen=True)
class Stored:
    """One stored Slack request, as the processor gets it back."""

    id: int
    mode: str                  # "http" or "socket_mode"
    content_type: str | None
    body: str


class Processor(Protocol):
    """Carries out a stored Slack request (implemented by the Slack edge)."""

    def process(self, item: Stored) -> None:
        """Handle the request; raise when it could not be handled (it is tried again)."""

    def give_up(self, item: Stored) -> None:
        """The request could not be handled after every try: tell the person, if possible."""


class Inbox:
    """Stores Slack requests durably and processes them on a small pool of workers."""

    def __init__(self, intake: sessionmaker[Session], sessions: sessionmaker[Session], clock: Clock, *,
                 workers: int = 8, lease: timedelta = timedelta(seconds=20), budget: float = 1.5,
                 pacer: ArrivalPacer | None = None) -> None:
        self.intake, self.sessions, self.clock, self.lease, self.budget = intake, sessions, clock, lease, budget
        self._store = GroupCommit(self._store_batch)
        # The workers' own writes share transactions too: with 8 workers a claim or a finish usually finds
        # others queued behind the same write lock (SQLite) or commit (bench/README.md, "Load, round 3").
        self._claims = GroupCommit(self._claim_batch, patience=WORKER_PATIENCE)
        self._finishes = GroupCommit(self._finish_batch, patience=WORKER_PATIENCE)
        self.processor: Processor | None = None
        self.workers = workers
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="helploop-inbox")
        self._busy = threading.Condition()
        self._running = 0
        self._closed = False
        self._hand_off: Callable[[int], None] | None = None
        self.pacer = pacer or ArrivalPacer()

    def hand_off(self, to: Callable[[int], None]) -> None:
        """Let another process do the work: `kick` passes each stored id to `to` instead of a local worker."""
        self._hand_off = to

    def accept(self, key: str, mode: str, content_type: str | None, body: str) -> int | None:
        """Store one request (raises if the database cannot take it in time); None for a Slack retry."""
        return self._store.submit(NewInboxItem(key, mode, content_type, body), timeout=self.budget)

    def _store_batch(self, items: Sequence[NewInboxItem]) -> list[int | None]:
        with one_statement(self.intake) as session:  # PostgreSQL: committed when the INSERT returns
            return inbox_queries.add_inbox_items(session, items, self.clock.now())

    def kick(self, item_id: int) -> None:
        """Process a freshly stored item in the background (here, or in the process it is handed off to)."""
        if self._hand_off is not None:
            self._hand_off(item_id)
            return
        self.pacer.arrived()
        self._submit(item_id)

    def run_due(self, wait: bool = True, timeout: float = 30.0) -> int:
        """Process stored items nobody is working on (after a restart, or past a dead worker's lease)."""
        with self._busy:
            free = self.workers - self._running
        # Only as many as can start now, and each is claimed (its lease begins) when a worker takes it:
        # an item claimed here but left queued behind a backlog would outlive its lease and be run twice.
        with self.sessions.begin() as session:
            items = inbox_queries.due_inbox_ids(session, self.clock.now(), free) if free > 0 else []
        for item_id in items:
            self._submit(item_id)
        if wait:
            self.wait_idle(timeout)
        return len(items)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until no item is being processed; False on timeout."""
        with self._busy:
            return self._busy.wait_for(lambda: self._running == 0, timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Stop taking work; let the items being processed finish."""
        self._closed = True
        self.wait_idle(timeout)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _submit(self, item_id: int) -> None:
        if self._closed:
            return  # stored: the next process (or replica) picks it up
        with self._busy:
            self._running += 1
        try:
            self._pool.submit(self._work, item_id)
        except RuntimeError:
            self._done()

    def _done(self) -> None:
        with self._busy:
            self._running -= 1
            self._busy.notify_all()

    def _work(self, item_id: int) -> None:
        try:
            self.pacer.hold_back()  # acks first (bot/pacing.py); claimed after, so the lease starts now
            item = self._claim(item_id)
            if item is not None:
                self._process(item)
        except Exception:  # the row keeps its lease and comes back; never lose the worker
            log.exception("inbox: item %s could not be processed", item_id)
        finally:
            self._done()

    def _claim(self, item_id: int) -> Stored | None:
        return self._claims.submit(item_id, timeout=WORKER_PATIENCE)

    def _claim_batch(self, item_ids: Sequence[int]) -> list[Stored | None]:
        with one_statement(self.sessions) as session:
            claimed = inbox_queries.claim_inbox_batch(session, item_ids, self.clock.now(), self.lease)
        # The same id twice in a batch (its kick and a sweep both queued it) is claimed once: by the first.
        return [_stored(row) if (row := claimed.pop(item_id, None)) is not None else None for item_id in item_ids]

    def _process(self, item: Stored) -> None:
        failpoint("before_process")
        assert self.processor is not None, "the Slack edge sets the processor when the app is built"
        for pause in (*RETRY_PAUSES, None):
            try:
                self.processor.process(item)
            except Exception as error:  # tried again below, then given up visibly
                log.warning("inbox: item %s failed: %s", item.id, type(error).__name__, exc_info=True)
                if pause is not None:
                    time.sleep(pause)
                    continue
                self._finish(item.id, InboxState.FAILED, type(error).__name__)
                self.processor.give_up(item)
                return
            self._finish(item.id, InboxState.DONE)
            return

    def _finish(self, item_id: int, state: InboxState, error: str | None = None) -> None:
        self._finishes.submit((item_id, state, error), timeout=WORKER_PATIENCE)

    def _finish_batch(self, finishes: Sequence[tuple[int, InboxState, str | None]]) -> list[None]:
        ended: dict[tuple[InboxState, str | None], list[int]] = {}
        for item_id, state, error in finishes:
            ended.setdefault((state, error), []).append(item_id)
        with one_statement(self.sessions) as session:  # one transaction (PostgreSQL: one UPDATE, autocommit)
            for (state, error), item_ids in ended.items():
                inbox_queries.finish_inbox_batch(session, item_ids, state, self.clock.now(), error)
        return [None] * len(finishes)


def _stored(item) -> Stored:
    return Stored(item.id, item.mode, item.content_type, item.body)
