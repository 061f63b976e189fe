"""APScheduler only ticks: every few seconds it asks the timer runner to run what is due."""
from __future__ import annotations

from apscheduler.schedulers.background import BackgroundScheduler

from bot.kbsource import KbSource
from bot.timers import TimerRunner


def start_scheduler(timers: TimerRunner, tick_seconds: float, kb_source: KbSource | None = None,
                    kb_reload_seconds: float = 10.0) -> BackgroundScheduler:
    """Start a background scheduler: run due timers every tick, and reload the KB when it changes."""
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(timers.run_due, "interval", seconds=tick_seconds, id="run-due-timers",
                      max_instances=1, coalesce=True)
    if kb_source is not None:
        scheduler.add_job(kb_source.reload_if_changed, "interval", seconds=kb_reload_seconds,
                          id="reload-kb", max_instances=1, coalesce=True)
    scheduler.start()
    return scheduler
