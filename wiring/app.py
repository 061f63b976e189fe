"""The app factory: settings in, a wired helploop (database, KB, domain, inbox, outbox, Slack edge) out."""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.backlog import backlog
from bot.capture import Capture, CaptureSettings
from bot.clock import Clock, SystemClock
from bot.conversation import Conversation
from bot.delivery import Dispatcher
from bot.digest import WeeklyDigest
from bot.escalation import EscalationChain
from bot.feedback import FeedbackBox
from bot.followups import Followups
from bot.inbox import Inbox
from bot.kbsource import KbSource
from bot.lifecycle import Lifecycle
from bot.pulse import Pulse
from bot.surveys import Surveys
from bot.outbox import Outbox
from bot.home import Home, HomeData
from bot.people import People
from bot.requests import RequestStore
from bot.retention import Retention
from bot.rollup import Rollup
from bot.timers import TimerRunner
from bot.transfer import Transfers
from handlers.bolt_app import build_bolt
from handlers.digest_blocks import SlackDigestMessages
from handlers.services import Services
from handlers.edge import SlackEdge
from handlers.intake import Intake
from handlers.messages import SlackMessages
from handlers.home_blocks import home_view
from handlers.people import slack_lookup
from handlers.processor import BoltProcessor
from handlers.socket_mode import serve_socket_mode
from handlers.transport import SlackTransport, web_client
from kb import KnowledgeBase
from storage import migrate
from storage.engine import make_engine, make_sessions, ping
from wiring.settings import Settings

ACK_BUDGET_SECONDS = 1.5  # storing a Slack request must finish well inside Slack's 3 s
HEALTH_BUDGET_SECONDS = 0.8  # /health answers within this, whatever the database does


class HealthCheck:
    """`database_ok` for /health: pings on its own tiny engine, and answers "not ok" when the ping has not
    come back within `budget` seconds (a hung connection must not hold the health check, nor pile up
    threads: one ping at a time, later checks wait for the same one)."""

    def __init__(self, engine: Engine, budget: float = HEALTH_BUDGET_SECONDS) -> None:
        self.engine, self.budget = engine, budget
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="helploop-health")
        self._lock = threading.Lock()
        self._ping: Future[bool] | None = None

    def __call__(self) -> bool:
        with self._lock:
            if self._ping is None or self._ping.done():
                try:
                    self._ping = self._pool.submit(ping, self.engine)
                except RuntimeError:  # closed
                    return False
            current = self._ping
        try:
            return current.result(timeout=self.budget)
        except FutureTimeout:
            return False

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.engine.dispose()


@dataclass
class Helploop:
    """A wired instance: what the server, the scheduler, the demo and the tests use."""

    settings: Settings
    engine: Engine
    intake_engine: Engine
    sessions: sessionmaker[Session]
    kb_source: KbSource
    store: RequestStore
    outbox: Outbox
    dispatcher: Dispatcher
    inbox: Inbox
    lifecycle: Lifecycle
    followups: Followups
    transfers: Transfers
    timers: TimerRunner
    edge: SlackEdge
    client: Any
    health: HealthCheck | None = field(default=None)
    retention: Retention | None = field(default=None)  # the daily purge of texts past their retention
    rollup: Rollup | None = field(default=None)  # the report's rollup, kept up to date by the worker
    people: People | None = field(default=None)  # the people directory (users.info, cached)
    home: Home | None = field(default=None)  # the App Home (published through the outbox)
    pulse: Pulse | None = field(default=None)  # pulse surveys: timers planned and run by `timers`; answers

    @property
    def kb(self) -> KnowledgeBase:
        """The knowledge base being served now."""
        return self.kb_source.current()

    @property
    def wsgi(self) -> Callable[..., Iterable[bytes]]:
        """The WSGI application (Slack events at /slack/events, health at /health)."""
        return self.edge.wsgi

    def sweep(self) -> None:
        """Take up stored requests and deliveries nobody is working on (restart, dead replica, backoff over)."""
        self.inbox.run_due(wait=False)
        self.dispatcher.wake()

    def tick(self) -> int:
        """One scheduler tick: due timers run, then what they queued is sent; returns timers that acted."""
        acted = self.timers.run_due()
        self.sweep()
        return acted

    def serve_socket_mode(self, stop: threading.Event) -> None:
        """Serve over Slack's Socket Mode WebSocket until `stop` is set (needs SLACK_APP_TOKEN)."""
        serve_socket_mode(self.edge, self.settings.slack_app_token or "", self.client, stop)

    def close(self) -> None:
        """Stop taking work, finish what is in flight, then release the database connections."""
        self.inbox.close()
        self.dispatcher.close()
        self.engine.dispose()
        self.intake_engine.dispose()
        if self.health is not None:
            self.health.close()


