"""Query functions: each takes a session and never commits; the caller owns the unit of work."""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage import fact_queries
from storage.models import AuditEvent, Request, Timer, TimerState


def add_request(session: Session, **fields: Any) -> Request | None:
    """Insert a request; None when one already exists for the same channel and thread root."""
    request = Request(**fields)
    try:
        with session.begin_nested():
            session.add(request)
    except IntegrityError:
        return None
    return request


def get_request(session: Session, request_id: int) -> Request | None:
    """The request with this id, or None."""
    return session.get(Request, request_id)


def lock_request(session: Session, request_id: int) -> None:
    """Hold the request's row until the transaction ends (PostgreSQL; SQLite already serialises writers)."""
    session.execute(select(Request.id).where(Request.id == request_id).with_for_update())


def find_request(session: Session, channel_id: str, ts: str) -> Request | None:
    """The request created for a Slack message (its thread root, or the message itself), or None."""
    return session.scalars(
        select(Request).where(Request.channel_id == channel_id,
                              or_(Request.root_ts == ts, Request.message_ts == ts))
        .order_by(Request.id).limit(1)
    ).one_or_none()


def transition(
    session: Session,
    request_id: int,
    from_statuses: Iterable[str],
    to_status: str,
    *,
    where: dict[str, Any] | None = None,
    **values: Any,
) -> bool:
    """Conditionally move a request to `to_status`; True only for the one caller whose UPDATE hit."""
    conditions = [Request.id == request_id, Request.status.in_(list(from_statuses))]
    conditions += [getattr(Request, column) == value for column, value in (where or {}).items()]
    result = session.execute(
        update(Request).where(*conditions).values(status=to_status, **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def set_fields(session: Session, request_id: int, **values: Any) -> None:
    """Record facts that don't change the status (Slack message ids, first response time)."""
    session.execute(
        update(Request).where(Request.id == request_id).values(**values)
        .execution_options(synchronize_session=False)
    )


def add_audit(
    session: Session,
    request_id: int,
    *,
    at: datetime,
    actor: str,
    action: str,
    from_status: str | None,
    to_status: str | None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one audit row for a state change, and fold it into the request's facts (same transaction)."""
    fact_queries.record(session, request_id, fact_queries.event_of(at, action, from_status, to_status, detail))
    session.add(AuditEvent(
        request_id=request_id, at=at, actor=actor, action=action, from_status=from_status,
        to_status=to_status, detail=json.dumps(detail, ensure_ascii=False) if detail else None,
    ))


def audit_trail(session: Session, request_id: int) -> Sequence[AuditEvent]:
    """Every audit row of a request, oldest first."""
    return session.scalars(
        select(AuditEvent).where(AuditEvent.request_id == request_id).order_by(AuditEvent.id)
    ).all()


def schedule_timer(session: Session, request_id: int, kind: str, due_at: datetime, now: datetime) -> Timer:
    """Add a pending timer."""
    timer = Timer(request_id=request_id, kind=kind, state=TimerState.PENDING, due_at=due_at,
                  attempts=0, created_at=now)
    session.add(timer)
    return timer


def cancel_timers(session: Session, request_id: int, kinds: Iterable[str], now: datetime) -> int:
    """Cancel the request's pending timers of these kinds; returns how many."""
    result = session.execute(
        update(Timer)
        .where(Timer.request_id == request_id, Timer.kind.in_(list(kinds)),
               Timer.state == TimerState.PENDING)
        .values(state=TimerState.CANCELLED, finished_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def claim_due_timers(session: Session, now: datetime, lease: timedelta, limit: int) -> list[Timer]:
    """Take up to `limit` due timers for this worker; concurrent workers get disjoint batches.

    PostgreSQL skips rows another worker has locked (FOR UPDATE SKIP LOCKED); SQLite serialises
    writers at BEGIN IMMEDIATE. A RUNNING row whose lease ran out (its worker died) is due again.
    """
    ids = list(session.scalars(
        select(Timer.id)
        .where(Timer.due_at <= now, _claimable(now))
        .order_by(Timer.due_at, Timer.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ))
    if not ids:
        return []
    session.execute(
        update(Timer).where(Timer.id.in_(ids))
        .values(state=TimerState.RUNNING, lease_until=now + lease, attempts=Timer.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return list(session.scalars(
        select(Timer).where(Timer.id.in_(ids)).order_by(Timer.due_at, Timer.id)
        .execution_options(populate_existing=True)
    ))


def finish_timer(session: Session, timer_id: int, now: datetime) -> None:
    """Mark a running timer done."""
    session.execute(
        update(Timer).where(Timer.id == timer_id)
        .values(state=TimerState.DONE, finished_at=now, lease_until=None)
        .execution_options(synchronize_session=False)
    )


def pending_timers(session: Session, request_id: int) -> Sequence[Timer]:
    """The request's timers that have not run yet."""
    return session.scalars(
        select(Timer).where(Timer.request_id == request_id, Timer.state == TimerState.PENDING)
        .order_by(Timer.due_at)
    ).all()


def count_requests_by(session: Session, column: str) -> dict[str | None, int]:
    """How many requests per value of a column (status, resolution, department_id)."""
    col = getattr(Request, column)
    return {value: n for value, n in session.execute(select(col, func.count()).group_by(col))}


def _claimable(now: datetime):
    return or_(
        Timer.state == TimerState.PENDING,
        (Timer.state == TimerState.RUNNING) & (Timer.lease_until < now),
    )


def reschedule_timer(session: Session, timer_id: int, due_at: datetime, *, deferred: bool = False) -> None:
    """Put a claimed timer back as pending with a new due time; a deferral (not a failure) resets its tries."""
    extra = {"attempts": 0} if deferred else {}
    session.execute(
        update(Timer).where(Timer.id == timer_id)
        .values(state=TimerState.PENDING, due_at=due_at, lease_until=None, **extra)
        .execution_options(synchronize_session=False)
    )


def request_facts(session: Session) -> Sequence[Any]:
    """Per request: status, resolution, reopen count and its timestamps (for service metrics)."""
    return session.execute(
        select(Request.status, Request.resolution, Request.reopen_count, Request.transfer_count,
               Request.created_at, Request.escalated_at, Request.first_response_at, Request.resolved_at)
    ).all()


def count_audit_actions(session: Session, actions: Iterable[str]) -> dict[str, int]:
    """How many audit rows there are per action, for these actions."""
    rows = session.execute(
        select(AuditEvent.action, func.count()).where(AuditEvent.action.in_(list(actions)))
        .group_by(AuditEvent.action)
    )
    return {action: n for action, n in rows}


def due_timer_count(session: Session, now: datetime) -> int:
    """Pending timers whose due time has passed."""
    return session.scalar(select(func.count()).select_from(Timer)
                          .where(Timer.state == TimerState.PENDING, Timer.due_at <= now)) or 0
