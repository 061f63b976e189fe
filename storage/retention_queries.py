"""Retention queries: find what is old enough to purge, empty its texts, delete finished transient rows.

Each takes a session and never commits; the caller owns the transaction and the batching. Statuses and
states are passed in: storage does not know the domain's words.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.orm import Session

from storage.models import AuditEvent, Delivery, DeliveryState, HeldMessage, InboxItem, InboxState, Message, Request

EMPTY_ARGS = "{}"
UNFINISHED_DELIVERIES = (DeliveryState.PENDING, DeliveryState.SENDING)
FINISHED_DELIVERIES = (DeliveryState.SENT, DeliveryState.SKIPPED, DeliveryState.FAILED)
FINISHED_INBOX = (InboxState.DONE, InboxState.FAILED)


def purgeable_requests(session: Session, department_id: str, statuses: Iterable[str], before: datetime, *,
                       after_id: int = 0, limit: int = 500, lock: bool = False) -> list[int]:
    """Ids (ascending, above `after_id`) of the department's unpurged requests in `statuses` whose last
    change (closed_at, else updated_at) is before `before` and that have no delivery still to send.

    With `lock`, the rows are held until the transaction ends and rows another transaction holds are
    skipped (PostgreSQL; SQLite already serialises writers): a purge never waits on a live request.
    """
    unsent = exists().where(Delivery.request_id == Request.id, Delivery.state.in_(UNFINISHED_DELIVERIES))
    query = (
        select(Request.id)
        .where(Request.department_id == department_id, Request.status.in_(list(statuses)),
               Request.purged_at.is_(None), func.coalesce(Request.closed_at, Request.updated_at) < before,
               Request.id > after_id, ~unsent)
        .order_by(Request.id).limit(limit)
    )
    if lock:
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def scrub_requests(session: Session, request_ids: Sequence[int], marker: str, now: datetime) -> int:
    """Replace the question by `marker`, drop the notes and mark the requests purged; returns how many."""
    if not request_ids:
        return 0
    result = session.execute(
        update(Request).where(Request.id.in_(list(request_ids)), Request.purged_at.is_(None))
        .values(text=marker, resolution_note=None, self_help_note=None, purged_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def count_delivery_texts(session: Session, request_ids: Sequence[int]) -> int:
    """How many of these requests' deliveries still carry their arguments."""
    if not request_ids:
        return 0
    return session.scalar(select(func.count()).select_from(Delivery).where(
        Delivery.request_id.in_(list(request_ids)), Delivery.args != EMPTY_ARGS)) or 0


def scrub_delivery_texts(session: Session, request_ids: Sequence[int]) -> int:
    """Empty the arguments (they carry the texts) of these requests' deliveries; state and times stay."""
    if not request_ids:
        return 0
    result = session.execute(
        update(Delivery).where(Delivery.request_id.in_(list(request_ids)), Delivery.args != EMPTY_ARGS)
        .values(args=EMPTY_ARGS).execution_options(synchronize_session=False)
    )
    return result.rowcount


def count_message_texts(session: Session, request_ids: Sequence[int], marker: str) -> int:
    """How many relayed, internal or held messages of these requests still carry a text."""
    if not request_ids:
        return 0
    ids = list(request_ids)
    relayed = session.scalar(select(func.count()).select_from(Message).where(
        Message.request_id.in_(ids), Message.text != marker)) or 0
    held = session.scalar(select(func.count()).select_from(HeldMessage).where(
        HeldMessage.request_id.in_(ids), HeldMessage.text != marker)) or 0
    return relayed + held


def scrub_message_texts(session: Session, request_ids: Sequence[int], marker: str) -> int:
    """Replace the text of these requests' relayed, internal and held messages by `marker`."""
    if not request_ids:
        return 0
    ids = list(request_ids)
    changed = 0
    for model in (Message, HeldMessage):
        result = session.execute(
            update(model).where(model.request_id.in_(ids), model.text != marker).values(text=marker)
            .execution_options(synchronize_session=False)
        )
        changed += result.rowcount
    return changed


def audit_details(session: Session, request_ids: Sequence[int]) -> list[tuple[int, str]]:
    """(id, detail JSON) of these requests' audit rows that have a detail."""
    if not request_ids:
        return []
    return [(row.id, row.detail) for row in session.execute(
        select(AuditEvent.id, AuditEvent.detail)
        .where(AuditEvent.request_id.in_(list(request_ids)), AuditEvent.detail.is_not(None))
        .order_by(AuditEvent.id)
    )]


def set_audit_detail(session: Session, audit_id: int, detail: str | None) -> None:
    """Rewrite one audit row's detail (action, actor, time and statuses stay as they were)."""
    session.execute(update(AuditEvent).where(AuditEvent.id == audit_id).values(detail=detail)
                    .execution_options(synchronize_session=False))


def old_inbox_items(session: Session, before: datetime, *, after_id: int = 0, limit: int = 500,
                    lock: bool = False) -> list[int]:
    """Ids of processed (done or failed) inbox items received before `before`; pending ones never."""
    query = (select(InboxItem.id)
             .where(InboxItem.state.in_(FINISHED_INBOX), InboxItem.received_at < before, InboxItem.id > after_id)
             .order_by(InboxItem.id).limit(limit))
    if lock:
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def delete_inbox_items(session: Session, item_ids: Sequence[int]) -> int:
    """Delete these inbox items if they are still processed ones; returns how many went."""
    if not item_ids:
        return 0
    result = session.execute(delete(InboxItem).where(InboxItem.id.in_(list(item_ids)),
                                                     InboxItem.state.in_(FINISHED_INBOX))
                             .execution_options(synchronize_session=False))
    return result.rowcount


def old_loose_deliveries(session: Session, before: datetime, *, after_id: int = 0, limit: int = 500,
                         lock: bool = False) -> list[int]:
    """Ids of finished deliveries that belong to no request (replies, alerts) created before `before`."""
    query = (select(Delivery.id)
             .where(Delivery.request_id.is_(None), Delivery.state.in_(FINISHED_DELIVERIES),
                    Delivery.created_at < before, Delivery.id > after_id)
             .order_by(Delivery.id).limit(limit))
    if lock:
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def delete_loose_deliveries(session: Session, delivery_ids: Sequence[int]) -> int:
    """Delete these deliveries if they are still finished and request-less; returns how many went."""
    if not delivery_ids:
        return 0
    result = session.execute(delete(Delivery).where(Delivery.id.in_(list(delivery_ids)),
                                                    Delivery.request_id.is_(None),
                                                    Delivery.state.in_(FINISHED_DELIVERIES))
                             .execution_options(synchronize_session=False))
    return result.rowcount
