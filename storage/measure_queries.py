"""Service measures in SQL: the facts of every selected request summed per day (the cells), then aggregates and
percentile ranks per group.

The worker keeps the facts and cells of whole days rolled up in report_rows / report_cells / report_entry_cells
(storage.rollup_queries); a report (`select_requests`) computes the days the rollup does not cover yet ("live"
days) the same way (storage.fact_sql) into temporary tables (they vanish with the caller's transaction: never
commit it) and reads every count from the cells. Percentiles read the facts: every row of a group of up to
SAMPLE[grouping] requests, and a fixed pseudo-random share of a bigger group's rows (about that many), so a
report costs the same at a million requests as at a hundred thousand. Nothing here loads request rows into
Python: aggregates come back one row per group, percentiles as at most four ranked values per group.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from storage.fact_sql import (DAY, CalendarDay, cell_sums, created_in, dialect_of, fact_select, fix_params,
                              greatest, load_calendar)
from storage.report_columns import CELL_SUMS, DURATIONS

LIVE_DAYS, LIVE_FACTS = "live_days", "live_facts"
CELLS, ENTRY_CELLS, SAMPLE_K, CELL_K, SAMPLED = "sel_cells", "sel_entry_cells", "sample_k", "cell_k", "sampled"
GROUPINGS = ("all", "department", "staff", "period", "department_period", "entry")
PERIODS = ("day", "week", "month")
SAMPLES = 1000  # `sample` runs 0..999
# Requests per group whose durations are all read; a bigger group's percentiles come from about this many (a
# median from 10,000 values is within about 1 % of the group's rank; the chart's points need less).
SAMPLE = {"all": 20000, "department": 20000, "staff": 5000, "period": 2000, "department_period": 500}
# ...and a grouping of many groups (days of a year) reads about this many in all, but at least FLOOR per group.
BUDGET, FLOOR = 100_000, 100


@dataclass(frozen=True)
class Selection:
    """Which requests: created in [since, until), optionally of one department (its current one)."""

    since: datetime | None = None
    until: datetime | None = None
    department: str | None = None
    period: str = "week"


def _period_of_day(day: str, period: str, dialect: str) -> str:
    """The period's first day as YYYY-MM-DD of a UTC day number (weeks start on Monday)."""
    if period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}")
    if dialect == "postgresql":
        return f"to_char(date_trunc('{period}', to_timestamp({day} * {DAY}) AT TIME ZONE 'UTC'), 'YYYY-MM-DD')"
    return {"day": f"date({day} * {DAY}, 'unixepoch')",
            "week": f"date({day} * {DAY}, 'unixepoch', '-6 days', 'weekday 1')",
            "month": f"strftime('%Y-%m-01', {day} * {DAY}, 'unixepoch')"}[period]


def group_key(grouping: str, alias: str, period_sql: str) -> str:
    """The SQL of a grouping's key over a cell or fact row aliased `alias` whose period is `period_sql`."""
    return {"all": "'all'", "department": f"{alias}.dept", "staff": f"{alias}.staff", "period": period_sql,
            "department_period": f"{alias}.dept || ' ' || {period_sql}", "entry": f"{alias}.entry"}[grouping]


def _selected(selection: Selection) -> tuple[str, dict[str, Any]]:
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


# --- a report: live days computed now, the other days read from the rollup ----------------------------------------


def created_range(session: Session) -> tuple[datetime, datetime] | None:
    """When the first and the last request were created (None without any)."""
    first, last = session.execute(text("SELECT MIN(created_at), MAX(created_at) FROM requests")).one()
    if first is None:
        return None
    return tuple(_aware(v if isinstance(v, datetime) else datetime.fromisoformat(str(v))) for v in (first, last))


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def selection_span(session: Session, selection: Selection) -> tuple[int, int] | None:
    """The UTC days a selection covers: from its `since` (or the first request) to its `until` (or the last)."""
    created = created_range(session)
    if created is None:
        return None
    start = selection.since or created[0]
    end = selection.until or created[1] + timedelta(microseconds=1)
    a, b = math.floor(start.timestamp() / DAY), math.ceil(end.timestamp() / DAY) - 1
    return (a, b) if a <= b else None


def edge_days(selection: Selection) -> set[int]:
    """Days a selection covers only in part (its since/until fall inside them): those are computed live."""
    return {int(t.timestamp()) // DAY for t in (selection.since, selection.until) if t is not None
            and int(t.timestamp()) % DAY}


