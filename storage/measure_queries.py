"""Service measures in SQL: one row of facts per request, then aggregates and percentile ranks per group.

`build_facts` materialises the facts of the selected requests in temporary tables (they vanish when the
caller's transaction ends: never commit it) from `requests` and the per-request facts the write path keeps
(storage.fact_queries: request_facts, request_work); the other functions read them. Nothing here loads request rows
into Python: aggregates come back one row per group, percentiles as at most four ranked values per group.

Times are whole epoch seconds (SQLite: strftime('%s'); PostgreSQL: floor(extract(epoch))), so both backends
give the same integers. Working time uses a calendar handed in by the domain: per department and UTC day
(day = epoch // 86400), the working seconds before that day (`cum`) and up to two working intervals
[o1, c1), [o2, c2) in epoch seconds; W(t) = cum + the part of the day's intervals before t is "working
seconds up to t", and a working duration is W(end) - W(start). A department without a calendar row for a
day (no working hours, or outside the range) counts wall time.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from storage.models import Request

FACTS, CALENDAR = "report_facts", "report_calendar"
DURATIONS = ("first_response_s", "first_response_w", "claim_s", "claim_w", "handling_s", "handling_w",
             "resolve_s", "resolve_w")
FLAGS = ("offered", "self_served", "false_answer", "answer_expired", "escalated", "staff_resolved",
         "staff_closed", "confirmed", "unconfirmed", "one_touch", "reopened", "transferred", "bounced",
         "unclaimed", "open")
GROUPS = {"all": "'all'", "department": "dept", "staff": "staff", "period": "period",
          "department_period": "dept || ' ' || period", "entry": "entry"}
PERIODS = ("day", "week", "month")
SCORES = range(1, 6)


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


@dataclass(frozen=True)
class Selection:
    """Which requests: created in [since, until), optionally of one department (its current one)."""

    since: datetime | None = None
    until: datetime | None = None
    department: str | None = None
    period: str = "week"


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _epoch(column: str, dialect: str) -> str:
    if dialect == "postgresql":
        return f"CAST(FLOOR(EXTRACT(EPOCH FROM {column})) AS BIGINT)"
    return f"CAST(strftime('%s', substr({column}, 1, 19)) AS INTEGER)"  # whole seconds: floor, not rounded


def _period(column: str, period: str, dialect: str) -> str:
    """The period's first day as YYYY-MM-DD (UTC; weeks start on Monday)."""
    if period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}")
    if dialect == "postgresql":
        return f"to_char(date_trunc('{period}', {column} AT TIME ZONE 'UTC'), 'YYYY-MM-DD')"
    return {"day": f"strftime('%Y-%m-%d', {column})",
            "week": f"date({column}, '-6 days', 'weekday 1')",
            "month": f"strftime('%Y-%m-01', {column})"}[period]


def _greatest(a: str, b: str, dialect: str) -> str:
    return f"GREATEST({a}, {b})" if dialect == "postgresql" else f"MAX({a}, {b})"


def _least(a: str, b: str, dialect: str) -> str:
    return f"LEAST({a}, {b})" if dialect == "postgresql" else f"MIN({a}, {b})"


def _worked(seconds: str, cal: str, dialect: str) -> str:
    """W(t): working seconds up to `seconds` through the calendar row aliased `cal` (wall time without one)."""
    g, m = (lambda a, b: _greatest(a, b, dialect)), (lambda a, b: _least(a, b, dialect))
    return (f"(CASE WHEN {cal}.d IS NULL THEN {seconds} ELSE {cal}.cum + {g('0', m(seconds, f'{cal}.c1') + f' - {cal}.o1')}"
            f" + {g('0', m(seconds, f'{cal}.c2') + f' - {cal}.o2')} END)")



def _where(selection: Selection) -> tuple[str, dict[str, Any]]:
    conditions, params = ["1 = 1"], {}
    if selection.since is not None:
        conditions.append("r.created_at >= :since")
        params["since"] = selection.since
    if selection.until is not None:
        conditions.append("r.created_at < :until")
        params["until"] = selection.until
    if selection.department is not None:
        conditions.append("r.department_id = :department")
        params["department"] = selection.department
    return " AND ".join(conditions), params


