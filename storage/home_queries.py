"""App Home queries: whose Home to refresh, and what each Home shows, one SELECT per list (no N+1)."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from storage.models import AnonymousRequester, Delivery, HomeViewer, Message, Request

UNFINISHED = ("pending", "sending")


def record_viewer(session: Session, user_id: str, now: datetime) -> None:
    """Remember that `user_id` opened the App Home (so changes that concern them re-publish it)."""
    viewer = session.get(HomeViewer, user_id)
    if viewer is None:
        session.add(HomeViewer(user_id=user_id, opened_at=now))
    else:
        viewer.opened_at = now


def viewers_among(session: Session, users: Iterable[str]) -> set[str]:
    """Which of `users` have opened the App Home at least once."""
    wanted = sorted({u for u in users if u})
    if not wanted:
        return set()
    return set(session.scalars(select(HomeViewer.user_id).where(HomeViewer.user_id.in_(wanted))))


def people_of(session: Session, request_ids: Iterable[int]) -> Sequence[Any]:
    """(requester, claimed_by, department_id) of each request: whose Home a change to it concerns."""
    ids = sorted(set(request_ids))
    if not ids:
        return []
    requester = func.coalesce(func.nullif(Request.user_id, ""), AnonymousRequester.user_id, literal(""))
    return session.execute(
        select(requester, Request.claimed_by, Request.department_id)
        .outerjoin(AnonymousRequester, AnonymousRequester.request_id == Request.id)
        .where(Request.id.in_(ids))
    ).all()


def _last_message(skip_direction: str):
    """The newest visible conversation message of the request in the outer query (a correlated id)."""
    other = aliased(Message)
    return (select(func.max(other.id))
            .where(other.request_id == Request.id, other.direction != skip_direction, other.deleted_at.is_(None))
            .correlate(Request).scalar_subquery())


def own_requests(session: Session, user_id: str, open_statuses: Iterable[str], since: datetime, limit: int,
                 skip_direction: str) -> Sequence[Any]:
    """(Request, last Message or None) for the requests `user_id` asked (anonymous ones too) that are open or
    changed since `since`, newest first: one SELECT."""
    asked = or_(Request.user_id == user_id,
                exists().where(AnonymousRequester.request_id == Request.id, AnonymousRequester.user_id == user_id))
    return session.execute(
        select(Request, Message)
        .outerjoin(Message, Message.id == _last_message(skip_direction))
        .where(asked, or_(Request.status.in_(list(open_statuses)), Request.updated_at >= since))
        .order_by(Request.updated_at.desc(), Request.id.desc()).limit(limit)
    ).all()


def department_queue(session: Session, department_ids: Iterable[str], open_statuses: Iterable[str],
                     priority_users: Iterable[str], limit: int, skip_direction: str) -> Sequence[Any]:
    """(Request, last Message or None) of the open requests of these departments: one SELECT, urgent ones
    first, then those asked by `priority_users` (front-line roles), then oldest first."""
    departments = sorted(set(department_ids))
    if not departments:
        return []
    frontline = sorted({u for u in priority_users if u})
    order = [Request.urgent.desc()] + ([Request.user_id.in_(frontline).desc()] if frontline else [])
    return session.execute(
        select(Request, Message)
        .outerjoin(Message, Message.id == _last_message(skip_direction))
        .where(Request.department_id.in_(departments), Request.status.in_(list(open_statuses)))
        .order_by(*order, Request.escalated_at.asc(), Request.id.asc()).limit(limit)
    ).all()


def superseded(session: Session, delivery_id: int, order_key: str, method: str) -> bool:
    """True when a later unsent delivery of the same method and order key exists (it will say it all)."""
    later = aliased(Delivery)
    return session.scalar(select(exists().where(and_(
        later.order_key == order_key, later.method == method, later.id > delivery_id,
        later.state.in_(UNFINISHED))))) or False
