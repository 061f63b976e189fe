"""Timers of no request (a department's weekly digest): planned once per due time, taken by one worker."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import Timer, TimerState


def planned(session: Session, kind: str) -> dict[str, Timer]:
    """Per subject, its pending or running timer of `kind` (the soonest, if there were ever more)."""
    rows = session.scalars(select(Timer).where(Timer.kind == kind, Timer.request_id.is_(None),
                                               Timer.state.in_([TimerState.PENDING, TimerState.RUNNING]))
                           .order_by(Timer.due_at.desc()))
    return {row.subject: row for row in rows if row.subject is not None}


def plan(session: Session, kind: str, subject: str, due_at: datetime, now: datetime) -> bool:
    """Add a pending timer of `kind` about `subject`; False when one is already due then (another replica's)."""
    try:
        with session.begin_nested():
            session.add(Timer(request_id=None, subject=subject, kind=kind, state=TimerState.PENDING, due_at=due_at,
                              attempts=0, created_at=now))
    except IntegrityError:  # uq_timers_subject_due: the same (kind, subject, due time) is planned already
        return False
    return True


def move(session: Session, timer_id: int, due_at: datetime) -> bool:
    """Move a still pending timer to a new due time (its schedule changed); False if it was taken meanwhile."""
    result = session.execute(update(Timer).where(Timer.id == timer_id, Timer.state == TimerState.PENDING)
                             .values(due_at=due_at).execution_options(synchronize_session=False))
    return result.rowcount == 1


def get_timer(session: Session, timer_id: int) -> Timer | None:
    """One timer row."""
    return session.get(Timer, timer_id, populate_existing=True)


def finish_held(session: Session, timer_id: int, attempts: int, now: datetime) -> bool:
    """Mark done a timer this worker claimed (state running, claimed at try `attempts`): the conditional UPDATE
    that makes one worker win when a lease ran out and another took the row; False when it is not ours any more."""
    result = session.execute(
        update(Timer).where(Timer.id == timer_id, Timer.state == TimerState.RUNNING, Timer.attempts == attempts)
        .values(state=TimerState.DONE, finished_at=now, lease_until=None)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def cancel(session: Session, timer_id: int, now: datetime) -> None:
    """Cancel a timer whose reason is gone (the department turned its digest off)."""
    session.execute(update(Timer).where(Timer.id == timer_id)
                    .values(state=TimerState.CANCELLED, finished_at=now, lease_until=None)
                    .execution_options(synchronize_session=False))
