"""APScheduler only ticks: timers, the outbox/inbox sweep and the KB reload run on intervals."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler


def start_scheduler(tick: Callable[[], object], tick_seconds: float, sweep: Callable[[], object],
                    sweep_seconds: float, reload_kb: Callable[[], object] | None = None,
                    kb_reload_seconds: float = 10.0) -> BackgroundScheduler:
    """Start a background scheduler; the sweep also runs once at start (a restart sends what was left)."""
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(tick, "interval", seconds=tick_seconds, id="run-due-timers", max_instances=1, coalesce=True)
    scheduler.add_job(sweep, "interval", seconds=sweep_seconds, id="sweep", max_instances=1, coalesce=True,
                      next_run_time=datetime.now(UTC))
    if reload_kb is not None:
        scheduler.add_job(reload_kb, "interval", seconds=kb_reload_seconds, id="reload-kb",
                          max_instances=1, coalesce=True)
    scheduler.start()
    return scheduler
