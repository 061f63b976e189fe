"""The report's rollup: the facts and cells of whole UTC days kept in report_rows / report_cells /
report_entry_cells (storage.fact_sql defines what they hold), which days are rolled up with which working hours
(report_days), and since when changes may be missing (report_state). Query functions never commit."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, insert, select, text
from sqlalchemy.orm import Session

from storage.fact_sql import (DAY, CalendarDay, cell_sums, created_in, day_in, dialect_of, epoch_sql, fact_select, fix_params,
                              load_calendar)
from storage.models import report_days, report_state
from storage.report_columns import CELL_VALUES, FACT_COLUMNS



def watermark(session: Session) -> datetime | None:
    """Changes at or after this instant may not be rolled up (None: nothing is rolled up yet)."""
    return session.scalar(select(report_state.c.watermark).where(report_state.c.id == 1))


def set_watermark(session: Session, at: datetime) -> None:
    """Record that every change before `at` is rolled up."""
    session.execute(delete(report_state))
    session.execute(insert(report_state).values(id=1, watermark=at))


def stale_days(session: Session, span: tuple[int, int], fingerprint: str) -> set[int]:
    """Days of `span` not rolled up with these working hours."""
    fresh = session.scalars(select(report_days.c.day).where(report_days.c.day.between(*span),
                                                            report_days.c.fingerprint == fingerprint))
    return set(range(span[0], span[1] + 1)) - set(fresh)


def changed_days(session: Session, since: datetime) -> set[int]:
    """Creation days of the requests whose audit trail or rating changed at or after `since`."""
    day = f"{epoch_sql('r.created_at', dialect_of(session))} / {DAY}"
    sql = (f"SELECT DISTINCT {day} FROM audit_events e JOIN requests r ON r.id = e.request_id WHERE e.at >= :since "
           f"UNION SELECT DISTINCT {day} FROM surveys s JOIN requests r ON r.id = s.request_id "
           f"WHERE s.answered_at >= :since")
    return {int(d) for d in session.scalars(text(sql), fix_params(session, {"since": since}))}


def rebuild_days(session: Session, days: Sequence[int], fingerprint: str, calendar: Sequence[CalendarDay]) -> None:
    """Recompute the facts and cells of every request created on `days`, and mark the days rolled up."""
    dialect = dialect_of(session)
    if dialect == "postgresql":  # two replicas' workers never rebuild the same day at once (SQLite: one writer)
        session.execute(text("SELECT pg_advisory_xact_lock(7301)"))
    load_calendar(session, calendar)
    on_days = day_in(days)
    for table in ("report_rows", "report_cells", "report_entry_cells"):
        session.execute(text(f"DELETE FROM {table} WHERE {on_days}"))
    where, params = created_in(days)
    session.execute(text(f"INSERT INTO report_rows ({', '.join(FACT_COLUMNS)}) {fact_select(where, dialect)}"),
                    fix_params(session, params))
    for table, key in (("report_cells", "staff"), ("report_entry_cells", "entry")):
        session.execute(text(f"INSERT INTO {table} (day, dept, {key}, {', '.join(CELL_VALUES)}) "
                             f"SELECT day, dept, {key}, {cell_sums()} FROM report_rows WHERE {on_days} "
                             f"GROUP BY day, dept, {key}"))
    _mark(session, days, fingerprint)


def _mark(session: Session, days: Iterable[int], fingerprint: str) -> None:
    days = list(days)
    session.execute(delete(report_days).where(report_days.c.day.in_(days)))
    session.execute(insert(report_days), [{"day": d, "fingerprint": fingerprint} for d in days])
