"""The dispatcher: sends outbox rows to Slack in order, retries with backoff, gives up visibly.

Rows of one order key (one request) go out one at a time in id order; different keys go out in
parallel on a small pool, so one slow channel never holds up the rest. A failure that may have
landed (timeout, reset connection) marks the row ambiguous: the next try looks for the message
tagged with the delivery id before posting again, so nobody gets the same message twice.
"""
from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.failpoints import failpoint
from bot.outbox import Outbox, SlackWrite
from bot.words import BOT_ACTOR, Action, Purpose
from storage import conversation_queries, delivery_queries, home_queries, queries
from storage.group_commit import GroupCommit
from storage.models import Delivery, DeliveryState

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=2)   # default: longer than one send may take (permalink, look-up, post, a 429 wait)
FIRST_RETRY = timedelta(seconds=5)
LONGEST_RETRY = timedelta(minutes=10)
FINISH_PATIENCE = 30.0         # a sender waits this long for the shared write of its outcome
MAX_ATTEMPTS = 12              # about an hour of retries before a delivery is given up
RECORDED_AS: dict[str, tuple[str | None, str]] = {  # purpose -> (channel column, ts column) on the request
    Purpose.ANSWER: (None, "answer_ts"),
    Purpose.TRIAGE: ("triage_channel", "triage_ts"),
    Purpose.FOLLOWUP: ("followup_channel", "followup_ts"),
    Purpose.ESCALATION: (None, "escalation_ts"),
    Purpose.QUESTION: ("channel_id", "message_ts"),
}


@dataclass(frozen=True)
class Outgoing:
    """A delivery resolved for sending: targets and links are concrete (channel, ts)."""

    id: int
    method: str
    args: dict[str, Any]
    target: tuple[str, str] | None     # the message a chat.update edits
    link: tuple[str, str] | None       # what the permalink placeholder points to
    look_first: bool                   # an earlier try may have landed: find it before posting


@dataclass(frozen=True)
class Sent:
    """Where Slack put a posted message (both None for writes that create no message)."""

    channel: str | None = None
    ts: str | None = None


_Finish = tuple[Delivery, DeliveryState, Sent | None, str | None]  # how one send ended, to record


