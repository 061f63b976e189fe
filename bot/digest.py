"""The weekly digest: each department's figures for its past week, posted to its triage channel with a chart.

On only for departments with `digest:` in departments.yaml (weekday and local time, in the zone of their working
hours, else of their on-call schedule). One timer row per department is due at the next digest time; a tick plans
the missing ones (a unique due time per department, so two replicas plan one row) and the runner claims due rows
(one worker wins). Sending finishes the row with a conditional UPDATE, queues the digest and its chart through the
outbox and plans the next week, all in one transaction. The week is the seven local days before the digest's day.
The figures are those of `helploop report` (bot.measures) for the department and the week; staff are thanked by
name only when their requests got at least `min_ratings` ratings in the week, with a mean of at least 4.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.measures import Breach, Figures, Report, compute_report
from bot.oncall import local_instant
from bot.outbox import Outbox, SlackWrite
from bot.requests import RequestStore
from bot.words import TimerKind
from kb import Department
from storage import digest_queries as dq
from storage import feedback_queries as fq
from storage.feedback_queries import RatingSummary
from storage.measure_queries import Selection
from storage.models import TimerState

THANKS_FLOOR = 4.0   # a thank-you is for ratings worth thanking for
MOST_THANKED = 3     # the best-rated few, not a ranking of everyone
SHOWN = ("first_response", "handling", "one_touch", "reopen", "rating")  # beside requests and self-service
Compute = Callable[[sessionmaker[Session], Mapping[str, Department], Selection, datetime], Report]


@dataclass(frozen=True)
class Week:
    """The digest's week: [since, until) as instants, and its first and last local day."""

    since: datetime
    until: datetime
    first_day: date
    last_day: date


@dataclass(frozen=True)
class Measure:
    """One figure of the digest against its standard (None: no data, or no target)."""

    name: str            # first_response, handling (working seconds); one_touch, reopen (0-1); rating (1-5)
    value: float | None
    target: float | None
    breached: bool


@dataclass(frozen=True)
class ChartDay:
    """One day of the chart: requests by outcome and the median first human response (working hours)."""

    day: str
    self_served: int
    escalated: int
    other: int
    first_response_hours: float | None


@dataclass(frozen=True)
class Digest:
    """Everything one department's weekly digest says (rendered by the Slack edge)."""

    department_id: str
    department_name: str
    channel: str
    language: str
    week: Week
    requests: int
    self_served: int
    self_service_rate: float | None
    measures: tuple[Measure, ...]
    rating_count: int
    breaches: tuple[Breach, ...]
    thanks: tuple[str, ...]          # staff user ids, best rated first
    days: tuple[ChartDay, ...]
    first_response_target_hours: float | None


class DigestMessages(Protocol):
    """What the digest says, rendered by the Slack edge like bot.messages.Messages."""

    def digest(self, digest: Digest) -> SlackWrite:
        """The digest's text in the department's triage channel and staff language."""

    def digest_chart(self, digest: Digest) -> SlackWrite | None:
        """The week's chart, uploaded to the triage channel as a PNG (None: nothing to draw)."""


# --- when ------------------------------------------------------------------------------------------------------------


def plan_department_timers(sessions: sessionmaker[Session], kind: TimerKind, wanted: Mapping[str, datetime],
                           now: datetime) -> int:
    """Give each department in `wanted` its next `kind` timer at its due time; cancel or move the pending ones
    whose setting changed; returns how many were planned. Two planners at once insert one row (unique
    kind, subject, due time)."""
    planned = 0
    with sessions.begin() as session:
        held = dq.planned(session, kind)
        for subject, timer in held.items():
            if timer.state != TimerState.PENDING or timer.due_at <= now:
                continue  # running, or due: the runner decides (a department switched off is finished there)
            if subject not in wanted:
                dq.cancel(session, timer.id, now)
            elif timer.due_at != wanted[subject]:
                dq.move(session, timer.id, wanted[subject])
        for subject, due in wanted.items():
            if subject not in held:
                planned += dq.plan(session, kind, subject, due, now)
    return planned


def zone_of(department: Department) -> ZoneInfo:
    """The zone the digest time is read in: the working hours' (else the on-call schedule's)."""
    return ZoneInfo(department.working_timezone)


def next_due(department: Department, after: datetime) -> datetime:
    """The first digest time strictly after `after` (the configured local weekday and time; DST-safe)."""
    settings, zone = department.digest, zone_of(department)
    assert settings is not None
    day = after.astimezone(zone).date()
    for offset in range(15):  # a weekday comes round within a week; a skipped local time moves to the jump
        current = day + timedelta(days=offset)
        if current.weekday() == settings.weekday:
            at = local_instant(current, settings.time, zone)
            if at > after:
                return at
    raise AssertionError("unreachable: a weekday recurs every 7 days")


def week_before(department: Department, due: datetime) -> Week:
    """The seven local days before the digest's local day (midnight to midnight, in the department's zone)."""
    zone = zone_of(department)
    day = due.astimezone(zone).date()
    first = day - timedelta(days=7)
    return Week(local_instant(first, time(0), zone), local_instant(day, time(0), zone), first,
                day - timedelta(days=1))


