"""Names for Slack user ids in what people read (tables, not --json), from the bot's people directory cache.

Read-only: the database is never created, migrated or locked for writing (storage.readonly). A missing or
unusable database, one from before the people table, or a person nobody looked up yet: the id is shown.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from sqlalchemy.exc import SQLAlchemyError

from cli import dbtool
from storage import people_queries
from storage.engine import make_sessions
from storage.readonly import reader_engine

log = logging.getLogger(__name__)
Names = Mapping[str, str]


def cached_names(url: str | None, user_ids: Iterable[str | None]) -> dict[str, str]:
    """user id -> name, for those of `user_ids` the people directory has a name for ({} when it cannot tell)."""
    ids = sorted({user for user in user_ids if user})
    if not url or not ids:
        return {}
    try:
        if dbtool.absent(url):
            return {}
        engine = reader_engine(url, timeout_seconds=5)
    except Exception as error:  # noqa: BLE001 - names are a courtesy: a bad URL is reported by the commands that need it
        log.debug("no names: %s", error)
        return {}
    try:
        with make_sessions(engine).begin() as session:
            return {r.user_id: r.name for r in people_queries.get_people(session, ids) if r.name}
    except SQLAlchemyError as error:  # no people table yet, or the server is down: ids it is
        log.debug("no names from %s: %s", dbtool.where(url), error)
        return {}
    finally:
        engine.dispose()


def named(user_id: str | None, names: Names, nobody: str = "-") -> str:
    """The person's cached name, else their id (`nobody` for no one)."""
    if not user_id:
        return nobody
    return names.get(user_id) or user_id
