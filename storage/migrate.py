"""Bring a database schema up to date with the Alembic migrations shipped in this package."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    """An Alembic config bound to `engine` (no alembic.ini needed)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply every migration up to `revision`; a no-op on an up-to-date schema."""
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Revert migrations down to `revision` ("base" for an empty schema)."""
    command.downgrade(alembic_config(engine), revision)


def script_directory() -> ScriptDirectory:
    """The migrations shipped in this package, as Alembic sees them."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(cfg)


def head_revision() -> str:
    """The newest migration this version of helploop ships (the revision `upgrade` goes to)."""
    head = script_directory().get_current_head()
    assert head is not None, f"no migrations in {MIGRATIONS_DIR}"
    return head


def known_revision(revision: str) -> bool:
    """Whether `revision` is one of the shipped migrations (a newer helploop may have applied others)."""
    try:
        return script_directory().get_revision(revision) is not None
    except CommandError:  # alembic.util.exc.CommandError / ResolutionError: no such revision here
        return False


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, None when it has no helploop schema; reads only, never migrates."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