def select_requests(session: Session, selection: Selection, span: tuple[int, int], live: Iterable[int],
                    days: Sequence[CalendarDay]) -> None:
    """Temporary tables of the selected requests: facts of the `live` days, cells of every day of `span`."""
    dialect = dialect_of(session)
    temp = "ON COMMIT DROP" if dialect == "postgresql" else ""
    if dialect == "postgresql":  # this transaction only: sorts and hashes in memory, not on disk
        session.execute(text("SET LOCAL work_mem = '128MB'"))
    for name in (LIVE_DAYS, LIVE_FACTS, CELLS, ENTRY_CELLS, SAMPLE_K, CELL_K, SAMPLED):
        session.execute(text(f"DROP TABLE IF EXISTS {name}"))
    live = sorted(set(live))
    load_calendar(session, days)
    session.execute(text(f"CREATE TEMPORARY TABLE {LIVE_DAYS} (day BIGINT PRIMARY KEY) {temp}"))
    if live:
        session.execute(text(f"INSERT INTO {LIVE_DAYS} VALUES (:day)"), [{"day": d} for d in live])
    where, params = _selected(selection)
    in_live, live_params = created_in(live)
    session.execute(text(f"CREATE TEMPORARY TABLE {LIVE_FACTS} {temp} AS "
                         f"{fact_select(f'({where}) AND ({in_live})', dialect)}"),
                    fix_params(session, {**params, **live_params}))
    rolled = f"c.day BETWEEN {span[0]} AND {span[1]} AND c.day NOT IN (SELECT day FROM {LIVE_DAYS})"
    if selection.department is not None:
        rolled += " AND c.dept = :department"
    department = {"department": selection.department} if selection.department is not None else {}
    for table, rollup, key in ((CELLS, "report_cells", "staff"), (ENTRY_CELLS, "report_entry_cells", "entry")):
        kept = ", ".join(f"c.{c}" for c in (*CELL_SUMS, "last_s"))
        session.execute(text(
            f"CREATE TEMPORARY TABLE {table} {temp} AS SELECT c.day, c.dept, c.{key}, 0 AS live, {kept} "
            f"FROM {rollup} c WHERE {rolled} UNION ALL SELECT day, dept, {key}, 1 AS live, {cell_sums()} "
            f"FROM {LIVE_FACTS} GROUP BY day, dept, {key}"), department)
    if dialect == "postgresql":  # temporary tables get no automatic statistics: without them, plans are guesses
        for table in (LIVE_FACTS, CELLS):
            session.execute(text(f"ANALYZE {table}"))


def aggregates(session: Session, grouping: str, period: str) -> list[dict[str, Any]]:
    """Per group of the selected requests: counts of every flag and rating score, sums and counts of every
    duration, the number of requests and transfers and the last creation (epoch seconds)."""
    key = group_key(grouping, "c", _period_of_day("c.day", period, dialect_of(session)))
    sums = ", ".join(f"SUM(c.{column}) AS {column}" for column in CELL_SUMS)
    table = ENTRY_CELLS if grouping == "entry" else CELLS
    sql = f"SELECT {key} AS k, {sums}, MAX(c.last_s) AS last_s FROM {table} c GROUP BY 1 ORDER BY 1"
    return [dict(row._mapping) for row in session.execute(text(sql))]


def sample_share(requests: int, target: int) -> int:
    """How many of the SAMPLES values of `sample` a group of `requests` reads to keep about `target` of them."""
    return SAMPLES if requests <= target else max(1, math.ceil(SAMPLES * target / requests))


