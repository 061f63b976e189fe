"""`helploop report` as an admin runs it: formats, the file it writes, and a missing database left uncreated."""
from __future__ import annotations

import base64
import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from storage.engine import make_engine, make_sessions
from storage.migrate import upgrade
from tests.history import history, insert_history

ROOT = Path(__file__).resolve().parent.parent


def helploop(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "KB_DIR"))}
    return subprocess.run([sys.executable, "-m", "cli.main", *args], capture_output=True, text=True, timeout=120,
                          env={**clean, "PYTHONPATH": str(ROOT), **(env or {})}, cwd=cwd or ROOT)


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('report') / 'helploop.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with make_sessions(engine).begin() as session:
        insert_history(session, history())
    engine.dispose()
    return url


def test_report_on_a_missing_database_errors_without_creating_it(tmp_path):
    result = helploop("report", cwd=tmp_path)  # the default sqlite:///helploop.db, not there
    assert result.returncode == 1
    assert "no database at sqlite:///helploop.db" in result.stderr
    assert not (tmp_path / "helploop.db").exists()


def test_json_names_the_database_and_holds_every_measure(database):
    result = helploop("report", "--format", "json", env={"DATABASE_URL": database})
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["database"] == database
    assert data["overall"]["requests"] == 8
    assert data["departments"]["it"]["first_response_median_working"] == 1800
    assert data["departments"]["it"]["first_response_median"] == 6300
    assert {(b["department"], b["standard"]) for b in data["breaches"]} == {("it", "one_touch")}
    assert data["targets"]["it"]["first_response"] == 1800


def test_csv_is_one_figure_a_line_with_targets_and_breaches(database):
    result = helploop("report", "--format", "csv", "--period", "day", env={"DATABASE_URL": database})
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    found = {(r["section"], r["group"], r["measure"]): r for r in rows}
    one_touch = found[("department", "it", "one_touch_rate")]
    assert (float(one_touch["value"]), float(one_touch["target"]), one_touch["breach"]) == (0.5, 0.6, "yes")
    assert found[("period", "2026-11-27", "requests")]["value"] == "1"
    assert found[("entry", "it-vpn-password-reset", "offered")]["value"] == "2"


def test_table_names_the_database_and_marks_breaches(database):
    result = helploop("report", env={"DATABASE_URL": database})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"report from {database}")
    assert re.search(r"one touch rate\s+67%\s+100%\s+50% \(>= 60%\) BREACH", result.stdout)
    assert re.search(r"first response median working\s+.*30m 00s \(<= 30m 00s\)", result.stdout)


def test_html_holds_the_charts_as_images_and_the_breach_list(database, tmp_path):
    out = tmp_path / "report.html"
    result = helploop("report", "--format", "html", "--out", str(out), "--period", "day",
                      env={"DATABASE_URL": database})
    assert result.returncode == 0, result.stderr
    assert f"written to {out}" in result.stderr
    page = out.read_text(encoding="utf-8")
    images = re.findall(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", page)
    assert len(images) == 3
    assert all(base64.b64decode(image).startswith(b"\x89PNG") for image in images)
    breaches = re.search(r"<ul id='breaches'>(.*?)</ul>", page).group(1)
    assert "it: one touch 50% (target at least 60%)" in breaches
    assert database in page


def test_bad_options_are_refused(database):
    assert helploop("report", "--period", "year", env={"DATABASE_URL": database}).returncode == 2
    unknown = helploop("report", "--department", "legal", env={"DATABASE_URL": database})
    assert unknown.returncode == 2 and "unknown department 'legal'" in unknown.stderr
    assert helploop("report", "--since", "yesterday", env={"DATABASE_URL": database}).returncode == 2
