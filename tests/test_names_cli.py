"""Names instead of ids in what people read from the CLI: `helploop oncall` names the people the bot's people
directory has cached (read-only), keeps ids in --json, and shows ids when it cannot tell."""
from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine

from cli.names import cached_names, named
from cli.oncalltool import show
from storage import people_queries
from storage.engine import make_engine, make_sessions
from storage.migrate import upgrade
from tests.test_cli import helploop
from wiring.settings import EXAMPLE_KB_DIR

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)  # IT: Minh on call, Piotr next, Kasia backup


def people_db(url: str, **names: str | None) -> None:
    engine = make_engine(url)
    upgrade(engine)
    with make_sessions(engine).begin() as session:
        for user_id, name in names.items():
            people_queries.save_person(session, user_id, name=name, locale=None, tz=None, fetched_at=NOW)
    engine.dispose()


def oncall(url: str | None, as_json: bool = False) -> str:
    out, err = io.StringIO(), io.StringIO()
    assert show(EXAMPLE_KB_DIR, "it", None, as_json, out, err, now=NOW, database_url=url) == 0, err.getvalue()
    return out.getvalue()


def test_the_oncall_table_names_cached_people_and_json_keeps_ids(sqlite_url):
    people_db(sqlite_url, U0HLMINH="Minh Nguyen", U0HLPIOTR="Piotr Zieliński", U0HLKASIA=None)  # Kasia: no name
    lines = oncall(sqlite_url).splitlines()
    primary = next(line for line in lines if line.startswith("primary"))
    backup = next(line for line in lines if line.startswith("backup"))
    assert "Minh Nguyen" in primary and primary.endswith("Piotr Zieliński until Mon 2026-12-07 09:00 CET")
    assert "U0HLMINH" not in primary and "U0HLKASIA" in backup  # nobody cached a name for Kasia: her id
    layers = json.loads(oncall(sqlite_url, as_json=True))["departments"][0]["layers"]
    assert [(layer["user"], layer["next"]["user"]) for layer in layers][0] == ("U0HLMINH", "U0HLPIOTR")


def test_without_a_usable_people_cache_the_table_shows_ids(tmp_path: Path):
    missing = tmp_path / "nowhere.db"
    assert "U0HLMINH" in oncall(f"sqlite:///{missing}") and not missing.exists()  # never created
    empty = tmp_path / "empty.db"
    create_engine(f"sqlite:///{empty}").connect().close()  # a file with no helploop schema
    assert "U0HLMINH" in oncall(f"sqlite:///{empty}")
    assert "U0HLMINH" in oncall(None)
    assert cached_names("not a url", ["U0HLMINH"]) == {}


def test_cached_names_reads_one_query_worth_and_named_falls_back_to_the_id(sqlite_url):
    people_db(sqlite_url, U1="Ann", U2="")
    assert cached_names(sqlite_url, ["U1", "U2", "U3", None, "U1"]) == {"U1": "Ann"}
    assert (named("U1", {"U1": "Ann"}), named("U3", {}), named(None, {})) == ("Ann", "U3", "-")


def test_the_console_script_names_people_from_database_url(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    people_db(url, U0HLMINH="Minh Nguyen")
    result = helploop("oncall", "--department", "it", "--at", "2026-11-23T09:30:00Z", env={"DATABASE_URL": url},
                      cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Minh Nguyen" in next(line for line in result.stdout.splitlines() if line.startswith("primary"))
