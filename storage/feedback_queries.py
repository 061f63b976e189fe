"""Queries for feedback from employees: ratings (surveys) and feedback about a department. Never commit."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.orm import Session

from storage.models import AnonymousRequester, DepartmentFeedback, Request, Survey

RATING, PULSE = "rating", "pulse"  # Survey.kind


def survey_of(session: Session, request_id: int, kind: str = RATING) -> Survey | None:
    """The request's survey row of this kind, or None."""
    return session.scalars(select(Survey).where(Survey.request_id == request_id, Survey.kind == kind)).one_or_none()


def get_survey(session: Session, survey_id: int) -> Survey | None:
    """A survey row by id."""
    return session.get(Survey, survey_id)


def save_survey(session: Session, request_id: int | None, kind: str, **fields: Any) -> Survey:
    """Insert the request's survey row of this kind, or overwrite the one it has (a new decision, a new ask)."""
    existing = survey_of(session, request_id, kind) if request_id is not None else None
    if existing is None:
        survey = Survey(request_id=request_id, kind=kind, **fields)
        session.add(survey)
        session.flush()
        return survey
    for name, value in fields.items():
        setattr(existing, name, value)
    session.flush()
    return existing


def answer_survey(session: Session, survey_id: int, **values: Any) -> None:
    """Record a score and/or a comment on a survey row."""
    session.execute(update(Survey).where(Survey.id == survey_id).values(**values)
                    .execution_options(synchronize_session=False))


def asked_since(session: Session, user_id: str, since: datetime, except_request: int | None = None) -> bool:
    """True when `user_id` was asked a rating or pulse question at or after `since` (cooldown).

    An anonymous requester's surveys carry no user id; they are found through the anonymous-requester table.
    """
    anonymous = select(AnonymousRequester.request_id).where(AnonymousRequester.user_id == user_id)
    conditions = [Survey.sampled.is_(True), Survey.asked_at >= since,
                  or_(Survey.user_id == user_id, Survey.request_id.in_(anonymous))]
    if except_request is not None:
        conditions.append(or_(Survey.request_id.is_(None), Survey.request_id != except_request))
    return session.scalar(select(func.count()).select_from(Survey).where(*conditions)) > 0


def recent_requesters(session: Session, department_id: str, since: datetime, exclude_source: str) -> list[str]:
    """Named people who asked the department something since `since` (anonymous ones are never listed), sorted."""
    rows = session.scalars(
        select(Request.user_id).where(Request.department_id == department_id, Request.created_at >= since,
                                      Request.anonymous.is_(False), Request.user_id != "",
                                      Request.source != exclude_source).distinct())
    return sorted(rows)


def add_feedback(session: Session, **fields: Any) -> DepartmentFeedback:
    """Store feedback about a department."""
    row = DepartmentFeedback(**fields)
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class RatingSummary:
    """Ratings of one group: how many, their mean, and how many of each score 1..5."""

    department_id: str | None
    staff_id: str | None
    period: str | None          # "2026-11-25" (day), "2026-11-23" (week: its Monday) or "2026-11" (month)
    count: int
    mean: float | None
    distribution: dict[int, int] = field(default_factory=dict)  # score -> count, every score 1..5 present


def rating_summary(session: Session, *, since: datetime | None = None, until: datetime | None = None,
                   department_id: str | None = None, by_staff: bool = False, period: str | None = None,
                   kinds: Sequence[str] = (RATING,)) -> list[RatingSummary]:
    """Ratings per department (and per staff member, and per day/week/month), computed in SQL.

    Counts answered surveys with a score whose `answered_at` is in [since, until); `kinds` picks
    ratings after a fix ("rating", the default), pulse answers ("pulse") or both. `period` is None,
    "day", "week" (labelled by its Monday) or "month"; periods are read in UTC. Rows are sorted by department,
    staff, period. For measures and reports: `mean` is None only when `count` is 0 (never returned).
    """
    columns: list[Any] = [Survey.department_id]
    if by_staff:
        columns.append(Survey.staff_id)
    bucket = _period_column(session, period) if period else None
    if bucket is not None:
        columns.append(bucket)
    scores = [func.sum(case((Survey.score == n, 1), else_=0)).label(f"s{n}") for n in range(1, 6)]
    query = select(*columns, func.count(Survey.score), func.avg(Survey.score), *scores) \
        .where(Survey.score.is_not(None), Survey.kind.in_(list(kinds)))
    if since is not None:
        query = query.where(Survey.answered_at >= since)
    if until is not None:
        query = query.where(Survey.answered_at < until)
    if department_id is not None:
        query = query.where(Survey.department_id == department_id)
    query = query.group_by(*columns).order_by(*columns)
    return [_summary(row, by_staff, bucket is not None) for row in session.execute(query)]


def _summary(row: Any, by_staff: bool, bucketed: bool) -> RatingSummary:
    values = list(row)
    department = values.pop(0)
    staff = values.pop(0) if by_staff else None
    bucket = values.pop(0) if bucketed else None
    count, mean, *per_score = values
    return RatingSummary(department, staff, str(bucket) if bucket is not None else None, int(count),
                         round(float(mean), 4) if mean is not None else None,
                         {n: int(per_score[n - 1] or 0) for n in range(1, 6)})


def _period_column(session: Session, period: str) -> Any:
    """The period label of `answered_at` in SQL (UTC): the day, the Monday of its week, or the month."""
    if period not in ("day", "week", "month"):
        raise ValueError(f"period must be day, week or month, not {period!r}")
    if session.get_bind().dialect.name == "postgresql":
        utc = func.timezone("UTC", Survey.answered_at)
        start = func.date_trunc("week", utc) if period == "week" else utc
        return func.to_char(start, "YYYY-MM" if period == "month" else "YYYY-MM-DD")
    if period == "week":  # SQLite: 'weekday 0' moves to the next Sunday (or stays), six days back is Monday
        return func.date(Survey.answered_at, "weekday 0", "-6 days")
    return func.strftime("%Y-%m" if period == "month" else "%Y-%m-%d", Survey.answered_at)
