"""Outbox queries: add a Slack write, claim the sendable ones in order, record how each ended."""
from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, bindparam, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from storage.models import Delivery, DeliveryState

UNFINISHED = (DeliveryState.PENDING, DeliveryState.SENDING)


def add_delivery(session: Session, **fields: Any) -> Delivery:
    """Insert a pending delivery (flushed, so its id is known inside the transaction)."""
    delivery = Delivery(state=DeliveryState.PENDING, attempts=0, ambiguous=False, **fields)
    session.add(delivery)
    session.flush()
    return delivery


def claim_deliveries(session: Session, now: datetime, lease: timedelta, limit: int) -> list[Delivery]:
    """Take up to `limit` due deliveries that head their order key; concurrent senders get disjoint sets.

    A delivery waits while an earlier one with the same key is unfinished, so an edit never overtakes
    the post it edits. A SENDING row whose lease ran out (its sender died) is due again.
    """
    ids = list(session.scalars(_claimable_ids().limit(limit), {"now": now}))
    if not ids:
        return []
    session.execute(
        update(Delivery).where(Delivery.id.in_(ids))
        .values(state=DeliveryState.SENDING, lease_until=now + lease, attempts=Delivery.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return list(session.scalars(
        select(Delivery).where(Delivery.id.in_(ids)).order_by(Delivery.id)
        .execution_options(populate_existing=True)
    ))


@functools.cache
def _claimable_ids() -> Select:
    # Built once: comparing through the aliased entity cost more CPU than running the query (bench/README.md,
    # "Load, round 3"). The same SQL as before, with `now` bound at execution.
    earlier = aliased(Delivery)
    blocked = exists().where(earlier.order_key == Delivery.order_key, earlier.id < Delivery.id,
                             earlier.state.in_(UNFINISHED))
    now = bindparam("now")
    return (select(Delivery.id).where(Delivery.due_at <= now, _claimable(now), ~blocked)
            .order_by(Delivery.id).with_for_update(skip_locked=True))


def _claimable(now: Any):
    return or_(Delivery.state == DeliveryState.PENDING,
               (Delivery.state == DeliveryState.SENDING) & (Delivery.lease_until < now))


def finish_delivery(session: Session, delivery_id: int, state: DeliveryState, now: datetime, *,
                    channel: str | None = None, ts: str | None = None, error: str | None = None) -> None:
    """Close a delivery as sent (with where Slack put it), skipped or failed."""
    session.execute(
        update(Delivery).where(Delivery.id == delivery_id)
        .values(state=state, finished_at=now, lease_until=None, result_channel=channel, result_ts=ts,
                last_error=error[:200] if error else None)
        .execution_options(synchronize_session=False)
    )


def retry_delivery(session: Session, delivery_id: int, due_at: datetime, error: str, ambiguous: bool) -> None:
    """Hand a failed delivery back as pending, due again at `due_at`; an ambiguous failure is remembered."""
    values: dict[str, Any] = {"state": DeliveryState.PENDING, "due_at": due_at, "lease_until": None,
                              "last_error": error[:200]}
    if ambiguous:
        values["ambiguous"] = True
    session.execute(update(Delivery).where(Delivery.id == delivery_id).values(**values)
                    .execution_options(synchronize_session=False))


def posted_message(session: Session, request_id: int, purpose: str) -> tuple[str, str] | None:
    """(channel, ts) of the request's newest sent message with this purpose, or None."""
    row = session.execute(
        select(Delivery.result_channel, Delivery.result_ts)
        .where(Delivery.request_id == request_id, Delivery.purpose == purpose,
               Delivery.state == DeliveryState.SENT, Delivery.result_ts.is_not(None))
        .order_by(Delivery.id.desc()).limit(1)
    ).first()
    return (row[0], row[1]) if row else None


def has_purpose(session: Session, request_id: int, purpose: str, since: str | None = None) -> bool:
    """True when a message with this purpose was posted for the request or is on its way (and, with
    `since`, was queued after the request's newest message with that other purpose)."""
    conditions = [Delivery.request_id == request_id, Delivery.purpose == purpose,
                  Delivery.state.in_(UNFINISHED + (DeliveryState.SENT,))]
    if since is not None:
        newest = select(func.max(Delivery.id)).where(Delivery.request_id == request_id,
                                                     Delivery.purpose == since).scalar_subquery()
        conditions.append(Delivery.id > func.coalesce(newest, 0))
    return session.scalar(select(exists().where(*conditions))) or False


def deliveries_of(session: Session, request_id: int | None = None,
                  states: Sequence[str] | None = None) -> Sequence[Delivery]:
    """Deliveries (of one request, in some states), oldest first: for tests and operators."""
    query = select(Delivery).order_by(Delivery.id)
    if request_id is not None:
        query = query.where(Delivery.request_id == request_id)
    if states is not None:
        query = query.where(Delivery.state.in_(list(states)))
    return session.scalars(query).all()


def get_delivery(session: Session, delivery_id: int) -> Delivery | None:
    """The delivery with this id, or None."""
    return session.get(Delivery, delivery_id)


def delivery_states(session: Session) -> dict[str, int]:
    """How many deliveries there are in each state."""
    return dict(session.execute(select(Delivery.state, func.count()).group_by(Delivery.state)).all())
