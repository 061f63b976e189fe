"""APScheduler only ticks: every few seconds it asks the timer runner to run what is due."""
from __future__ import annotations

from apscheduler.schedulers.background import BackgroundScheduler

from bot.timers import TimerRunner


def start_scheduler(timers: TimerRunner, tick_seconds: float) -> BackgroundScheduler:
    """Start a background scheduler that runs due timers every `tick_seconds`."""
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(timers.run_due, "interval", seconds=tick_seconds, id="run-due-timers",
                      max_instances=1, coalesce=True)
    scheduler.start()
    return scheduler