def sample_rows(session: Session, sizes: Mapping[str, Mapping[str, int]], period: str, exact: bool = False) -> None:
    """The fact rows the percentiles read (temporary): all of a group of up to SAMPLE[grouping] requests (fewer when
    the grouping has many groups: BUDGET), a fixed share of a bigger group's. `sizes`: requests per group, per
    grouping; every row of every group when `exact`)."""
    dialect = dialect_of(session)
    temp = "ON COMMIT DROP" if dialect == "postgresql" else ""
    session.execute(text(f"CREATE TEMPORARY TABLE {SAMPLE_K} (g VARCHAR(32), k_key VARCHAR(200), k BIGINT, "
                         f"PRIMARY KEY (g, k_key)) {temp}"))
    shares = [{"g": g, "key": str(key),
               "k": SAMPLES if exact else sample_share(n, min(SAMPLE[g], max(BUDGET // len(groups), FLOOR)))}
              for g, groups in sizes.items() for key, n in groups.items()]
    if shares:
        session.execute(text(f"INSERT INTO {SAMPLE_K} VALUES (:g, :key, :k)"), shares)
    shared = {g: f"k_{g}" for g in sizes}
    cell_period = _period_of_day("c.day", period, dialect)
    joins = " ".join(f"LEFT JOIN {SAMPLE_K} q{i} ON q{i}.g = '{g}' AND q{i}.k_key = {group_key(g, 'c', cell_period)}"
                     for i, g in enumerate(sizes))
    each = ", ".join(f"COALESCE(q{i}.k, 0) AS {shared[g]}" for i, g in enumerate(sizes))
    most = greatest(["0", *(f"COALESCE(q{i}.k, 0)" for i in range(len(sizes)))], dialect)
    session.execute(text(f"CREATE TEMPORARY TABLE {CELL_K} {temp} AS SELECT c.day, c.dept, c.staff, c.live, "
                         f"{cell_period} AS p, {each}, {most} AS k FROM {CELLS} c {joins}"))
    # each sampled row carries its period and the share every grouping keeps, so percentiles compute neither
    columns = ", ".join([*(f"x.{c}" for c in ("dept", "staff", "sample", *DURATIONS)), "c.p",
                         *(f"c.{k}" for k in shared.values())])
    same = "x.day = c.day AND x.dept = c.dept AND x.staff = c.staff AND x.sample < c.k"
    session.execute(text(
        f"CREATE TEMPORARY TABLE {SAMPLED} {temp} AS SELECT {columns} FROM {CELL_K} c JOIN report_rows x ON {same} "
        f"WHERE c.live = 0 UNION ALL SELECT {columns} FROM {CELL_K} c JOIN {LIVE_FACTS} x ON {same} "
        f"WHERE c.live = 1"))


def percentiles(session: Session, grouping: str, columns: Sequence[str],
                points: Sequence[float]) -> dict[str, dict[str, tuple[int, dict[float, float]]]]:
    """{column: {group: (values read, {point: value})}}: percentile_cont (linear between the two nearest ranks)
    of the sampled rows (sample_rows), NULLs left out. One query per grouping for all the columns."""
    unknown = set(columns) - set(DURATIONS)
    if unknown:
        raise ValueError(f"unknown durations {sorted(unknown)}")
    if not columns:
        return {}
    source = (f"(SELECT x.*, {group_key(grouping, 'x', 'x.p')} AS k FROM {SAMPLED} x "
              f"WHERE x.sample < x.k_{grouping}) s")
    if dialect_of(session) == "postgresql":
        return _pg_percentiles(session, source, columns, points)
    return _ranked_percentiles(session, source, columns, points)


def _pg_percentiles(session: Session, source: str, columns: Sequence[str],
                    points: Sequence[float]) -> dict[str, dict[str, tuple[int, dict[float, float]]]]:
    listed = ", ".join(f"{p!r}" for p in points)
    parts = ", ".join(f"COUNT({c}), percentile_cont(ARRAY[{listed}]::double precision[]) WITHIN GROUP (ORDER BY {c})"
                      for c in columns)
    out: dict[str, dict[str, tuple[int, dict[float, float]]]] = {c: {} for c in columns}
    for k, *cells in session.execute(text(f"SELECT s.k, {parts} FROM {source} GROUP BY s.k")):
        for i, column in enumerate(columns):
            n, values = cells[2 * i], cells[2 * i + 1]
            if values is not None and values[0] is not None:
                out[column][k] = (n, {p: round(float(v), 3) for p, v in zip(points, values, strict=True)})
    return out


def _ranked_percentiles(session: Session, source: str, columns: Sequence[str],
                        points: Sequence[float]) -> dict[str, dict[str, tuple[int, dict[float, float]]]]:
    # SQLite has no percentile_cont: number each column's values per group (a window sorted by the value, NULLs
    # last) and fetch only the rows holding a rank a point falls between - at most two per point, column and
    # group, whatever the number of requests.
    inner, counts, wanted = [], [], []
    for i, column in enumerate(columns):
        inner.append(f"s.{column} AS v{i}, ROW_NUMBER() OVER (PARTITION BY s.k ORDER BY s.{column} IS NULL, "
                     f"s.{column}) AS rn{i}")
        counts.append(f"COUNT(s.{column}) AS n{i}")
        for p in points:
            thousandths = round(p * 1000)  # p*(n-1) in thousandths, so the ranks are integer arithmetic in SQL
            wanted += [f"(v{i} IS NOT NULL AND rn{i} - 1 = ({thousandths} * (n{i} - 1)) / 1000)",
                       f"(v{i} IS NOT NULL AND rn{i} - 1 = ({thousandths} * (n{i} - 1) + 999) / 1000)"]
    picked = ", ".join(f"v{i}, rn{i}, n{i}" for i in range(len(columns)))
    rows = session.execute(text(
        f"SELECT r.k, {picked} FROM (SELECT s.k AS k, {', '.join(inner)} FROM {source}) r JOIN "
        f"(SELECT s.k AS k, {', '.join(counts)} FROM {source} GROUP BY s.k) c ON c.k = r.k WHERE {' OR '.join(wanted)}"))
    ranked: dict[str, dict[str, tuple[int, dict[int, float]]]] = {c: {} for c in columns}
    for k, *cells in rows:
        for i, column in enumerate(columns):
            v, rn, n = cells[3 * i: 3 * i + 3]
            if v is not None:
                ranked[column].setdefault(k, (n, {}))[1][rn - 1] = float(v)
    return {column: {k: (n, {p: _interpolate(values, n, p) for p in points}) for k, (n, values) in groups.items()}
            for column, groups in ranked.items()}


def _interpolate(values: dict[int, float], n: int, p: float) -> float:
    position = p * (n - 1)
    lo = int(position)
    hi = min(lo + 1, n - 1) if position > lo else lo
    return round(values[lo] + (position - lo) * (values[hi] - values[lo]), 3)