class DeliveryError(Exception):
    """A send that did not (certainly) happen."""

    def __init__(self, reason: str, *, retry_after: float | None = None, ambiguous: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.retry_after, self.ambiguous = reason, retry_after, ambiguous


class Transport(Protocol):
    """The Slack Web API as the dispatcher sees it (implemented by the Slack edge)."""

    def send(self, outgoing: Outgoing) -> Sent:
        """Perform one write; raise DeliveryError when it failed or may have failed."""


class Dispatcher:
    """Claims due deliveries, sends them on a pool, records the outcome."""

    def __init__(self, sessions: sessionmaker[Session], outbox: Outbox, transport: Transport, clock: Clock, *,
                 workers: int = 16, alert_channel: str | None = None, max_attempts: int = MAX_ATTEMPTS,
                 lease: timedelta = LEASE) -> None:
        self.sessions, self.outbox, self.transport, self.clock = sessions, outbox, transport, clock
        self.lease = lease
        self.alert_channel, self.max_attempts, self.workers = alert_channel, max_attempts, workers
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="helploop-send")
        self._lock = threading.Condition()
        self._in_flight = 0
        self._draining = False
        self._again = False
        self._sent = 0
        self._closed = False
        # Renders a "publish the Home of U" row (no view in it) from the state when it is sent (bot.home).
        self.render_home: Callable[[Session, str], dict[str, Any]] | None = None
        self._finishes: GroupCommit[_Finish, Exception | None] = GroupCommit(self._finish_batch,
                                                                             patience=FINISH_PATIENCE)
        outbox.on_commit(self.wake)

    def wake(self) -> None:
        """Send whatever is due now, in the background (cheap to call often; calls coalesce)."""
        with self._lock:
            if self._closed:
                return
            if self._draining:
                self._again = True
                return
            self._draining = True
        try:
            self._pool.submit(self._drain)
        except RuntimeError:  # the pool is shutting down: the next process's sweep sends it
            with self._lock:
                self._draining = False

    def run_due(self, timeout: float = 30.0) -> int:
        """Send everything due now and wait until it is settled; returns how many were sent."""
        with self._lock:
            before = self._sent
        self.wake()
        with self._lock:
            self._lock.wait_for(lambda: not self._draining and not self._in_flight, timeout)
            return self._sent - before

    def close(self, timeout: float = 10.0) -> None:
        """Stop taking work and finish the deliveries in flight."""
        with self._lock:
            self._closed = True
            self._lock.wait_for(lambda: not self._draining and not self._in_flight, timeout)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _drain(self) -> None:
        try:
            while True:
                with self._lock:
                    self._again = False
                    free = self.workers - self._in_flight
                claimed = self._claim(free) if free > 0 and not self._closed else []
                for delivery in claimed:
                    with self._lock:
                        self._in_flight += 1
                    self._pool.submit(self._send_one, delivery)
                with self._lock:
                    if not self._again and (not claimed or self._closed):
                        self._draining = False
                        self._lock.notify_all()
                        return
        except Exception:  # the database is away: the next wake or tick tries again
            log.exception("outbox: could not claim deliveries")
            with self._lock:
                self._draining = False
                self._lock.notify_all()

    def _claim(self, limit: int) -> list[Delivery]:
        with self.sessions.begin() as session:
            return delivery_queries.claim_deliveries(session, self.clock.now(), self.lease, min(limit, 50))

    def _send_one(self, delivery: Delivery) -> None:
        try:
            self._deliver(delivery)
        except Exception:  # never lose the worker; the lease brings the row back
            log.exception("outbox: delivery %s failed unexpectedly", delivery.id)
        finally:
            self.wake()  # the next delivery of the same request may be free now (woken before we count
            with self._lock:  # ourselves out, so run_due never sees a gap between the two)
                self._in_flight -= 1
                self._lock.notify_all()

    def _deliver(self, delivery: Delivery) -> None:
        if delivery.method == "views.publish" and self._superseded(delivery):
            self._finish(delivery, DeliveryState.SKIPPED, error="superseded by a later publish")
            return
        outgoing = self._resolve(delivery)
        if outgoing is None:
            self._finish(delivery, DeliveryState.SKIPPED, error="no message to edit or reply under")
            return
        failpoint("before_send")
        try:
            sent = self.transport.send(outgoing)
        except DeliveryError as error:
            self._failed(delivery, error)
            return
        self._finish(delivery, DeliveryState.SENT, sent=sent)
        with self._lock:
            self._sent += 1

    def _superseded(self, delivery: Delivery) -> bool:
        # A view is idempotent and the latest wins: a later publish of the same Home will show it all.
        with self.sessions.begin() as session:
            return home_queries.superseded(session, delivery.id, delivery.order_key, delivery.method)

    def _resolve(self, delivery: Delivery) -> Outgoing | None:
        args, target, link = json.loads(delivery.args), None, None
        with self.sessions.begin() as session:
            if delivery.method == "views.publish" and "view" not in args and self.render_home is not None:
                args["view"] = self.render_home(session, args["user_id"])
            if delivery.message_id and delivery.method != "chat.postMessage":  # an edit or deletion of a copy
                copy = conversation_queries.message_copy(session, delivery.message_id)
                if copy is None:
                    return None
                target = copy
            for purpose in (delivery.edit_of, delivery.thread_of):
                if purpose and delivery_queries.posted_message(session, delivery.request_id or 0, purpose) is None:
                    return None  # the message to edit or reply under was never posted
            if delivery.edit_of:
                target = delivery_queries.posted_message(session, delivery.request_id or 0, delivery.edit_of)
            if delivery.thread_of:
                args["thread_ts"] = delivery_queries.posted_message(session, delivery.request_id or 0,
                                                                    delivery.thread_of)[1]
            if delivery.link_of:
                link = _link(session, delivery.request_id, json.loads(delivery.link_of))
        # Look before posting when an earlier try may have landed: it timed out (ambiguous), or its sender
        # died before recording Slack's answer (the row came back after its lease: a later attempt, no
        # outcome). A retry after a clean failure looks too; that costs one history read.
        return Outgoing(delivery.id, delivery.method, args, target, link,
                        look_first=delivery.ambiguous or delivery.attempts > 1)

    def _finish(self, delivery: Delivery, state: DeliveryState, sent: Sent | None = None,
                error: str | None = None) -> None:
        failed = self._finishes.submit((delivery, state, sent, error), timeout=FINISH_PATIENCE)
        if failed is not None:
            raise failed

    def _finish_batch(self, rows: Sequence[_Finish]) -> list[Exception | None]:
        """Record how several sends ended in one transaction (senders finishing together share its commit);
        if it fails, each is tried in a transaction of its own, so one bad row fails only itself."""
        try:
            with self.sessions.begin() as session:
                for row in rows:
                    self._record(session, *row)
            return [None] * len(rows)
        except Exception:
            if len(rows) == 1:
                raise
        outcomes: list[Exception | None] = []
        for row in rows:
            try:
                with self.sessions.begin() as session:
                    self._record(session, *row)
                outcomes.append(None)
            except Exception as error:  # noqa: BLE001 - handed back to that row's sender, which raises it
                outcomes.append(error)
        return outcomes

    def _record(self, session: Session, delivery: Delivery, state: DeliveryState, sent: Sent | None,
                error: str | None) -> None:
        now = self.clock.now()
        delivery_queries.finish_delivery(session, delivery.id, state, now, channel=sent and sent.channel,
                                         ts=sent and sent.ts, error=error)
        columns = RECORDED_AS.get(delivery.purpose or "")
        if state is DeliveryState.SENT and sent and sent.ts and delivery.message_id \
                and delivery.method == "chat.postMessage":
            conversation_queries.update_message(session, delivery.message_id, copy_channel=sent.channel,
                                                copy_ts=sent.ts)
        if state is DeliveryState.SENT and sent and sent.ts and columns and delivery.request_id:
            channel_column, ts_column = columns
            values = {ts_column: sent.ts, **({channel_column: sent.channel} if channel_column else {})}
            queries.set_fields(session, delivery.request_id, **values)

    def _failed(self, delivery: Delivery, error: DeliveryError) -> None:
        now = self.clock.now()
        if delivery.attempts >= self.max_attempts:
            self._give_up(delivery, error.reason)
            return
        backoff = min(FIRST_RETRY * 2 ** (delivery.attempts - 1), LONGEST_RETRY)
        if error.retry_after is not None:
            backoff = max(backoff, timedelta(seconds=error.retry_after))
        log.warning("outbox: delivery %s (%s) failed, try %s: %s; next in %s", delivery.id, delivery.method,
                    delivery.attempts, error.reason, backoff)
        with self.sessions.begin() as session:
            delivery_queries.retry_delivery(session, delivery.id, now + backoff, error.reason, error.ambiguous)

    def _give_up(self, delivery: Delivery, reason: str) -> None:
        now = self.clock.now()
        log.error("outbox: gave up on delivery %s (%s) after %s tries: %s", delivery.id, delivery.method,
                  delivery.attempts, reason)
        with self.sessions.begin() as session:
            delivery_queries.finish_delivery(session, delivery.id, DeliveryState.FAILED, now, error=reason)
            if delivery.request_id:
                queries.add_audit(session, delivery.request_id, at=now, actor=BOT_ACTOR,
                                  action=Action.DELIVERY_GAVE_UP, from_status=None, to_status=None,
                                  detail={"delivery": delivery.id, "method": delivery.method, "error": reason})
            if self.alert_channel and json.loads(delivery.args).get("channel") != self.alert_channel:
                text = (f":warning: A Slack message could not be delivered after {delivery.attempts} tries "
                        f"({delivery.method}, request #{delivery.request_id or '-'}): {reason}")
                self.outbox.add(session, SlackWrite("chat.postMessage", {"channel": self.alert_channel,
                                                                         "text": text}), now)

def _link(session: Session, request_id: int | None, link: dict[str, Any]) -> tuple[str, str] | None:
    if link.get("channel") and link.get("ts"):
        return link["channel"], link["ts"]
    if link.get("purpose") and request_id:
        return delivery_queries.posted_message(session, request_id, link["purpose"])
    return None
