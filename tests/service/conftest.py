"""The domain wired by hand on a real database: no HTTP, no Slack, a ManualClock and recording fakes."""
from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from bot.clock import ManualClock
from bot.delivery import Dispatcher
from bot.escalation import EscalationChain
from bot.followups import Followups
from bot.lifecycle import Lifecycle
from bot.messages import Messages
from bot.outbox import Outbox
from bot.records import Question, RequestView
from bot.requests import RequestStore
from bot.timers import TimerRunner
from bot.transfer import Transfers
from kb import KnowledgeBase, load_kb
from storage import delivery_queries, queries
from storage.engine import make_engine, make_sessions
from storage.migrate import upgrade
from storage.models import Delivery, Request, Timer
from tests.service.recording import RecordingMessages, RecordingTransport

EXAMPLE_KB = Path(__file__).resolve().parents[2] / "kb" / "example"
MONDAY_MORNING = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)   # 10:30 in Warsaw: IT is working
EMPLOYEE, EMPLOYEE_DM = "U0HLEMP", "D0HLEMP"
IT_TRIAGE = "C0HLITTRIAGE"
ANNA, PIOTR, MINH, KASIA, BOSS = "U0HLANNA", "U0HLPIOTR", "U0HLMINH", "U0HLKASIA", "U0HLBOSS"
OUTSIDER = "U0HLMAGDA"     # HR staff, not IT
STRANGER = "U0HLSTRANGER"  # neither the requester nor anyone's staff
ANSWERABLE = "How do I reset my VPN password?"   # it-vpn-password-reset, answered outright
AMBIGUOUS = "vpn"                                  # it-vpn-cannot-connect or it-vpn-password-reset
UNANSWERABLE = "qqqqqqq"  # shares nothing with the KB: no entry, no choices, no keyword -> the default, IT
ALERTS = "C0HLALERTS"

_message_ts = itertools.count(1)


def question(text: str, *, user: str = EMPLOYEE, channel: str = EMPLOYEE_DM, ts: str | None = None,
             thread_ts: str | None = None, source: str = "dm", quote: bool = False) -> Question:
    """A DM question (a fresh message ts unless given)."""
    ts = ts or f"1764000000.{next(_message_ts):06d}"
    return Question(channel_id=channel, user_id=user, message_ts=ts, thread_ts=thread_ts, text=text,
                    source=source, is_direct=channel.startswith("D"), quote=quote)


