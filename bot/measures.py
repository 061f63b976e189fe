"""Service measures per department, staff member and period, held against the departments' standards.

Every figure is computed in SQL (storage.measure_queries) from the requests and their audit trail, reading the
worker's rollup for the days it covers (bot.rollup); this module turns the rows into figures and lists the
breaches. Medians and p90s of groups bigger than storage.measure_queries.SAMPLE come from a fixed sample of them.
README.md ("Measures") defines each figure.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.rollup import live_days
from bot.working_time import calendar
from kb import Department
from kb.standards import AT_MOST, DURATION_STANDARDS
from storage import measure_queries as mq
from storage.fact_sql import DAY
from storage.measure_queries import Selection

POINTS = (0.5, 0.9)
TIMINGS = ("first_response", "claim", "handling", "resolve")
COUNTS = ("requests", "offered", "self_served", "false_answer", "answer_expired", "escalated", "staff_resolved",
          "staff_closed", "confirmed", "unconfirmed", "one_touch", "reopened", "transferred", "bounced", "transfers",
          "unclaimed", "open")
_BOTH = [f"{name}_{kind}" for name in TIMINGS for kind in ("s", "w")]
_KEY = ["first_response_s", "first_response_w", "handling_s", "handling_w"]
# Which durations get medians and p90s per grouping (each is one sorted pass over the sampled rows): every one overall and per
# department; first response and handling per period and staff member; their working time per department and period
# (the chart).
COLUMNS: dict[str, list[str]] = {"all": _BOTH, "department": _BOTH, "period": _KEY, "staff": _KEY,
                                 "department_period": ["first_response_w", "handling_w"], "entry": []}


@dataclass(frozen=True)
class Timing:
    """One duration measure: how many requests it covers, median and p90, wall-clock and working time (seconds)."""

    n: int
    median: float | None
    p90: float | None
    median_working: float | None
    p90_working: float | None
    read: int = 0  # how many values the median and p90 come from: n, or a sample of a big group (estimates)

    @property
    def estimated(self) -> bool:
        """True when the median and p90 come from a sample of the group's values, not all of them."""
        return 0 < self.read < self.n


@dataclass(frozen=True)
class Figures:
    """The measures of one group (a department, a staff member, a period, an entry, or everything)."""

    key: str
    counts: dict[str, int]
    timings: dict[str, Timing]
    ratings: dict[int, int]
    last_created: datetime | None = None

    def rate(self, part: str, whole: str) -> float | None:
        """counts[part] / counts[whole]; None when the whole is 0."""
        return self.counts[part] / self.counts[whole] if self.counts.get(whole) else None

    @property
    def rates(self) -> dict[str, float | None]:
        """The shares the standards and the report speak of (0-1)."""
        return {"self_service": self.rate("self_served", "requests"),
                "false_answer": self.rate("false_answer", "offered"),
                "one_touch": self.rate("one_touch", "staff_closed"),
                "reopen": self.rate("reopened", "staff_resolved"),
                "unconfirmed": self.rate("unconfirmed", "staff_closed")}

    @property
    def rating_count(self) -> int:
        return sum(self.ratings.values())

    @property
    def rating_mean(self) -> float | None:
        """Mean of the 1-5 ratings; None without any."""
        n = self.rating_count
        return sum(score * k for score, k in self.ratings.items()) / n if n else None

    def value(self, standard: str) -> float | None:
        """The figure a standard is held against: working median for durations, a share, or the mean rating."""
        if standard in DURATION_STANDARDS:
            return self.timings[standard].median_working
        if standard == "rating":
            return self.rating_mean
        return self.rates[standard]


@dataclass(frozen=True)
class Breach:
    """A department's figure on the wrong side of its standard."""

    department: str
    standard: str
    value: float
    target: float
    at_most: bool


@dataclass(frozen=True)
class Report:
    """Everything `helploop report` shows."""

    selection: Selection
    overall: Figures
    departments: list[Figures]
    periods: list[Figures]
    staff: list[Figures]
    department_periods: list[Figures]
    entries: list[Figures]
    targets: dict[str, dict[str, float]]
    breaches: list[Breach] = field(default_factory=list)


def compute_report(sessions: sessionmaker[Session], departments: Mapping[str, Department], selection: Selection,
                   now: datetime, exact: bool = False) -> Report:
    """Every measure of the selected requests, in one transaction that changes nothing (rolled back); `exact`:
    every median and p90 from all of its group's values (slower on big groups) rather than a sample."""
    with sessions() as session:
        try:
            span = mq.selection_span(session, selection)
            groups = _groups(session, departments, selection, span, now, exact) if span else {g: [] for g in COLUMNS}
        finally:
            session.rollback()
    overall = groups["all"][0] if groups["all"] else _empty("all")
    targets = {d.id: _targets(d) for d in departments.values() if _targets(d)}
    entries = [f for f in groups["entry"] if f.key and f.counts["offered"]]
    report = Report(selection, overall, groups["department"], groups["period"], groups["staff"],
                    groups["department_period"], entries, targets)
    report.breaches.extend(breaches(report.departments, targets))
    return report


def _groups(session: Session, departments: Mapping[str, Department], selection: Selection, span: tuple[int, int],
            now: datetime, exact: bool) -> dict[str, list[Figures]]:
    live = live_days(session, departments, selection, span)
    start = datetime.fromtimestamp(min(live) * DAY, UTC) if live else now
    mq.select_requests(session, selection, span, live, calendar(departments.values(), start, now) if live else [])
    rows = {g: mq.aggregates(session, g, selection.period) for g in COLUMNS}
    mq.sample_rows(session, {g: {r["k"]: r["requests"] for r in rows[g]} for g, c in COLUMNS.items() if c},
                   selection.period, exact)
    return {g: _figures(rows[g], mq.percentiles(session, g, c, POINTS)) for g, c in COLUMNS.items()}


