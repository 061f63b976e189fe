"""Logic of `helploop db upgrade`, `db current` and `metrics`, on streams.

Only `db upgrade` changes a database. The read-only commands never migrate and never create one: a
missing SQLite file, an empty schema or one behind this helploop's migrations is one line naming the
database (password hidden) and the fix.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO, TypeVar

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from storage import migrate
from storage.engine import make_engine

T = TypeVar("T")
UPGRADE_HINT = "run `helploop db upgrade`"
DATABASE_ERROR = 3  # as `helploop run`: the database cannot be reached or used


class Unusable(Exception):
    """The database cannot be reached or read; the message is one line."""


@dataclass(frozen=True)
class State:
    """Where a database stands against the migrations this helploop ships."""

    where: str            # the URL with its password hidden
    exists: bool          # False: a SQLite file that is not there (it was not created)
    current: str | None   # None: no helploop schema
    head: str

    @property
    def at_head(self) -> bool:
        return self.exists and self.current == self.head

    def problem(self) -> str | None:
        """Why a read-only command cannot use the database, with the fix; None when it is at head."""
        if not self.exists:
            return f"no database at {self.where} (the file does not exist); create it with `helploop db upgrade` " \
                   "or point DATABASE_URL at the bot's database"
        if self.current is None:
            return f"the database {self.where} has no helploop schema; {UPGRADE_HINT} " \
                   "or point DATABASE_URL at the bot's database"
        if not migrate.known_revision(self.current):
            return f"the database {self.where} is at revision {self.current}, which this helploop does not know " \
                   f"(its newest is {self.head}): a newer helploop migrated it; upgrade helploop"
        if self.current != self.head:
            return f"the database {self.where} is at revision {self.current}, behind {self.head}; {UPGRADE_HINT}"
        return None


def where(url: str) -> str:
    """The database URL fit to print: the password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "DATABASE_URL (not a valid database URL)"


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names; None for other databases, in-memory and `file:` URI databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.query.get("uri") or \
            parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def absent(url: str) -> str | None:
    """The problem when `url` names a SQLite file that is not there (opening it would create it), else None."""
    try:
        file = sqlite_file(url)
    except ArgumentError:
        return None  # whoever opens it reports the malformed URL
    if file is None or file.is_file():
        return None
    return State(where(url), exists=False, current=None, head=migrate.head_revision()).problem()


@contextmanager
def existing(url: str) -> Iterator[tuple[State, Engine | None]]:
    """The database's state and, when it exists, an engine on it (disposed after); never creates a file."""
    head = migrate.head_revision()
    try:
        file = sqlite_file(url)
    except ArgumentError as error:
        raise Unusable(f"DATABASE_URL is not a valid database URL: {error}") from None
    if file is not None and not file.is_file():
        yield State(where(url), exists=False, current=None, head=head), None
        return
    engine = _engine(url)
    try:
        yield State(where(url), exists=True, current=using(engine, migrate.current_revision), head=head), engine
    finally:
        engine.dispose()


def current(url: str, out: TextIO, err: TextIO) -> int:
    """Print the revision the database is at and whether that is head: 0 at head, 1 otherwise; never migrates."""
    try:
        with existing(url) as (state, _engine):
            problem = state.problem()
    except Unusable as error:
        print(f"helploop db current: {error}", file=err)
        return DATABASE_ERROR
    if problem is None:
        print(f"{state.where}: at revision {state.current} (head)", file=out)
        return 0
    print(f"helploop db current: {problem}", file=err)
    return 1


def upgrade(url: str, out: TextIO, err: TextIO) -> int:
    """Migrate the database to head (creating a SQLite file if need be) and print from -> to."""
    try:
        engine = _engine(url)
    except Unusable as error:
        print(f"helploop db upgrade: {error}", file=err)
        return DATABASE_ERROR
    try:
        before = using(engine, migrate.current_revision)
        head = migrate.head_revision()
        if before is not None and not migrate.known_revision(before):
            print(f"helploop db upgrade: {State(where(url), True, before, head).problem()}", file=err)
            return 1
        using(engine, migrate.upgrade)
        after = using(engine, migrate.current_revision)
    except Unusable as error:
        print(f"helploop db upgrade: {error}", file=err)
        return DATABASE_ERROR
    finally:
        engine.dispose()
    if before == after:
        print(f"{where(url)}: already at revision {after} (head)", file=out)
    else:
        print(f"{where(url)}: upgraded {before or 'empty'} -> {after} (head)", file=out)
    return 0


def _engine(url: str) -> Engine:
    try:
        return make_engine(url)
    except ArgumentError as error:
        raise Unusable(f"DATABASE_URL is not a valid database URL: {error}") from None
    except ImportError as error:  # the URL names a driver that is not installed
        raise Unusable(f"cannot use the database {where(url)}: {error}") from None


def using(engine: Engine, action: Callable[[Engine], T]) -> T:
    """`action(engine)`, with any database failure turned into one line naming the database."""
    try:
        return action(engine)
    except SQLAlchemyError as error:
        raise Unusable(f"cannot use the database {engine.url.render_as_string(hide_password=True)}: "
                       f"{_first_line(error)}. Check DATABASE_URL and that the server is running.") from None


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return (text.splitlines() or [type(error).__name__])[0][:300]
