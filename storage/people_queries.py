"""The people directory's cache of users.info: read and upsert one person (never commits)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import PersonRecord

_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


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
    """Insert or replace the cached record (a concurrent save of the same user simply wins or loses).

    One INSERT ... ON CONFLICT DO UPDATE: a look-up, a savepoint and the ORM's unit of work cost a new
    person's first question more than the statement itself (bench/README.md, "Load, round 3").
    """
    table = PersonRecord.__table__
    values = {"name": name, "locale": locale, "tz": tz, "fetched_at": fetched_at}
    insert = _INSERT[session.get_bind().dialect.name](table).values(user_id=user_id, **values)
    session.execute(insert.on_conflict_do_update(index_elements=[table.c.user_id], set_=values))
