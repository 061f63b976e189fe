"""An engine for reports: reads without taking SQLite's write lock and can never create or change the file."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, make_url

from storage.engine import make_engine


def reader_engine(url: str, timeout_seconds: float = 60.0) -> Engine:
    """SQLite: the file opened read-only (mode=ro; temporary tables still work); other databases as usual.

    The bot's engine begins every SQLite transaction with BEGIN IMMEDIATE, which would hold the bot's writers
    for as long as a report reads; a read-only connection in WAL mode never blocks them.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:" \
            or parsed.query.get("uri"):
        return make_engine(url, timeout_seconds)
    path = Path(parsed.database).resolve()
    return create_engine(f"sqlite:///file:{quote(str(path))}?mode=ro&uri=true", hide_parameters=True,
                         connect_args={"timeout": timeout_seconds, "check_same_thread": False})
