"""The app factory: settings in, a wired helploop (database, KB, domain, Bolt app, WSGI app) out."""
from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.clock import Clock, SystemClock
from bot.desk import Desk
from bot.escalation import EscalationChain
from bot.lifecycle import Lifecycle
from wiring.settings import Settings
from bot.timers import TimerRunner
from bot.transfer import Transfers
from handlers.commands import register_commands
from handlers.intake import Intake
from handlers.listeners import register
from handlers.slack_notifier import SlackNotifier
from handlers.socket_mode import serve_socket_mode
from bot.kbsource import KbSource
from kb import KnowledgeBase
from storage import migrate
from storage.engine import make_engine, make_sessions, ping

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"


@dataclass
class Helploop:
    """A wired instance: what the server, the scheduler, the demo and the tests use."""

    settings: Settings
    engine: Engine
    kb_source: KbSource
    desk: Desk
    lifecycle: Lifecycle
    transfers: Transfers
    timers: TimerRunner
    bolt: App
    wsgi: Callable[..., Iterable[bytes]]
    executor: ThreadPoolExecutor

    @property
    def kb(self) -> KnowledgeBase:
        """The knowledge base being served now."""
        return self.kb_source.current()

    def serve_socket_mode(self) -> None:
        """Serve over Slack's Socket Mode WebSocket until interrupted (needs SLACK_APP_TOKEN)."""
        serve_socket_mode(self.bolt, self.settings.slack_app_token or "")

    def close(self) -> None:
        """Finish running listeners, then release the database connections."""
        self.executor.shutdown(wait=True)
        self.engine.dispose()


def build(settings: Settings, clock: Clock | None = None) -> Helploop:
    """Wire everything; brings the database schema up to date first."""
    client = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=10)
    notifier = SlackNotifier(client)
    kb_source = KbSource(settings.kb_dir, on_error=_admin_alert(notifier, settings.admin_channel))
    engine = make_engine(settings.database_url)
    migrate.upgrade(engine)
    desk = Desk(make_sessions(engine), kb_source.current, notifier, clock or SystemClock())
    chain = EscalationChain(desk)
    lifecycle = Lifecycle(desk, chain)
    transfers = Transfers(desk, chain)
    # Listeners run on this pool after the ack, so Slack gets its HTTP answer at once. Buttons are
    # acked from inside their listener, so the pool is large enough that Web API calls stuck for up
    # to the client's 10 s timeout cannot starve a click of a worker.
    executor = ThreadPoolExecutor(max_workers=32, thread_name_prefix="helploop-listener")
    bolt = App(signing_secret=settings.slack_signing_secret, client=client,
               process_before_response=False, listener_executor=executor)
    register(bolt, lifecycle, transfers, Intake(frozenset(settings.help_channels), frozenset(settings.help_reactions)))
    register_commands(bolt, desk, lifecycle)
    return Helploop(settings, engine, kb_source, desk, lifecycle, transfers, TimerRunner(desk, chain), bolt,
                    _wsgi(SlackRequestHandler(bolt), lambda: ping(engine)), executor)


def _admin_alert(notifier: SlackNotifier, channel: str | None) -> Callable[[list[str]], None] | None:
    if not channel:
        return None
    return lambda errors: notifier.alert(channel, "The knowledge base edit was not loaded (the last good "
                                         "version is still answering):\n" + "\n".join(errors[:20]))


def _wsgi(slack: SlackRequestHandler, database_ok: Callable[[], bool]) -> Callable[..., Iterable[bytes]]:
    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == EVENTS_PATH:
            try:
                return slack(environ, start_response)
            except ValueError as error:  # Bolt parses the body before anything else: bad JSON lands here
                log.warning("malformed Slack request rejected: %s", error)
                return _json(start_response, "400 Bad Request", {"error": "malformed_request"})
        if path in ("/health", "/healthz"):
            if database_ok():
                return _json(start_response, "200 OK", {"status": "ok", "database": "ok"})
            return _json(start_response, "503 Service Unavailable", {"status": "degraded", "database": "unreachable"})
        return _json(start_response, "404 Not Found", {"error": "not_found", "path": path})
    return application


def _json(start_response: Callable[..., Any], status: str, body: dict[str, Any]) -> list[bytes]:
    payload = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return [payload]
