"""The figures of one request in SQL (`fact_select`: one row per request, from `requests` and the per-request facts
the write path keeps, storage.fact_queries) and their sums per day (`cell_sums`), shared by the worker's rollup
(storage.rollup_queries) and the report (storage.measure_queries).

Times are whole epoch seconds (SQLite: strftime('%s'); PostgreSQL: floor(extract(epoch))), so both backends
give the same integers. Working time uses a calendar handed in by the domain: per department and UTC day
(day = epoch // 86400), the working seconds before that day (`cum`) and up to two working intervals
[o1, c1), [o2, c2) in epoch seconds; W(t) = cum + the part of the day's intervals before t is "working
seconds up to t", and a working duration is W(end) - W(start). A department without a calendar row for a
day (no working hours, or outside the range) counts wall time.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from storage.report_columns import DURATIONS, FACT_COLUMNS, FLAGS, RATINGS, SCORES

CALENDAR = "report_calendar"
DAY = 86400


@dataclass(frozen=True)
class CalendarDay:
    """Working time of one department on one UTC day (see the module docstring)."""

    department: str
    day: int
    cum: int
    o1: int = 0
    c1: int = 0
    o2: int = 0
    c2: int = 0


def dialect_of(session: Session) -> str:
    """The session's database dialect name (sqlite, postgresql)."""
    return session.get_bind().dialect.name


def epoch_sql(column: str, dialect: str) -> str:
    """Whole epoch seconds of a datetime column (floor, not rounded) on either backend."""
    if dialect == "postgresql":
        return f"CAST(FLOOR(EXTRACT(EPOCH FROM {column})) AS BIGINT)"
    return f"CAST(strftime('%s', substr({column}, 1, 19)) AS INTEGER)"


def greatest(values: Sequence[str], dialect: str) -> str:
    """SQL of the greatest of `values` on either backend."""
    return f"{'GREATEST' if dialect == 'postgresql' else 'MAX'}({', '.join(values)})"


def _least(a: str, b: str, dialect: str) -> str:
    return f"LEAST({a}, {b})" if dialect == "postgresql" else f"MIN({a}, {b})"


def _worked(seconds: str, cal: str, dialect: str) -> str:
    """W(t): working seconds up to `seconds` through the calendar row aliased `cal` (wall time without one)."""
    def g(a: str, b: str) -> str:
        return greatest([a, b], dialect)

    def m(a: str, b: str) -> str:
        return _least(a, b, dialect)

    return (f"(CASE WHEN {cal}.d IS NULL THEN {seconds} ELSE {cal}.cum + {g('0', m(seconds, f'{cal}.c1') + f' - {cal}.o1')}"
            f" + {g('0', m(seconds, f'{cal}.c2') + f' - {cal}.o2')} END)")


def fix_params(session: Session, params: dict[str, Any]) -> dict[str, Any]:
    """Datetime parameters as the backend compares them (SQLite keeps naive UTC text: storage.types)."""
    if dialect_of(session) != "sqlite":
        return params
    return {k: (v.astimezone(UTC).replace(tzinfo=None) if isinstance(v, datetime) and v.tzinfo else v)
            for k, v in params.items()}


