"""Engine and session factory; SQLite is tuned so concurrent writers queue instead of failing."""
from __future__ import annotations

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str, timeout_seconds: float = 30.0) -> Engine:
    """An engine for a SQLAlchemy URL (sqlite:///file.db or postgresql+psycopg://...).

    No statement, lock wait or wait for a pooled connection lasts longer than `timeout_seconds`: a
    stalled database makes the caller fail fast instead of holding its thread.
    """
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": timeout_seconds},
                               pool_timeout=timeout_seconds, hide_parameters=True)
        _tune_sqlite(engine, timeout_seconds)
        return engine
    millis = int(timeout_seconds * 1000)
    given = make_url(url).query.get("options", "")  # e.g. a search_path: keep it, add the timeouts
    options = " ".join(filter(None, [given if isinstance(given, str) else " ".join(given),
                                     f"-c statement_timeout={millis} -c lock_timeout={millis}"]))
    # hide_parameters: an error message must not carry a question's text into the log.
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10, pool_timeout=timeout_seconds,
                         hide_parameters=True,
                         connect_args={"options": options, "connect_timeout": max(1, int(timeout_seconds))})


def make_sessions(engine: Engine) -> sessionmaker[Session]:
    """A session factory; callers own the unit of work (`with sessions.begin() as s: ...`)."""
    return sessionmaker(engine, expire_on_commit=False)


def _tune_sqlite(engine: Engine, timeout_seconds: float) -> None:
    # pysqlite's own BEGIN is deferred, so two writers that both read first deadlock with
    # "database is locked"; taking the write lock at BEGIN makes them wait for each other.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(timeout_seconds * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def ping(engine: Engine) -> bool:
    """True when the database answers a trivial query (for the health endpoint)."""
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
        return True
    except Exception:  # any failure means "not healthy"; the caller reports it
        return False