def _fix_params(session: Session, params: dict[str, Any]) -> dict[str, Any]:
    # SQLite keeps naive UTC text (storage.types.UTCDateTime): compare like with like.
    if _dialect(session) != "sqlite":
        return params
    return {k: (v.replace(tzinfo=None) if isinstance(v, datetime) and v.tzinfo else v) for k, v in params.items()}


def _base_sql(selection: Selection, dialect: str) -> str:
    """One row per selected request: its columns and its facts (storage.fact_queries), working time of its handling."""
    where = _where(selection)[0]
    return f"""
SELECT r.id AS id, r.department_id AS dept, COALESCE(r.resolved_by, r.claimed_by, '') AS staff,
  {_period('r.created_at', selection.period, dialect)} AS period, COALESCE(r.kb_entry_id, '') AS entry,
  r.status AS status, r.resolution AS resolution, r.reopen_count AS reopen_count,
  r.transfer_count AS transfer_count, COALESCE(f.created_s, {_epoch('r.created_at', dialect)}) AS created_s,
  f.resolved_s AS resolved_s, f.escalated_s AS first_escalated, f.claimed_s AS first_claimed,
  f.human_s AS first_human, COALESCE(f.resolves, 0) AS resolves, COALESCE(f.offers, 0) AS offers,
  COALESCE(f.rejections, 0) AS rejections, COALESCE(f.staff_replies, 0) AS staff_replies,
  f.handling_s AS handling_s, hw.handling_w AS handling_w,
  {", ".join(f"COALESCE(rt.rating_{i}, 0) AS rating_{i}" for i in SCORES)}
FROM requests r LEFT JOIN request_facts f ON f.request_id = r.id
LEFT JOIN ({_handling_sql(where, dialect)}) hw ON hw.rid = r.id
LEFT JOIN ({_ratings_sql()}) rt ON rt.rid = r.id
WHERE {where}
"""


def _ratings_sql() -> str:
    # 1-5 ratings given after a fix (pulse answers are not about a request), counted per score
    counts = ", ".join(f"COUNT(CASE WHEN s.score = {i} THEN 1 END) AS rating_{i}" for i in SCORES)
    return f"SELECT s.request_id AS rid, {counts} FROM surveys s WHERE s.kind = 'rating' GROUP BY s.request_id"


def _handling_sql(where: str, dialect: str) -> str:
    # Working seconds of each closed work interval, by the calendar of the request's (current) department.
    def join(alias: str, column: str) -> str:
        return f"LEFT JOIN {CALENDAR} {alias} ON {alias}.d = r.department_id AND {alias}.day = w.{column} / 86400"

    return (f"SELECT w.request_id AS rid, SUM({_worked('w.ended_s', 'we', dialect)} - "
            f"{_worked('w.started_s', 'ws', dialect)}) AS handling_w "
            f"FROM request_work w JOIN requests r ON r.id = w.request_id {join('ws', 'started_s')} "
            f"{join('we', 'ended_s')} WHERE {where} GROUP BY w.request_id")


def _flag(condition: str) -> str:
    return f"CASE WHEN {condition} THEN 1 ELSE 0 END"


