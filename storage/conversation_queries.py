"""Conversation queries: relayed messages, held messages, threads that belong to a request, anonymity."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import AnonymousRequester, Delivery, HeldMessage, Message, Request


def add_message(session: Session, **fields: Any) -> Message | None:
    """Store one conversation message; None when that Slack message was stored already (a redelivery)."""
    message = Message(**fields)
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:
        return None
    return message


def message_by_source(session: Session, channel: str, ts: str) -> Message | None:
    """The stored message a person wrote at (channel, ts), if it was part of a conversation."""
    return session.scalars(select(Message).where(Message.source_channel == channel, Message.source_ts == ts)
                           ).one_or_none()


def messages_of(session: Session, request_id: int) -> Sequence[Message]:
    """The request's conversation, oldest first."""
    return session.scalars(select(Message).where(Message.request_id == request_id).order_by(Message.id)).all()


def update_message(session: Session, message_id: int, **values: Any) -> None:
    """Record a change to a stored message (its copy's location, an edit, a deletion)."""
    session.execute(update(Message).where(Message.id == message_id).values(**values)
                    .execution_options(synchronize_session=False))


def request_of_triage_thread(session: Session, channel: str, thread_ts: str) -> Request | None:
    """The request whose triage post starts this thread."""
    return session.scalars(select(Request).where(Request.triage_channel == channel,
                                                 Request.triage_ts == thread_ts).limit(1)).one_or_none()


def request_of_requester_thread(session: Session, channel: str, thread_ts: str) -> Request | None:
    """The request a thread in the requester's DM or channel belongs to: its own message or one the bot posted."""
    direct = session.scalars(select(Request).where(
        Request.channel_id == channel, or_(Request.root_ts == thread_ts, Request.message_ts == thread_ts))
        .order_by(Request.id.desc()).limit(1)).one_or_none()
    if direct is not None:
        return direct
    posted = select(Delivery.request_id).where(Delivery.result_channel == channel, Delivery.result_ts == thread_ts,
                                               Delivery.request_id.is_not(None)).limit(1).scalar_subquery()
    return session.scalars(select(Request).where(Request.id == posted)).one_or_none()


def latest_request_in(session: Session, channel: str, statuses: Iterable[str]) -> Request | None:
    """The newest request in a person's DM with the bot (one DM, one person) with one of these statuses."""
    return session.scalars(select(Request).where(
        Request.channel_id == channel, Request.status.in_(list(statuses)))
        .order_by(Request.id.desc()).limit(1)).one_or_none()


def awaiting_request(session: Session, channel: str, now: datetime) -> Request | None:
    """A request in this DM whose requester was just asked "what is still wrong?"."""
    return session.scalars(select(Request).where(Request.channel_id == channel, Request.awaiting_reply_until > now)
                           .order_by(Request.id.desc()).limit(1)).one_or_none()


def hold_message(session: Session, **fields: Any) -> HeldMessage | None:
    """Hold a new DM until its author says which request it is about; None if already held."""
    held = HeldMessage(**fields)
    try:
        with session.begin_nested():
            session.add(held)
    except IntegrityError:
        return None
    return held


def get_held(session: Session, held_id: int) -> HeldMessage | None:
    """A held DM by id."""
    return session.get(HeldMessage, held_id)


def decide_held(session: Session, held_id: int, now: datetime) -> HeldMessage | None:
    """Take the held message for one decision (a conditional UPDATE: a second click gets None)."""
    taken = session.execute(update(HeldMessage).where(HeldMessage.id == held_id, HeldMessage.decided_at.is_(None))
                            .values(decided_at=now).execution_options(synchronize_session=False))
    return session.get(HeldMessage, held_id) if taken.rowcount == 1 else None


def set_anonymous_requester(session: Session, request_id: int, user_id: str) -> None:
    """Remember who asked an anonymous request, apart from every other table."""
    session.add(AnonymousRequester(request_id=request_id, user_id=user_id))


def anonymous_requester(session: Session, request_id: int) -> str | None:
    """Who asked this anonymous request (for the relay and the requester's own buttons only)."""
    row = session.get(AnonymousRequester, request_id)
    return row.user_id if row else None


def message_copy(session: Session, message_id: int) -> tuple[str, str] | None:
    """(channel, ts) of the relayed copy of a message, once it was posted."""
    message = session.get(Message, message_id)
    return (message.copy_channel, message.copy_ts) if message and message.copy_ts else None
