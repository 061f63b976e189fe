"""The way out: every Slack write is a delivery row written in the transaction of the change that causes it.

The domain decides *what* is said (a `SlackWrite`, rendered by the Slack edge's `Messages`); the
`Dispatcher` (bot.delivery) sends it after the commit. A session that added deliveries wakes the
dispatcher when it commits, so nobody has to remember to.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.words import Purpose
from storage import delivery_queries, queries

PERMALINK = "{{helploop:permalink}}"  # replaced, at send time, by the permalink of `SlackWrite.link`
PERMALINK_AT = "{{helploop:permalink:%s:%s}}"  # replaced, at send time, by the permalink of (channel, ts)
_WAKE = "helploop.outbox.wake"
_TOUCHED = "helploop.outbox.touched"  # ids of the requests a transaction wrote messages about
Touched = Callable[[Session, set[int], datetime], None]


def permalink_at(channel: str, ts: str) -> str:
    """A placeholder for the permalink of a known message, for writes that link to more than one."""
    return PERMALINK_AT % (channel, ts)


@dataclass(frozen=True)
class LinkTo:
    """A message a write links to: a known one (channel, ts) or the request's message with a purpose."""

    channel: str | None = None
    ts: str | None = None
    purpose: Purpose | None = None


@dataclass(frozen=True)
class SlackWrite:
    """One Slack Web API write, as data: method and arguments, plus how it relates to the request."""

    method: str                    # chat.postMessage, chat.update, chat.postEphemeral, response_url, ...
    args: dict[str, Any] = field(default_factory=dict)
    purpose: Purpose | None = None   # record where the posted message landed, under this purpose
    edit_of: Purpose | None = None   # for chat.update: edit the request's message with this purpose
    thread_of: Purpose | None = None  # post as a reply in the thread of the request's message with this purpose
    link: LinkTo | None = None       # what PERMALINK in the args points to
    lane: str = "requester"          # "requester" or "staff": each lane of a request is sent in order
    message_id: int | None = None    # the conversation message this posts a copy of (or edits, or deletes)


class Outbox:
    """Writes deliveries inside the caller's transaction; commits wake the dispatcher."""

    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self.sessions, self.clock = sessions, clock
        self._wake: Callable[[], None] = lambda: None
        self._touched: Touched | None = None
        event.listen(sessions, "after_commit", self._after_commit)
        event.listen(sessions, "before_commit", self._before_commit)
        event.listen(sessions, "after_rollback", self._after_rollback)

    def on_commit(self, wake: Callable[[], None]) -> None:
        """What to call after a transaction that added deliveries commits (the dispatcher's wake)."""
        self._wake = wake

    def on_request_change(self, hook: Touched) -> None:
        """What to call, just before a transaction that wrote messages about requests commits, with their ids
        (the App Home's refresh: every state change that concerns someone sends them something)."""
        self._touched = hook

    def add(self, session: Session, write: SlackWrite | None, now: datetime, request_id: int | None = None, *,
            not_before: datetime | None = None) -> None:
        """Queue one write (None is allowed and ignored: a message that has nowhere to go); `not_before`
        holds a write that concerns no request until then (a pulse question waiting for the person's morning)."""
        if write is None:
            return
        later = not_before is not None and not_before > now and request_id is None
        if request_id is not None and ("locked", request_id) not in session.info:
            # Writers of one request queue one after another, so delivery ids follow commit order and
            # the dispatcher can never see a later message of a lane before an earlier one commits.
            queries.lock_request(session, request_id)
            session.info[("locked", request_id)] = True
        if request_id is not None:
            session.info.setdefault(_TOUCHED, set()).add(request_id)
        delivery_queries.add_delivery(
            session, request_id=request_id, order_key=_order_key(write, request_id, later), method=write.method,
            args=json.dumps(write.args, ensure_ascii=False), purpose=write.purpose, edit_of=write.edit_of,
            thread_of=write.thread_of, message_id=write.message_id,
            link_of=json.dumps(write.link.__dict__) if write.link else None,
            due_at=not_before if later else now, created_at=now,
        )
        session.info[_WAKE] = True

    def created(self, session: Session, request_id: int) -> None:
        """The request was inserted in this transaction: no other writer can see it before the commit, so
        its writes need no row lock (saves a SELECT ... FOR UPDATE, and the flush before it, per question)."""
        session.info[("locked", request_id)] = True

    def send(self, write: SlackWrite | None) -> None:
        """Queue a write that goes with no state change (a reply to a command, an apology) and commit."""
        with self.sessions.begin() as session:
            self.add(session, write, self.clock.now())

    def _before_commit(self, session: Session) -> None:
        if session.in_nested_transaction() or self._touched is None:
            return  # a savepoint: the outer transaction's commit will call the hook once
        touched = session.info.pop(_TOUCHED, None)
        if touched:
            self._touched(session, touched, self.clock.now())

    def _after_rollback(self, session: Session) -> None:
        if not session.in_transaction():
            session.info.pop(_TOUCHED, None)

    def _after_commit(self, session: Session) -> None:
        if session.info.pop(_WAKE, False):
            self._wake()


def _order_key(write: SlackWrite, request_id: int | None, later: bool = False) -> str:
    # A request's messages to its requester go out in order, and so do those to staff; one lane
    # failing does not hold up the other. Others (alerts, replies to commands) are ordered per channel.
    if request_id is not None:
        return f"request:{request_id}:{write.lane}"
    target = write.args.get("channel") or write.args.get("url") or write.args.get("user_id") or ""
    # A write held until later waits in its own line, so it holds up nothing else sent to the same place.
    return f"{'later' if later else 'to'}:{str(target)[-56:]}"