def _facts_sql(base: str, dialect: str, temp: str) -> str:
    def w(column: str, alias: str) -> str:
        return _worked(f"b.{column}", alias, dialect)

    def join(column: str, alias: str) -> str:
        return f"LEFT JOIN {CALENDAR} {alias} ON {alias}.d = b.dept AND {alias}.day = b.{column} / 86400"

    done = "b.status IN ('resolved', 'closed') AND b.resolves > 0"  # staff resolved it and nobody has it now
    staff_closed = "b.status = 'closed' AND b.resolution IN ('confirmed', 'unconfirmed')"
    one_touch = (f"{staff_closed} AND b.resolution = 'confirmed' AND b.reopen_count = 0 AND b.transfer_count = 0 "
                 "AND b.staff_replies <= 1")
    return f"""
CREATE TEMPORARY TABLE {FACTS} {temp} AS
SELECT b.id, b.dept, b.staff, b.period, b.entry, b.created_s,
  {", ".join(f"b.rating_{i}" for i in SCORES)},
  {_flag('b.offers > 0')} AS offered,
  {_flag("b.resolution = 'self_served'")} AS self_served,
  {_flag('b.rejections > 0')} AS false_answer,
  {_flag("b.resolution = 'answer_expired'")} AS answer_expired,
  {_flag('b.first_escalated IS NOT NULL')} AS escalated,
  {_flag('b.resolves > 0')} AS staff_resolved,
  {_flag(staff_closed)} AS staff_closed,
  {_flag("b.resolution = 'confirmed'")} AS confirmed,
  {_flag("b.resolution = 'unconfirmed'")} AS unconfirmed,
  {_flag(one_touch)} AS one_touch,
  {_flag('b.reopen_count > 0')} AS reopened,
  {_flag('b.transfer_count > 0')} AS transferred,
  {_flag('b.transfer_count > 1')} AS bounced,
  b.transfer_count AS transfers,
  {_flag("b.status = 'escalated'")} AS unclaimed,
  {_flag("b.status <> 'closed'")} AS open,
  b.first_human - b.first_escalated AS first_response_s,
  {w('first_human', 'ch')} - {w('first_escalated', 'ce')} AS first_response_w,
  b.first_claimed - b.first_escalated AS claim_s,
  {w('first_claimed', 'cc')} - {w('first_escalated', 'ce')} AS claim_w,
  CASE WHEN {done} THEN b.handling_s END AS handling_s,
  CASE WHEN {done} THEN b.handling_w END AS handling_w,
  CASE WHEN {done} THEN b.resolved_s - b.created_s END AS resolve_s,
  CASE WHEN {done} THEN {w('resolved_s', 'cr')} - {w('created_s', 'cb')} END AS resolve_w
FROM ({base}) b {join('first_escalated', 'ce')} {join('first_human', 'ch')} {join('first_claimed', 'cc')}
  {join('resolved_s', 'cr')} {join('created_s', 'cb')}
"""


def build_facts(session: Session, selection: Selection, days: Sequence[CalendarDay]) -> None:
    """Materialise the facts of the selected requests (temporary tables, gone with the transaction)."""
    dialect = _dialect(session)
    temp = "ON COMMIT DROP" if dialect == "postgresql" else ""
    if dialect == "postgresql":  # this transaction only: the percentiles sort a million values in memory, not on disk
        session.execute(text("SET LOCAL work_mem = '128MB'"))
    for name in (FACTS, CALENDAR):
        session.execute(text(f"DROP TABLE IF EXISTS {name}"))
    session.execute(text(f"CREATE TEMPORARY TABLE {CALENDAR} (d VARCHAR(64), day BIGINT, cum BIGINT, o1 BIGINT, "
                         f"c1 BIGINT, o2 BIGINT, c2 BIGINT, PRIMARY KEY (d, day)) {temp}"))
    if days:
        session.execute(text(f"INSERT INTO {CALENDAR} VALUES (:d, :day, :cum, :o1, :c1, :o2, :c2)"),
                        [dict(d=x.department, day=x.day, cum=x.cum, o1=x.o1, c1=x.c1, o2=x.o2, c2=x.c2) for x in days])
    params = _fix_params(session, _where(selection)[1])
    session.execute(text(_facts_sql(_base_sql(selection, dialect), dialect, temp)), params)
    if dialect == "postgresql":  # temporary tables get no automatic statistics: without them, plans are guesses
        session.execute(text(f"ANALYZE {FACTS}"))


def aggregates(session: Session, group: str) -> list[dict[str, Any]]:
    """Per group: counts of every flag and of every rating score (rating_1..rating_5), sums and counts of every
    duration."""
    key = GROUPS[group]
    sums = ", ".join(f"SUM({flag}) AS {flag}" for flag in FLAGS + tuple(f"rating_{i}" for i in SCORES))
    durations = ", ".join(f"COUNT({d}) AS n_{d}, SUM({d}) AS sum_{d}" for d in DURATIONS)
    sql = (f"SELECT {key} AS k, COUNT(*) AS requests, SUM(transfers) AS transfers, MAX(created_s) AS last_s, "
           f"{sums}, {durations} FROM {FACTS} GROUP BY 1 ORDER BY 1")
    return [dict(row._mapping) for row in session.execute(text(sql))]