# --- what (pure) -----------------------------------------------------------------------------------------------------


def build_digest(department: Department, report: Report, staff_ratings: Sequence[RatingSummary], week: Week) -> Digest:
    """The digest of one department from its report for the week and the week's ratings per staff member."""
    figures = next((f for f in report.departments if f.key == department.id), report.overall)
    targets = report.targets.get(department.id, {})
    breaches = tuple(b for b in report.breaches if b.department == department.id)
    broken = {b.standard for b in breaches}
    measures = tuple(Measure(name, figures.value(name), targets.get(name), name in broken) for name in SHOWN)
    target = targets.get("first_response")
    settings = department.digest
    return Digest(department.id, department.name, department.triage_channel, department.language, week,
                  figures.counts["requests"], figures.counts["self_served"], figures.rates["self_service"],
                  measures, figures.rating_count, breaches,
                  thanked(staff_ratings, settings.min_ratings if settings else 3),
                  chart_days(report.periods, week), target / 3600 if target is not None else None)


def thanked(staff_ratings: Sequence[RatingSummary], min_ratings: int) -> tuple[str, ...]:
    """The staff whose requests were rated highest: enough ratings to mean something, a mean worth thanking for,
    the best mean (ties share it), at most MOST_THANKED of them (most ratings first)."""
    eligible = [r for r in staff_ratings if r.staff_id and r.count >= min_ratings and r.mean is not None
                and r.mean >= THANKS_FLOOR]
    if not eligible:
        return ()
    best = max(r.mean or 0 for r in eligible)
    top = sorted((r for r in eligible if (r.mean or 0) >= best - 1e-9), key=lambda r: (-r.count, r.staff_id or ""))
    return tuple(r.staff_id for r in top[:MOST_THANKED] if r.staff_id)


def chart_days(periods: Sequence[Figures], week: Week) -> tuple[ChartDay, ...]:
    """The week's seven days for the chart, from the report's days. Those are UTC days: the hours a local week
    shares with the UTC day before its first (or after its last) are counted with its first (or last) day."""
    days = [week.first_day + timedelta(days=i) for i in range(7)]
    found: dict[date, list[Figures]] = {day: [] for day in days}
    for f in periods:
        found[min(max(date.fromisoformat(f.key), days[0]), days[-1])].append(f)
    return tuple(_chart_day(day.isoformat(), found[day]) for day in days)


def _chart_day(day: str, figures: list[Figures]) -> ChartDay:
    served, escalated = (sum(f.counts[name] for f in figures) for name in ("self_served", "escalated"))
    requests = sum(f.counts["requests"] for f in figures)
    # The day's own median; a few hours of a neighbouring UTC day only when the day has none of its own.
    medians = [f.timings["first_response"].median_working for f in sorted(figures, key=lambda f: f.key != day)]
    median = next((m for m in medians if m is not None), None)
    return ChartDay(day, served, escalated, requests - served - escalated,
                    round(median / 3600, 3) if median is not None else None)


# --- the timer -------------------------------------------------------------------------------------------------------


class WeeklyDigest:
    """Plans each department's digest timer and sends the digest when it is due."""

    def __init__(self, store: RequestStore, outbox: Outbox, say: DigestMessages, clock: Clock,
                 compute: Compute = compute_report) -> None:
        self.store, self.outbox, self.say, self.clock, self.compute = store, outbox, say, clock, compute

    def plan(self) -> int:
        """Tick: give every department with a digest its next timer (and drop or move those whose setting
        changed); returns how many were planned."""
        now = self.clock.now()
        wanted = {d.id: d for d in self.store.kb().departments.values() if d.digest is not None}
        if not wanted:  # no write transaction every tick; a row left from a switched-off digest ends when due
            return 0
        return plan_department_timers(self.store.sessions, TimerKind.DIGEST,
                                      {key: next_due(d, now) for key, d in wanted.items()}, now)

    def send(self, timer_id: int, _request_id: int | None = None) -> bool:
        """Timer: compute the department's week, queue the digest and its chart, plan the next week."""
        with self.store.sessions.begin() as session:
            timer = dq.get_timer(session, timer_id)
            if timer is None:
                return False
            subject, due, attempts = timer.subject or "", timer.due_at, timer.attempts
        department = self.store.kb().departments.get(subject)
        if department is None or department.digest is None:
            with self.store.sessions.begin() as session:
                dq.finish_held(session, timer_id, attempts, self.clock.now())
            return False
        week = week_before(department, due)
        report = self.compute(self.store.sessions, {department.id: department},
                              Selection(week.since, week.until, department.id, "day"), self.clock.now())
        now = self.clock.now()
        with self.store.sessions.begin() as session:
            if not dq.finish_held(session, timer_id, attempts, now):
                return False  # the lease ran out and another worker took it: it sends this week's digest
            ratings = fq.rating_summary(session, since=week.since, until=week.until, department_id=department.id,
                                        by_staff=True)
            digest = build_digest(department, report, ratings, week)
            self.outbox.add(session, self.say.digest(digest), now)
            self.outbox.add(session, self.say.digest_chart(digest), now)
            dq.plan(session, TimerKind.DIGEST, department.id, next_due(department, max(now, due)), now)
        return True
