"""The report's rollup: the worker sums every day's requests ahead of time, so `helploop report` reads a few
rows per day instead of every request, and computes only the days changed since (storage.rollup_queries)."""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.working_time import calendar
from kb import Department, KnowledgeBase
from storage import measure_queries as mq
from storage import rollup_queries as rq
from storage.fact_sql import DAY
from storage.measure_queries import Selection

log = logging.getLogger(__name__)
CHUNK_DAYS = 1  # days rolled up per transaction: a rebuild never holds SQLite's write lock for long
# Changes stamped this long before a run may still commit after it reads what changed: they are read again.
OVERLAP = timedelta(minutes=5)


def fingerprint(departments: Mapping[str, Department]) -> str:
    """A digest of every department's working hours (a change makes every rolled-up day stale)."""
    parts = sorted(f"{d.id}|{d.working_timezone}|"
                   f"{d.working_hours.model_dump_json(include={'weekdays', 'hours', 'holidays'}) if d.working_hours else ''}"
                   for d in departments.values())
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def live_days(session: Session, departments: Mapping[str, Department], selection: Selection,
              span: tuple[int, int]) -> set[int]:
    """Days of `span` a report computes now: not rolled up (or with other working hours), changed since the
    rollup ran, or only partly selected."""
    if rq.watermark(session) is None:
        return set(range(span[0], span[1] + 1))
    return _unsure(session, span, fingerprint(departments)) | {
        d for d in mq.edge_days(selection) if span[0] <= d <= span[1]}


def _unsure(session: Session, span: tuple[int, int], digest: str) -> set[int]:
    """Days of `span` whose rollup is missing, made with other working hours, or older than a change."""
    mark = rq.watermark(session)
    changed = rq.changed_days(session, mark) if mark else set()
    return rq.stale_days(session, span, digest) | {d for d in changed if span[0] <= d <= span[1]}


def refresh_rollup(sessions: sessionmaker[Session], departments: Mapping[str, Department], now: datetime) -> int:
    """Roll up every day changed since the last run (all of them the first time); returns how many days."""
    digest = fingerprint(departments)
    with sessions.begin() as session:
        created = mq.created_range(session)
        span = (int(created[0].timestamp()) // DAY, int(now.timestamp()) // DAY) if created else None
        days = sorted(_unsure(session, span, digest)) if span else []
    for first in range(0, len(days), CHUNK_DAYS):
        chunk = days[first:first + CHUNK_DAYS]
        with sessions.begin() as session:
            start = datetime.fromtimestamp(chunk[0] * DAY, UTC)
            rq.rebuild_days(session, chunk, digest, calendar(departments.values(), start, now))
    with sessions.begin() as session:
        rq.set_watermark(session, now - OVERLAP)
    return len(days)


class Rollup:
    """The worker's scheduled rollup, with the departments of the KB being served and the service's clock."""

    def __init__(self, sessions: sessionmaker[Session], kb: Callable[[], KnowledgeBase], clock: Clock) -> None:
        self.sessions, self.kb, self.clock = sessions, kb, clock

    def run(self) -> int:
        """Roll up what changed; returns how many days."""
        days = refresh_rollup(self.sessions, self.kb().departments, self.clock.now())
        if days:
            log.info("report rollup: %d days", days)
        return days