@dataclass
class Service:
    """Everything the domain is made of, on one database, plus ways to look inside it."""

    engine: Engine
    clock: ManualClock
    kb: KnowledgeBase
    say: Messages
    sessions: Any = field(init=False)
    outbox: Outbox = field(init=False)
    store: RequestStore = field(init=False)
    chain: EscalationChain = field(init=False)
    lifecycle: Lifecycle = field(init=False)
    followups: Followups = field(init=False)
    transfers: Transfers = field(init=False)
    timers: TimerRunner = field(init=False)
    dispatcher: Dispatcher | None = field(init=False, default=None)  # set by the `dispatcher` fixture

    def __post_init__(self) -> None:
        self.sessions = make_sessions(self.engine)
        self.outbox = Outbox(self.sessions, self.clock)
        self.store = RequestStore(self.sessions, lambda: self.kb)
        self.chain = EscalationChain(self.store, self.outbox, self.say, self.clock)
        self.lifecycle = Lifecycle(self.store, self.outbox, self.say, self.chain, self.clock)
        self.followups = Followups(self.store, self.outbox, self.say, self.chain, self.clock)
        self.transfers = Transfers(self.store, self.outbox, self.say, self.chain, self.clock)
        self.timers = TimerRunner(self.store, self.outbox, self.say, self.chain, self.followups, self.clock)

    # --- driving ---------------------------------------------------------------------------------------

    def ask(self, text: str, **kwargs: Any) -> RequestView:
        view = self.lifecycle.ask(question(text, **kwargs))
        assert view is not None
        return view

    def escalated(self, text: str = UNANSWERABLE) -> RequestView:
        view = self.ask(text)
        assert view.status == "escalated", f"precondition: kb/example must neither answer nor offer {text!r}"
        return view

    def claimed(self, by: str = ANNA) -> RequestView:
        outcome = self.lifecycle.claim(self.escalated().id, by)
        assert outcome.ok
        return outcome.request

    def resolved(self, by: str = ANNA) -> RequestView:
        outcome = self.lifecycle.resolve(self.claimed(by).id, by)
        assert outcome.ok
        return outcome.request

    def advance(self, **delta: float) -> int:
        """Move the clock and run the due timers; returns how many acted.

        With a dispatcher, what is queued is sent before the clock moves (a send still in flight when
        the clock jumps past its lease would be taken again) and what the timers queued is sent after.
        """
        self.settle()
        self.clock.advance(timedelta(**delta))
        acted = self.timers.run_due()
        self.settle()
        return acted

    def settle(self) -> None:
        """Send what is due, if a dispatcher is attached, and wait until it is done."""
        if self.dispatcher is not None:
            self.dispatcher.run_due()

    def set_status(self, request_id: int, status: str, **values: Any) -> None:
        with self.sessions.begin() as session:
            queries.set_fields(session, request_id, status=status, **values)

    # --- looking -----------------------------------------------------------------------------------------

    def row(self, request_id: int) -> Request:
        with self.sessions.begin() as session:
            return queries.get_request(session, request_id)

    def deliveries(self, request_id: int | None = None) -> list[Delivery]:
        with self.sessions.begin() as session:
            return list(delivery_queries.deliveries_of(session, request_id))

    def writes(self, request_id: int, since: int = 0) -> list[dict[str, Any]]:
        """The recorded args of the request's queued writes, oldest first (from the `since`-th on)."""
        return [json.loads(d.args) for d in self.deliveries(request_id)[since:]]

    def said(self, request_id: int, since: int = 0) -> list[str]:
        """What the request's queued writes were ("answer", "triage", ...), oldest first."""
        return [w["what"] for w in self.writes(request_id, since)]

    def audit(self, request_id: int, since: int = 0) -> list[tuple[str, str, str | None, str | None]]:
        """(action, actor, from, to) of the request's audit rows, oldest first."""
        with self.sessions.begin() as session:
            return [(a.action, a.actor, a.from_status, a.to_status)
                    for a in queries.audit_trail(session, request_id)[since:]]

    def audit_details(self, request_id: int, action: str) -> list[dict[str, Any]]:
        with self.sessions.begin() as session:
            return [json.loads(a.detail or "{}") for a in queries.audit_trail(session, request_id)
                    if a.action == action]

    def pending_timers(self, request_id: int) -> list[tuple[str, datetime]]:
        """(kind, due) of the request's pending timers, soonest first."""
        with self.sessions.begin() as session:
            return [(t.kind, t.due_at) for t in queries.pending_timers(session, request_id)]

    def all_timers(self, request_id: int) -> list[Timer]:
        with self.sessions.begin() as session:
            return list(session.scalars(select(Timer).where(Timer.request_id == request_id).order_by(Timer.id)))


@pytest.fixture(scope="session")
def example_kb() -> KnowledgeBase:
    """kb/example, loaded once (read-only)."""
    return load_kb(EXAMPLE_KB)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(MONDAY_MORNING)


@contextmanager
def open_service(url: str, kb: KnowledgeBase, clock: ManualClock, say: Messages | None = None) -> Iterator[Service]:
    """The domain on a fresh, migrated database at `url`; the engine is disposed of on leaving."""
    engine = make_engine(url)
    upgrade(engine)
    try:
        yield Service(engine, clock, kb, say or RecordingMessages())
    finally:
        engine.dispose()


@pytest.fixture
def service(sqlite_url, example_kb, clock) -> Iterator[Service]:
    """The domain on a fresh SQLite file."""
    with open_service(sqlite_url, example_kb, clock) as opened:
        yield opened


@pytest.fixture
def any_service(database_url, example_kb, clock) -> Iterator[Service]:
    """The domain on a fresh SQLite file or PostgreSQL schema (for what depends on the database's locking)."""
    with open_service(database_url, example_kb, clock) as opened:
        yield opened


@pytest.fixture
def transport() -> RecordingTransport:
    return RecordingTransport()


@pytest.fixture
def dispatcher(any_service, transport) -> Iterator[Dispatcher]:
    """A dispatcher sending `any_service`'s outbox through the recording transport."""
    sender = Dispatcher(any_service.sessions, any_service.outbox, transport, any_service.clock, workers=4,
                        alert_channel=ALERTS)
    any_service.dispatcher = sender
    try:
        yield sender
    finally:
        sender.close()