def build(settings: Settings, clock: Clock | None = None, *, upgrade: bool = True) -> Helploop:
    """Wire everything; brings the database schema up to date first (unless `upgrade` is False)."""
    clock = clock or SystemClock()
    engine = make_engine(settings.database_url)
    if upgrade:
        migrate.upgrade(engine)
    intake_engine = make_engine(settings.database_url, timeout_seconds=ACK_BUDGET_SECONDS, eager=True)
    sessions = make_sessions(engine)
    outbox = Outbox(sessions, clock)
    say = SlackMessages()
    kb_source = KbSource(settings.kb_dir, on_error=_admin_alert(outbox, say, settings.admin_channel))
    store = RequestStore(sessions, kb_source.current)
    client = web_client(settings.slack_bot_token, settings.slack_api_url, settings.slack_timeout_seconds)
    dispatcher = Dispatcher(sessions, outbox, SlackTransport(client), clock, alert_channel=settings.admin_channel,
                            lease=timedelta(seconds=settings.delivery_lease_seconds))
    chain = EscalationChain(store, outbox, say, clock)
    people = People(sessions, clock, slack_lookup(client))  # users.info, cached: names, languages, time zones
    home = Home(store, outbox, clock, _home_renderer(settings.default_language), frozenset(settings.frontline_users))
    dispatcher.render_home = home.view  # a Home is rendered when its publish is sent: the latest state wins
    capture = Capture(store, outbox, say, clock, _capture_settings(settings))
    lifecycle = Lifecycle(store, outbox, say, chain, clock, capture=capture, daytime=settings.requester_hours)
    surveys = Surveys(store, outbox, say, clock, seed=settings.survey_seed, daytime=settings.requester_hours)
    followups = Followups(store, outbox, say, chain, clock, surveys, daytime=settings.requester_hours)
    pulse = Pulse(store, outbox, say, clock, seed=settings.survey_seed, daytime=settings.requester_hours,
                  default_language=settings.default_language)
    transfers = Transfers(store, outbox, say, chain, clock, capture=capture)
    timers = TimerRunner(store, outbox, say, chain, followups, clock,
                         digests=WeeklyDigest(store, outbox, SlackDigestMessages(), clock), pulses=pulse)
    inbox = Inbox(make_sessions(intake_engine), sessions, clock,
                  lease=timedelta(seconds=settings.inbox_lease_seconds), budget=ACK_BUDGET_SECONDS,
                  workers=settings.inbox_workers)
    conversation = Conversation(store, outbox, say, lifecycle, clock, note_prefix=settings.note_prefix)
    bolt = build_bolt(client, Services(lifecycle, followups, transfers, conversation, outbox, kb_source.current,
                                       clock.now, lambda: backlog(sessions, clock), frozenset(settings.admins),
                                       people=people, feedback=FeedbackBox(store, outbox, say, clock), pulse=pulse,
                                       default_language=settings.default_language, home=home),
                      Intake(frozenset(settings.help_channels), frozenset(settings.help_reactions)))
    inbox.processor = BoltProcessor(bolt, outbox, settings.default_language)
    health = HealthCheck(make_engine(settings.database_url, timeout_seconds=HEALTH_BUDGET_SECONDS / 2))
    edge = SlackEdge(inbox, settings.slack_signing_secret, health, log_text=settings.log_text)
    return Helploop(settings, engine, intake_engine, sessions, kb_source, store, outbox, dispatcher, inbox,
                    lifecycle, followups, transfers, timers, edge, client, health,
                    retention=Retention(sessions, kb_source.current, clock),
                    rollup=Rollup(sessions, kb_source.current, clock), people=people, home=home,
                    pulse=pulse)


def _home_renderer(default: str) -> Callable[[HomeData], dict[str, Any]]:
    # The viewer's cached Slack language (opening the Home looks it up; rendering never calls Slack), else the default.
    return lambda data: home_view(data, data.language or default)


def _admin_alert(outbox: Outbox, say: SlackMessages, channel: str | None) -> Callable[[list[str]], None] | None:
    if not channel:
        return None
    return lambda errors: outbox.send(say.alert(channel, "The knowledge base edit was not loaded (the last good "
                                                "version is still answering):\n" + "\n".join(errors[:20])))


def _capture_settings(settings: Settings) -> CaptureSettings:
    return CaptureSettings(admin_channel=settings.admin_channel, spike_people=settings.spike_people,
                           spike_window=timedelta(minutes=settings.spike_window_minutes),
                           past_cases=settings.past_cases, drafts_dir=settings.drafts_dir())
