"""The people directory's cache of users.info: read and upsert one person (never commits)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import PersonRecord


def get_person(session: Session, user_id: str) -> PersonRecord | None:
    """The cached record of a Slack user, or None."""
    return session.get(PersonRecord, user_id)


def get_people(session: Session, user_ids: list[str]) -> list[PersonRecord]:
    """The cached records of several users at once (one query: for lists of names)."""
    if not user_ids:
        return []
    return list(session.scalars(select(PersonRecord).where(PersonRecord.user_id.in_(user_ids))))


def save_person(session: Session, user_id: str, *, name: str | None, locale: str | None, tz: str | None,
                fetched_at: datetime) -> None:
    """Insert or replace the cached record (a concurrent save of the same user simply wins or loses)."""
    record = session.get(PersonRecord, user_id)
    if record is None:
        try:
            with session.begin_nested():
                session.add(PersonRecord(user_id=user_id, name=name, locale=locale, tz=tz, fetched_at=fetched_at))
            return
        except IntegrityError:  # another worker cached the same person a moment ago: overwrite theirs
            record = session.get(PersonRecord, user_id)
            if record is None:
                return
    record.name, record.locale, record.tz, record.fetched_at = name, locale, tz, fetched_at
