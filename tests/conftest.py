"""Shared fixtures: a database per test on SQLite and (when reachable) PostgreSQL, and the harness."""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_CANDIDATES = [
    os.environ.get("HELPLOOP_TEST_PG_URL", ""),
    "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    "postgresql+psycopg://root@127.0.0.1:5432/test",
]


def _reachable_postgres() -> tuple[str | None, str]:
    reasons = []
    for url in filter(None, PG_CANDIDATES):
        try:
            engine = create_engine(url, connect_args={"connect_timeout": 3})
            with engine.connect() as conn:
                conn.execute(text("select 1"))
            engine.dispose()
            return url, ""
        except Exception as error:  # any failure means "not reachable here"; say why in the skip
            reasons.append(f"{make_url(url).render_as_string(hide_password=True)}: {str(error).splitlines()[0]}")
    return None, "; ".join(reasons)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A reachable PostgreSQL server URL, or the test is skipped with the reason."""
    url, reason = _reachable_postgres()
    if url is None:
        pytest.skip(f"PostgreSQL not reachable (set HELPLOOP_TEST_PG_URL): {reason}")
    return url


def _fresh_schema(server_url: str) -> Iterator[str]:
    schema = f"helploop_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(server_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """An empty database: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'helploop.db'}"
    else:
        yield from _fresh_schema(request.getfixturevalue("postgres_url"))


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    """An empty SQLite database file (for tests that only need one backend)."""
    return f"sqlite:///{tmp_path / 'helploop.db'}"
