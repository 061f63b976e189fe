"""Several bot processes on one database, draining due timers: for the multi-replica test and bench.

Each replica is a separate OS process with its own app, engine and connection pool, exactly like a
second `helploop run` would be; only the clock is fixed so every replica sees the same due timers.
"""
from __future__ import annotations

import multiprocessing
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from wiring.settings import EXAMPLE_KB_DIR, Settings
from storage import migrate, queries
from storage.engine import make_engine, make_sessions
from storage.models import Request
from bot.words import Status, TimerKind


@dataclass(frozen=True)
class DrainResult:
    """What one replica did."""

    acted: int
    seconds: float


KINDS = (TimerKind.FOLLOWUP, TimerKind.ESCALATION_STEP, TimerKind.STALE_CLAIM)


def seed_due_timers(database_url: str, count: int, now: datetime, kinds: tuple[TimerKind, ...] = KINDS) -> None:
    """Insert `count` IT requests with one due timer each, cycling through `kinds`.

    A follow-up belongs to a resolved request, an escalation step to an unclaimed one, a stale-claim
    reminder to a claimed one: each timer, when run, sends exactly one Slack message naming "#<id>"
    or asking "really fixed?" in the request's own DM.
    """
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    sessions = make_sessions(engine)
    earlier = now - timedelta(days=1)
    status = {TimerKind.FOLLOWUP: Status.RESOLVED, TimerKind.ESCALATION_STEP: Status.ESCALATED,
              TimerKind.STALE_CLAIM: Status.CLAIMED}
    with sessions.begin() as session:
        for i in range(count):
            kind = kinds[i % len(kinds)]
            request = Request(
                channel_id=f"D{i:07d}", root_ts=f"1700000000.{i:06d}", message_ts=f"1700000000.{i:06d}",
                reply_thread_ts=None, user_id=f"U{i:07d}", source="dm", text=f"printer {i} is broken",
                department_id="it", status=status[kind], reopen_count=0, escalation_level=0,
                transfer_count=0, oncall_user_id="U0HLMINH", created_at=earlier, updated_at=earlier,
                claimed_by=None if kind == TimerKind.ESCALATION_STEP else "U0HLANNA",
                resolved_at=earlier if kind == TimerKind.FOLLOWUP else None,
            )
            session.add(request)
            session.flush()
            queries.schedule_timer(session, request.id, kind, now, earlier)
    engine.dispose()


def drain(database_url: str, api_url: str, now_iso: str, kb_dir: str = str(EXAMPLE_KB_DIR)) -> DrainResult:
    """One replica: run due timers until none is left for it."""
    from wiring.app import build
    from bot.clock import ManualClock

    settings = Settings(slack_bot_token="xoxb-replica", slack_signing_secret="replica",
                        slack_api_url=api_url, database_url=database_url, kb_dir=Path(kb_dir))
    app = build(settings, clock=ManualClock(datetime.fromisoformat(now_iso)))
    started, acted = time.perf_counter(), 0
    try:
        while (done := app.timers.run_due()) > 0:
            acted += done
        app.dispatcher.run_due(timeout=600)
    finally:
        app.close()
    return DrainResult(acted, time.perf_counter() - started)


def run_replicas(count: int, database_url: str, api_url: str, now: datetime,
                 kb_dir: Path = EXAMPLE_KB_DIR) -> list[DrainResult]:
    """Start `count` replica processes at once and wait for all of them."""
    context = multiprocessing.get_context("spawn")  # fresh interpreters: nothing shared but the DB
    with context.Pool(count) as pool:
        pending = [pool.apply_async(drain, (database_url, api_url, now.isoformat(), str(kb_dir)))
                   for _ in range(count)]
        return [p.get(timeout=1800) for p in pending]

