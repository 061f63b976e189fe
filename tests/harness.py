"""The real app served over HTTP, driven by signed Slack requests, against a local fake Web API."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from wiring.app import Helploop, build
from bot.clock import ManualClock
from localslack.webapi import LocalSlack
from wiring.server import Server
from wiring.settings import EXAMPLE_KB_DIR, Settings
from localslack.sender import SlackSim

SIGNING_SECRET = "test-signing-secret"
START = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)  # a Monday morning in Warsaw


@dataclass
class Harness:
    """Everything a test drives or inspects."""

    slack: LocalSlack
    sim: SlackSim
    app: Helploop
    server: Server
    clock: ManualClock

    def advance(self, **delta: float) -> int:
        """Move time forward and run what became due (the scheduler's tick); returns timers that acted."""
        self.app.inbox.wait_idle()  # a click being processed must finish before its lease can run out,
        self.app.dispatcher.run_due()  # and a send in flight must settle (its retry is timed from now)
        self.clock.advance(timedelta(**delta))
        self.app.inbox.run_due()
        acted = self.app.timers.run_due()
        self.app.dispatcher.run_due()
        return acted


@contextmanager
def running(database_url: str, *, kb_dir: Path = EXAMPLE_KB_DIR, slack: LocalSlack | None = None,
            clock: ManualClock | None = None, admin_channel: str | None = None,
            help_channels: tuple[str, ...] = (), admins: tuple[str, ...] = (),
            **more_settings: Any) -> Iterator[Harness]:
    """Start the app (HTTP on a free port) against `slack` (a new LocalSlack unless given); `more_settings` are
    further Settings fields (e.g. kb_drafts_dir, spike_people)."""
    own_slack = slack is None
    slack = slack or LocalSlack().start()
    clock = clock or ManualClock(START)
    settings = Settings(slack_bot_token="xoxb-test", slack_signing_secret=SIGNING_SECRET,
                        slack_api_url=slack.base_url, database_url=database_url, kb_dir=kb_dir,
                        admin_channel=admin_channel, help_channels=help_channels, admins=admins,
                        **more_settings)
    app = build(settings, clock=clock)
    server = Server(app.wsgi).start()
    try:
        yield Harness(slack, SlackSim(f"{server.url}/slack/events", SIGNING_SECRET, response_urls=slack.response_url), app, server, clock)
    finally:
        server.close()
        app.close()
        if own_slack:
            slack.stop()
