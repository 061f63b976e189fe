"""APScheduler only ticks: timers, the outbox/inbox sweep, the KB reload, the retention purge and the report's
rollup run on intervals."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler

PURGE_START_DELAY_SECONDS = 300.0
ROLLUP_START_DELAY_SECONDS = 60.0


def start_scheduler(tick: Callable[[], object], tick_seconds: float, sweep: Callable[[], object],
                    sweep_seconds: float, reload_kb: Callable[[], object] | None = None,
                    kb_reload_seconds: float = 10.0, purge: Callable[[], object] | None = None,
                    purge_seconds: float = 24 * 3600.0, rollup: Callable[[], object] | None = None,
                    rollup_seconds: float = 300.0) -> BackgroundScheduler:
    """Start a background scheduler; the sweep also runs once at start (a restart sends what was left).

    The purge first runs a few minutes after start (a service restarted more often than daily still
    purges), then every `purge_seconds`. The report's rollup first runs a minute after start, then every
    `rollup_seconds`.
    """
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(tick, "interval", seconds=tick_seconds, id="run-due-timers", max_instances=1, coalesce=True)
    scheduler.add_job(sweep, "interval", seconds=sweep_seconds, id="sweep", max_instances=1, coalesce=True,
                      next_run_time=datetime.now(UTC))
    if reload_kb is not None:
        scheduler.add_job(reload_kb, "interval", seconds=kb_reload_seconds, id="reload-kb",
                          max_instances=1, coalesce=True)
    if purge is not None:
        first = datetime.now(UTC) + timedelta(seconds=min(PURGE_START_DELAY_SECONDS, purge_seconds))
        scheduler.add_job(purge, "interval", seconds=purge_seconds, id="purge", max_instances=1, coalesce=True,
                          next_run_time=first)
    if rollup is not None:
        scheduler.add_job(rollup, "interval", seconds=rollup_seconds, id="rollup", max_instances=1, coalesce=True,
                          next_run_time=datetime.now(UTC) + timedelta(seconds=ROLLUP_START_DELAY_SECONDS))
    scheduler.start()
    return scheduler
