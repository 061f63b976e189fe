"""The App Home: what each person sees about their own requests and, for staff, their department's queue.

A Home is published through the outbox like every other Slack write, as a "publish the Home of U" row
with no view in it: the view is rendered when the row is sent, from the state at that moment (one
query per list), so a row that a later one supersedes is skipped and the latest state always wins.
Every transaction that writes a message about a request (every state change, every relayed message)
queues that row for the people it concerns: the requester, the claimer and the department's staff,
if they ever opened the Home.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.escalation import policy_of
from bot.outbox import Outbox, SlackWrite
from bot.people import language_of_locale
from bot.records import RequestView
from bot.requests import RequestStore
from bot.words import OPEN_STATUSES, Direction, Status
from kb import Department
from storage import home_queries, people_queries
from storage.models import Message, Request

PUBLISH = "views.publish"
RECENT = timedelta(days=14)        # closed requests stay on their requester's Home this long
OWN_LIMIT = 15                     # the requester's newest requests
QUEUE_LIMIT = 200                  # a department's open requests read for the staff queue
NOT_CLOSED = tuple(s for s in Status if s != Status.CLOSED)


@dataclass(frozen=True)
class LastMessage:
    """The newest message of a request's conversation."""

    author_id: str | None          # None: the anonymous requester
    text: str
    to_requester: bool             # written by staff (True) or by the requester (False)
    at: datetime


@dataclass(frozen=True)
class HomeItem:
    """One request as a Home lists it."""

    request: RequestView
    last: LastMessage | None = None
    can_reopen: bool = False       # closed, and still within the department's reopen window
    frontline: bool = False        # asked by someone in a front-line role (priority in the queue)
    waiting_since: datetime | None = None  # when it started waiting for a claim (the queue's age)
    quiet_since: datetime | None = None    # the last sign of life of a claimed request


@dataclass(frozen=True)
class Queue:
    """The open requests of the departments a staff member belongs to."""

    departments: tuple[Department, ...]
    unclaimed: tuple[HomeItem, ...]   # urgent first, then front-line requesters, then oldest first
    mine: tuple[HomeItem, ...]
    stale: tuple[HomeItem, ...]       # claimed, untouched longer than the department's stale-claim period


@dataclass(frozen=True)
class HomeData:
    """Everything one person's App Home shows, read at one moment."""

    user_id: str
    now: datetime
    own: tuple[HomeItem, ...]
    departments: tuple[Department, ...]   # "who handles what"
    queue: Queue | None                   # None: not staff anywhere
    language: str | None = None           # the viewer's Slack language as last cached (None: unknown)


def publish(user_id: str) -> SlackWrite:
    """The outbox row that publishes `user_id`'s Home, rendered when it is sent."""
    return SlackWrite(PUBLISH, {"user_id": user_id})


class Home:
    """Keeps Homes up to date and reads what they show."""

    def __init__(self, store: RequestStore, outbox: Outbox, clock: Clock,
                 render: Callable[[HomeData], dict[str, Any]], frontline: frozenset[str] = frozenset()) -> None:
        self.store, self.outbox, self.clock, self.render = store, outbox, clock, render
        self.frontline = frontline
        outbox.on_request_change(self.refresh)

    def opened(self, user_id: str) -> None:
        """Someone opened the Home tab: remember them and publish their Home."""
        now = self.clock.now()
        with self.store.sessions.begin() as session:
            home_queries.record_viewer(session, user_id, now)
            self.outbox.add(session, publish(user_id), now)

    def refresh(self, session: Session, request_ids: set[int], now: datetime) -> None:
        """Inside the caller's transaction: queue a publish for everyone these requests concern."""
        concerned: set[str] = set()
        for requester, claimer, department_id in home_queries.people_of(session, request_ids):
            concerned |= {requester, claimer or ""} | set(self.store.department(department_id).staff)
        for user in sorted(home_queries.viewers_among(session, concerned)):
            self.outbox.add(session, publish(user), now)

    def view(self, session: Session, user_id: str) -> dict[str, Any]:
        """The rendered Home of `user_id` now (the dispatcher calls this when it sends a publish row)."""
        # The viewer's language by primary key, in this session: the Home is drawn inside the send's transaction.
        person = people_queries.get_person(session, user_id)
        language = language_of_locale(person.locale) if person is not None else None
        return self.render(replace(self.snapshot(session, user_id), language=language))

    def snapshot(self, session: Session, user_id: str) -> HomeData:
        """What `user_id`'s Home shows now: two SELECTs at most, however many requests there are."""
        now, kb = self.clock.now(), self.store.kb()
        rows = home_queries.own_requests(session, user_id, NOT_CLOSED, now - RECENT, OWN_LIMIT, Direction.INTERNAL)
        own = tuple(self._own_item(request, message, now) for request, message in rows)
        staffed = tuple(d for d in kb.departments.values() if user_id in d.staff)
        queue = self._queue(session, user_id, staffed, now) if staffed else None
        return HomeData(user_id, now, own, tuple(kb.departments.values()), queue)

    def _own_item(self, request: Request, message: Message | None, now: datetime) -> HomeItem:
        window = timedelta(days=self.store.department(request.department_id).reopen_days)
        reopen = request.status == Status.CLOSED and request.closed_at is not None and now - request.closed_at <= window
        return HomeItem(self.store.view(request), _last(message), can_reopen=reopen)

    def _queue(self, session: Session, user_id: str, departments: tuple[Department, ...], now: datetime) -> Queue:
        rows = home_queries.department_queue(session, [d.id for d in departments], OPEN_STATUSES, self.frontline,
                                             QUEUE_LIMIT, Direction.INTERNAL)
        unclaimed, mine, stale = [], [], []
        for request, message in rows:
            last = _last(message)
            quiet = max([t for t in (request.claimed_at, request.updated_at, last and last.at) if t is not None])
            item = HomeItem(self.store.view(request), last, frontline=request.user_id in self.frontline,
                            waiting_since=request.escalated_at or request.created_at, quiet_since=quiet)
            if request.status == Status.ESCALATED:
                unclaimed.append(item)
                continue
            if request.claimed_by == user_id:
                mine.append(item)
            if now - quiet >= policy_of(self.store.department(request.department_id)).stale_claim:
                stale.append(item)
        return Queue(departments, tuple(unclaimed), tuple(mine), tuple(stale))


def _last(message: Message | None) -> LastMessage | None:
    if message is None:
        return None
    return LastMessage(message.author_id, message.text, message.direction == Direction.TO_REQUESTER,
                       message.created_at)