def day_ranges(days: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted days as inclusive runs [(first, last), ...]."""
    runs: list[tuple[int, int]] = []
    for day in sorted(set(days)):
        if runs and day == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def created_in(days: Iterable[int], prefix: str = "d") -> tuple[str, dict[str, Any]]:
    """A condition on r.created_at: created on one of `days` (UTC), with its parameters."""
    conditions, params = [], {}
    for i, (first, last) in enumerate(day_ranges(days)):
        conditions.append(f"(r.created_at >= :{prefix}{i}a AND r.created_at < :{prefix}{i}b)")
        params[f"{prefix}{i}a"] = datetime.fromtimestamp(first * DAY, UTC)
        params[f"{prefix}{i}b"] = datetime.fromtimestamp((last + 1) * DAY, UTC)
    return (" OR ".join(conditions) or "1 = 0"), params


def day_in(days: Iterable[int], column: str = "day") -> str:
    """A condition on a day column: one of `days` (integers, written into the SQL)."""
    return " OR ".join(f"({column} BETWEEN {a} AND {b})" for a, b in day_ranges(days)) or "1 = 0"


def _base_sql(where: str, dialect: str) -> str:
    """One row per request matching `where` (over `requests r`): its columns, its facts, its handling's working time."""
    created = epoch_sql("r.created_at", dialect)
    return f"""
SELECT r.id AS id, r.department_id AS dept, COALESCE(r.resolved_by, r.claimed_by, '') AS staff,
  {created} / {DAY} AS day, ((r.id * 2654435761) % 4294967296) / 4294968 AS sample,
  COALESCE(r.kb_entry_id, '') AS entry, r.status AS status, r.resolution AS resolution,
  r.reopen_count AS reopen_count, r.transfer_count AS transfer_count, COALESCE(f.created_s, {created}) AS created_s,
  f.resolved_s AS resolved_s, f.escalated_s AS first_escalated, f.claimed_s AS first_claimed,
  f.human_s AS first_human, COALESCE(f.resolves, 0) AS resolves, COALESCE(f.offers, 0) AS offers,
  COALESCE(f.rejections, 0) AS rejections, COALESCE(f.staff_replies, 0) AS staff_replies,
  f.handling_s AS handling_s, hw.handling_w AS handling_w,
  {", ".join(f"COALESCE(rt.rating_{i}, 0) AS rating_{i}" for i in SCORES)}
FROM requests r LEFT JOIN request_facts f ON f.request_id = r.id
LEFT JOIN ({_handling_sql(where, dialect)}) hw ON hw.rid = r.id
LEFT JOIN ({_ratings_sql(where)}) rt ON rt.rid = r.id
WHERE {where}
"""


def _ratings_sql(where: str) -> str:
    # 1-5 ratings given after a fix (pulse answers are not about a request), counted per score
    counts = ", ".join(f"COUNT(CASE WHEN s.score = {i} THEN 1 END) AS rating_{i}" for i in SCORES)
    return (f"SELECT s.request_id AS rid, {counts} FROM surveys s JOIN requests r ON r.id = s.request_id "
            f"WHERE s.kind = 'rating' AND {where} GROUP BY s.request_id")


def _handling_sql(where: str, dialect: str) -> str:
    # Working seconds of each closed work interval, by the calendar of the request's (current) department.
    def join(alias: str, column: str) -> str:
        return f"LEFT JOIN {CALENDAR} {alias} ON {alias}.d = r.department_id AND {alias}.day = w.{column} / {DAY}"

    return (f"SELECT w.request_id AS rid, SUM({_worked('w.ended_s', 'we', dialect)} - "
            f"{_worked('w.started_s', 'ws', dialect)}) AS handling_w "
            f"FROM request_work w JOIN requests r ON r.id = w.request_id {join('ws', 'started_s')} "
            f"{join('we', 'ended_s')} WHERE {where} GROUP BY w.request_id")


def _flag(condition: str) -> str:
    return f"CASE WHEN {condition} THEN 1 ELSE 0 END"


def fact_select(where: str, dialect: str) -> str:
    """SELECT of the FACT_COLUMNS of every request matching `where` (over `requests r`); needs the calendar."""
    def w(column: str, alias: str) -> str:
        return _worked(f"b.{column}", alias, dialect)

    def join(column: str, alias: str) -> str:
        return f"LEFT JOIN {CALENDAR} {alias} ON {alias}.d = b.dept AND {alias}.day = b.{column} / {DAY}"

    done = "b.status IN ('resolved', 'closed') AND b.resolves > 0"  # staff resolved it and nobody has it now
    staff_closed = "b.status = 'closed' AND b.resolution IN ('confirmed', 'unconfirmed')"
    one_touch = (f"{staff_closed} AND b.resolution = 'confirmed' AND b.reopen_count = 0 AND b.transfer_count = 0 "
                 "AND b.staff_replies <= 1")
    values = {
        "offered": _flag("b.offers > 0"), "self_served": _flag("b.resolution = 'self_served'"),
        "false_answer": _flag("b.rejections > 0"), "answer_expired": _flag("b.resolution = 'answer_expired'"),
        "escalated": _flag("b.first_escalated IS NOT NULL"), "staff_resolved": _flag("b.resolves > 0"),
        "staff_closed": _flag(staff_closed), "confirmed": _flag("b.resolution = 'confirmed'"),
        "unconfirmed": _flag("b.resolution = 'unconfirmed'"), "one_touch": _flag(one_touch),
        "reopened": _flag("b.reopen_count > 0"), "transferred": _flag("b.transfer_count > 0"),
        "bounced": _flag("b.transfer_count > 1"), "unclaimed": _flag("b.status = 'escalated'"),
        "open": _flag("b.status <> 'closed'"), "transfers": "b.transfer_count",
        "first_response_s": "b.first_human - b.first_escalated",
        "first_response_w": f"{w('first_human', 'ch')} - {w('first_escalated', 'ce')}",
        "claim_s": "b.first_claimed - b.first_escalated",
        "claim_w": f"{w('first_claimed', 'cc')} - {w('first_escalated', 'ce')}",
        "handling_s": f"CASE WHEN {done} THEN b.handling_s END",
        "handling_w": f"CASE WHEN {done} THEN b.handling_w END",
        "resolve_s": f"CASE WHEN {done} THEN b.resolved_s - b.created_s END",
        "resolve_w": f"CASE WHEN {done} THEN {w('resolved_s', 'cr')} - {w('created_s', 'cb')} END"}
    columns = ", ".join(f"{values.get(c, f'b.{c}')} AS {c}" for c in FACT_COLUMNS)
    return (f"SELECT {columns} FROM ({_base_sql(where, dialect)}) b {join('first_escalated', 'ce')} "
            f"{join('first_human', 'ch')} {join('first_claimed', 'cc')} {join('resolved_s', 'cr')} "
            f"{join('created_s', 'cb')}")


def cell_sums() -> str:
    """The CELL_VALUES as aggregates over fact rows."""
    durations = [f"COUNT({d}) AS n_{d}" for d in DURATIONS] + [f"SUM({d}) AS sum_{d}" for d in DURATIONS]
    sums = [f"SUM({c}) AS {c}" for c in ("transfers", *FLAGS, *RATINGS)]
    return ", ".join(["COUNT(*) AS requests", *sums, *durations, "MAX(created_s) AS last_s"])


def load_calendar(session: Session, days: Sequence[CalendarDay]) -> None:
    """The working-hours calendar as a temporary table (gone with the transaction)."""
    temp = "ON COMMIT DROP" if dialect_of(session) == "postgresql" else ""
    session.execute(text(f"DROP TABLE IF EXISTS {CALENDAR}"))
    session.execute(text(f"CREATE TEMPORARY TABLE {CALENDAR} (d VARCHAR(64), day BIGINT, cum BIGINT, o1 BIGINT, "
                         f"c1 BIGINT, o2 BIGINT, c2 BIGINT, PRIMARY KEY (d, day)) {temp}"))
    if days:
        session.execute(text(f"INSERT INTO {CALENDAR} VALUES (:d, :day, :cum, :o1, :c1, :o2, :c2)"),
                        [dict(d=x.department, day=x.day, cum=x.cum, o1=x.o1, c1=x.c1, o2=x.o2, c2=x.c2) for x in days])
    if temp:  # PostgreSQL: a temporary table has no statistics until analysed, and the joins are planned blind
        session.execute(text(f"ANALYZE {CALENDAR}"))