def _targets(department: Department) -> dict[str, float]:
    return {k: v for k, v in department.standards.model_dump().items() if v is not None}


def breaches(figures: Iterable[Figures], targets: Mapping[str, Mapping[str, float]]) -> list[Breach]:
    """Each department figure past its target (a figure without data is not a breach: it is shown as n/a)."""
    found = []
    for f in figures:
        for standard, target in targets.get(f.key, {}).items():
            value = f.value(standard)
            if value is None:
                continue
            at_most = standard in AT_MOST
            if (value > target) if at_most else (value < target):
                found.append(Breach(f.key, standard, value, target, at_most))
    return found


def _figures(rows: list[dict[str, Any]], found: dict[str, dict[str, tuple[int, dict[float, float]]]]) -> list[Figures]:
    ranks = {name: (found.get(f"{name}_s", {}), found.get(f"{name}_w", {})) for name in TIMINGS}
    return [_one(row, ranks, {i: int(row[f"rating_{i}"]) for i in range(1, 6) if row[f"rating_{i}"]})
            for row in rows]


def _one(row: dict[str, Any], ranks: dict[str, tuple[dict, dict]], ratings: dict[int, int]) -> Figures:
    key = str(row["k"])
    counts = {name: int(row[name] or 0) for name in COUNTS}
    timings = {}
    for name in TIMINGS:
        wall, working = ranks.get(name, ({}, {}))
        (read, w), h = wall.get(key, (0, {})), working.get(key, (0, {}))[1]
        timings[name] = Timing(int(row[f"n_{name}_s"] or 0), w.get(0.5), w.get(0.9), h.get(0.5), h.get(0.9), read)
    last = datetime.fromtimestamp(int(row["last_s"]), UTC) if row["last_s"] is not None else None
    return Figures(key, counts, timings, dict(sorted(ratings.items())), last)


def _empty(key: str) -> Figures:
    return Figures(key, dict.fromkeys(COUNTS, 0), {n: Timing(0, None, None, None, None) for n in TIMINGS}, {})


# --- one flat row per group: what the table, CSV, JSON and HTML show ------------------------------------------------

STANDARD_FIGURE = {"first_response": "first_response_median_working", "claim": "claim_median_working",
                   "handling": "handling_median_working", "resolve": "resolve_median_working",
                   "one_touch": "one_touch_rate", "reopen": "reopen_rate", "self_service": "self_service_rate",
                   "rating": "rating_mean"}
SECONDS = tuple(f"{name}_{stat}" for name in TIMINGS
                for stat in ("median", "p90", "median_working", "p90_working"))
RATES = ("self_service_rate", "false_answer_rate", "one_touch_rate", "reopen_rate")


def flat(f: Figures) -> dict[str, float | int | None]:
    """The group's measures under their report names (README.md, "Measures"); durations in seconds."""
    c, r = f.counts, f.rates
    row: dict[str, float | int | None] = {
        "requests": c["requests"], "kb_answers_offered": c["offered"], "self_service_confirmed": c["self_served"],
        "self_service_rate": r["self_service"], "false_answers": c["false_answer"],
        "false_answer_rate": r["false_answer"], "answers_expired_unconfirmed": c["answer_expired"],
        "escalated": c["escalated"]}
    for name in TIMINGS:
        t = f.timings[name]
        row.update({f"{name}_count": t.n, f"{name}_median": t.median, f"{name}_p90": t.p90,
                    f"{name}_median_working": t.median_working, f"{name}_p90_working": t.p90_working,
                    f"{name}_sampled": t.read if t.estimated else None})
    row.update({"staff_resolved": c["staff_resolved"], "closed_after_staff": c["staff_closed"],
                "one_touch": c["one_touch"], "one_touch_rate": r["one_touch"], "reopened": c["reopened"],
                "reopen_rate": r["reopen"], "transferred": c["transferred"], "bounced": c["bounced"],
                "transfers": c["transfers"], "unclaimed_escalations": c["unclaimed"],
                "followups_unanswered": c["unconfirmed"], "open": c["open"], "ratings": f.rating_count,
                "rating_mean": round(f.rating_mean, 3) if f.rating_mean is not None else None})
    row.update({f"rating_{score}": f.ratings.get(score, 0) for score in range(1, 6)})
    return row


def estimated(report: Report) -> bool:
    """True when some median or p90 of the report comes from a sample of its group (a big group)."""
    groups = [report.overall, *report.departments, *report.periods, *report.staff]
    return any(t.estimated for f in groups for t in f.timings.values())


def entry_row(f: Figures) -> dict[str, Any]:
    """Per KB entry: offered, confirmed, rejected ("I still need help"), expired unanswered, last offered."""
    return {"entry": f.key, "offered": f.counts["offered"], "confirmed": f.counts["self_served"],
            "rejected": f.counts["false_answer"], "expired": f.counts["answer_expired"],
            "last_used": f.last_created.isoformat() if f.last_created else None}


def readable(measure: str, value: Any) -> str:
    """A figure as people read it: durations as 1h 05m, rates as percentages, n/a when there is nothing yet."""
    if value is None:
        return "n/a"
    if measure in SECONDS:
        return readable_duration(float(value))
    if measure in RATES:
        return f"{value:.0%}"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def readable_duration(seconds: float) -> str:
    """1d 02h, 3h 05m, 12m 30s, 45s."""
    s = int(round(seconds))
    days, rest = divmod(s, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours:02d}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"
