"""Inbox queries: store what Slack sent before acknowledging it, claim it for processing, close it."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Row, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import InboxItem, InboxState

_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


@dataclass(frozen=True)
class NewInboxItem:
    """A Slack request to store, as it arrived."""

    key: str                   # the dedupe key: a retry of the same event or click has the same one
    mode: str                  # "http" or "socket_mode"
    content_type: str | None
    body: str


def add_inbox_items(session: Session, items: Sequence[NewInboxItem], now: datetime) -> list[int | None]:
    """Store Slack requests in one statement; for each, its id, or None when its key is already stored.

    INSERT ... ON CONFLICT (key) DO NOTHING RETURNING id, key: no savepoint and no ORM unit of work
    (most of the CPU an ack spent here), one round trip for a whole group commit (bench/README.md,
    "Load"). A key repeated within `items` (a retry racing its original) is stored once.
    """
    connection = session.connection()
    table = InboxItem.__table__
    statement = (_INSERT[connection.dialect.name](table).on_conflict_do_nothing(index_elements=[table.c.key])
                 .returning(table.c.id, table.c.key))
    rows = [{"key": item.key, "mode": item.mode, "content_type": item.content_type, "body": item.body,
             "state": InboxState.PENDING, "attempts": 0, "due_at": now, "received_at": now} for item in items]
    stored = {key: item_id for item_id, key in connection.execute(statement, rows)}
    return [stored.pop(item.key, None) for item in items]


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


def claim_inbox_item(session: Session, item_id: int, now: datetime, lease: timedelta) -> Row | None:
    """Take one item for this worker if nobody has it: a single UPDATE ... RETURNING (id, mode,
    content_type, body); None when another worker holds it, or it is finished or not due."""
    claimable = or_(InboxItem.state == InboxState.PENDING,
                    (InboxItem.state == InboxState.PROCESSING) & (InboxItem.lease_until < now))
    return session.connection().execute(
        update(InboxItem.__table__).where(InboxItem.id == item_id, claimable, InboxItem.due_at <= now)
        .values(state=InboxState.PROCESSING, lease_until=now + lease, attempts=InboxItem.attempts + 1)
        .returning(InboxItem.id, InboxItem.mode, InboxItem.content_type, InboxItem.body)
    ).first()


def claim_inbox_batch(session: Session, item_ids: Sequence[int], now: datetime, lease: timedelta) -> dict[int, Row]:
    """`claim_inbox_item` for several items in one UPDATE ... RETURNING: the claimed ones by id (an id
    missing: another worker holds it, or it is finished or not due)."""
    claimable = or_(InboxItem.state == InboxState.PENDING,
                    (InboxItem.state == InboxState.PROCESSING) & (InboxItem.lease_until < now))
    rows = session.connection().execute(
        update(InboxItem.__table__).where(InboxItem.id.in_(list(item_ids)), claimable, InboxItem.due_at <= now)
        .values(state=InboxState.PROCESSING, lease_until=now + lease, attempts=InboxItem.attempts + 1)
        .returning(InboxItem.id, InboxItem.mode, InboxItem.content_type, InboxItem.body)
    )
    return {row.id: row for row in rows}


def finish_inbox_batch(session: Session, item_ids: Sequence[int], state: InboxState, now: datetime,
                       error: str | None = None) -> None:
    """`finish_inbox_item` for several items that ended the same way, in one UPDATE."""
    session.execute(
        update(InboxItem).where(InboxItem.id.in_(list(item_ids)))
        .values(state=state, finished_at=now, lease_until=None, last_error=error[:200] if error else None, body="")
        .execution_options(synchronize_session=False)
    )


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