def percentiles(session: Session, group: str, columns: Sequence[str],
                points: Sequence[float]) -> dict[str, dict[str, dict[float, float]]]:
    """{column: {group: {point: value}}}: percentile_cont (linear between the two nearest ranks), NULLs left out.

    One query per grouping for all the columns, so the facts are read once.
    """
    unknown = set(columns) - set(DURATIONS)
    if unknown:
        raise ValueError(f"unknown durations {sorted(unknown)}")
    if not columns:
        return {}
    if _dialect(session) == "postgresql":
        return _pg_percentiles(session, GROUPS[group], columns, points)
    return _ranked_percentiles(session, GROUPS[group], columns, points)


def _pg_percentiles(session: Session, key: str, columns: Sequence[str],
                    points: Sequence[float]) -> dict[str, dict[str, dict[float, float]]]:
    listed = ", ".join(f"{p!r}" for p in points)
    aggregates = ", ".join(f"percentile_cont(ARRAY[{listed}]::double precision[]) WITHIN GROUP (ORDER BY {c})"
                           for c in columns)
    out: dict[str, dict[str, dict[float, float]]] = {c: {} for c in columns}
    for k, *per_column in session.execute(text(f"SELECT {key} AS k, {aggregates} FROM {FACTS} GROUP BY 1")):
        for column, values in zip(columns, per_column, strict=True):
            if values is not None and values[0] is not None:
                out[column][k] = {p: round(float(v), 3) for p, v in zip(points, values, strict=True)}
    return out


def _ranked_percentiles(session: Session, key: str, columns: Sequence[str],
                        points: Sequence[float]) -> dict[str, dict[str, dict[float, float]]]:
    # SQLite has no percentile_cont: number each column's values per group (a window sorted by the value, NULLs
    # last) and fetch only the rows holding a rank a point falls between - at most two per point, column and
    # group, whatever the number of requests.
    inner, wanted = [], []
    for i, column in enumerate(columns):
        inner.append(f"{column} AS v{i}, ROW_NUMBER() OVER (PARTITION BY {key} ORDER BY {column} IS NULL, {column}) "
                     f"AS rn{i}, COUNT({column}) OVER (PARTITION BY {key}) AS n{i}")
        for p in points:
            thousandths = round(p * 1000)  # p*(n-1) in thousandths, so the ranks are integer arithmetic in SQL
            wanted += [f"(v{i} IS NOT NULL AND rn{i} - 1 = ({thousandths} * (n{i} - 1)) / 1000)",
                       f"(v{i} IS NOT NULL AND rn{i} - 1 = ({thousandths} * (n{i} - 1) + 999) / 1000)"]
    picked = ", ".join(f"v{i}, rn{i}, n{i}" for i in range(len(columns)))
    rows = session.execute(text(f"SELECT k, {picked} FROM (SELECT {key} AS k, {', '.join(inner)} FROM {FACTS}) "
                                f"ranked WHERE {' OR '.join(wanted)}"))
    ranked: dict[str, dict[str, tuple[int, dict[int, float]]]] = {c: {} for c in columns}
    for k, *cells in rows:
        for i, column in enumerate(columns):
            v, rn, n = cells[3 * i: 3 * i + 3]
            if v is not None:
                ranked[column].setdefault(k, (n, {}))[1][rn - 1] = float(v)
    return {column: {k: {p: _interpolate(values, n, p) for p in points}
                     for k, (n, values) in groups.items()}
            for column, groups in ranked.items()}


def _interpolate(values: dict[int, float], n: int, p: float) -> float:
    position = p * (n - 1)
    lo = int(position)
    hi = min(lo + 1, n - 1) if position > lo else lo
    return round(values[lo] + (position - lo) * (values[hi] - values[lo]), 3)


def time_range(session: Session) -> tuple[datetime | None, datetime | None]:
    """The first request's creation and the last change to any request (bounds of the working calendar)."""
    return tuple(session.execute(select(func.min(Request.created_at), func.max(Request.updated_at))).one())
