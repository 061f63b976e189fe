"""Inbox queries: store what Slack sent before acknowledging it, claim it for processing, close it."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import InboxItem, InboxState


def add_inbox_item(session: Session, *, key: str, mode: str, content_type: str | None, body: str,
                   now: datetime) -> int | None:
    """Store one Slack request; None when one with the same key (a Slack retry) is already stored."""
    item = InboxItem(key=key, mode=mode, content_type=content_type, body=body, state=InboxState.PENDING,
                     attempts=0, due_at=now, received_at=now)
    try:
        with session.begin_nested():
            session.add(item)
    except IntegrityError:
        return None
    return item.id


def due_inbox_ids(session: Session, now: datetime, limit: int) -> list[int]:
    """Ids of items nobody is working on (pending, or processing past a dead worker's lease), oldest first."""
    claimable = or_(InboxItem.state == InboxState.PENDING,
                    (InboxItem.state == InboxState.PROCESSING) & (InboxItem.lease_until < now))
    return list(session.scalars(select(InboxItem.id).where(claimable, InboxItem.due_at <= now)
                                .order_by(InboxItem.id).limit(limit)))


def claim_inbox_items(session: Session, now: datetime, lease: timedelta, limit: int,
                      item_id: int | None = None) -> list[InboxItem]:
    """Take due items (or the one given) for this worker; a PROCESSING row past its lease is due again."""
    claimable = or_(InboxItem.state == InboxState.PENDING,
                    (InboxItem.state == InboxState.PROCESSING) & (InboxItem.lease_until < now))
    query = select(InboxItem.id).where(claimable, InboxItem.due_at <= now)
    if item_id is not None:
        query = query.where(InboxItem.id == item_id)
    ids = list(session.scalars(query.order_by(InboxItem.id).limit(limit).with_for_update(skip_locked=True)))
    if not ids:
        return []
    session.execute(
        update(InboxItem).where(InboxItem.id.in_(ids))
        .values(state=InboxState.PROCESSING, lease_until=now + lease, attempts=InboxItem.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return list(session.scalars(select(InboxItem).where(InboxItem.id.in_(ids)).order_by(InboxItem.id)
                                .execution_options(populate_existing=True)))


def finish_inbox_item(session: Session, item_id: int, state: InboxState, now: datetime,
                      error: str | None = None) -> None:
    """Close an item as done or failed."""
    session.execute(
        update(InboxItem).where(InboxItem.id == item_id)
        # The body (message text, user ids) is no longer needed once handled: only the key stays, for dedupe.
        .values(state=state, finished_at=now, lease_until=None, last_error=error[:200] if error else None, body="")
        .execution_options(synchronize_session=False)
    )


def inbox_states(session: Session) -> dict[str, int]:
    """How many items there are in each state (for tests and health)."""
    return dict(session.execute(select(InboxItem.state, func.count()).group_by(InboxItem.state)).all())


def get_inbox_item(session: Session, item_id: int) -> InboxItem | None:
    """The inbox item with this id, or None."""
    return session.get(InboxItem, item_id)
