"""The `helploop` console script as an admin runs it."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from cli.main import PIPE_CLOSED, main
from storage.engine import make_engine
from storage.migrate import current_revision, head_revision, upgrade

ROOT = Path(__file__).resolve().parent.parent


def helploop(*args: str, stdin: str = "", env: dict[str, str] | None = None, cwd: Path | None = None):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "KB_DIR"))}
    return subprocess.run([sys.executable, "-m", "cli.main", *args], input=stdin, capture_output=True,
                          text=True, timeout=120, env={**clean, "PYTHONPATH": str(ROOT), **(env or {})},
                          cwd=cwd or ROOT)


def test_run_without_credentials_names_the_variables_and_exits_2(tmp_path):
    result = helploop("run", cwd=tmp_path)  # no .env there
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN" in result.stderr and "SLACK_SIGNING_SECRET" in result.stderr
    assert "README" in result.stderr


def test_run_reads_dotenv_and_reports_what_is_still_missing(tmp_path):
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=xoxb-from-dotenv\n")
    result = helploop("run", cwd=tmp_path)
    assert result.returncode == 2
    assert "SLACK_SIGNING_SECRET" in result.stderr and "SLACK_BOT_TOKEN" not in result.stderr


def test_kb_check_passes_on_the_example_kb():
    result = helploop("kb", "check")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK:")


def test_kb_check_fails_with_every_error_named(tmp_path):
    (tmp_path / "departments.yaml").write_text(
        "default: it\ndepartments:\n  - id: it\n    name: IT\n    triage_channel: C1\n    staff: [U1]\n"
        "    rotation: {members: [U1], handoff: {weekday: monday, time: '09:00'}, timezone: Europe/Warsaw,"
        " start: 2026-01-05}\n")
    (tmp_path / "it.yaml").write_text(
        "entries:\n  - id: ok-entry\n    department: it\n    questions: [hi]\n    answer: hello\n"
        "  - id: vpn-reset\n    department: it\n    questions: []\n    answer: x\n")
    result = helploop("kb", "check", "--kb", str(tmp_path))
    assert result.returncode == 1
    assert "it.yaml: entries[1] (vpn-reset): questions must be a non-empty list" in result.stderr


def test_kb_match_json_contract():
    result = helploop("kb", "match", "--json", stdin="jak zresetowac haslo do vpn\nwhat is the meaning of life\n")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["question"] for row in rows] == ["jak zresetowac haslo do vpn", "what is the meaning of life"]
    assert rows[0]["entry"] == "it-vpn-password-reset" and rows[0]["department"] == "it"
    assert rows[1]["entry"] is None
    for row in rows:
        assert {"question", "entry", "score", "department", "best", "best_score"} <= row.keys()
        assert 0 <= row["score"] <= 100 and 0 <= row["best_score"] <= 100


def test_demo_runs_the_whole_loop():
    result = helploop("demo")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for seen in ("[That solved it]", "Marked as solved", "Did you mean", "passed your request to", "[Claim]",
                 "Only members of", "Claimed by @", "already claimed by", "really fixed?",
                 "reopened", "Glad it's fixed", "paged the backup on-call", "Transferred to *Finance*",
                 "self service rate"):
        assert seen in out, f"demo transcript lacks {seen!r}"
    assert "Traceback" not in out + result.stderr


def test_version_is_the_installed_package_version():
    result = helploop("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"helploop {version('helploop')}\n"


def test_no_command_prints_help_and_exits_2():
    result = helploop()
    assert result.returncode == 2
    assert "Usage: helploop" in result.stdout + result.stderr and "oncall" in result.stdout + result.stderr


def test_a_malformed_setting_is_one_line_and_exit_2():
    result = helploop("kb", "check", env={"PORT": "eighty"})
    assert result.returncode == 2
    assert result.stderr.startswith("helploop: PORT") and "Traceback" not in result.stderr


def test_metrics_never_creates_a_database(tmp_path):
    result = helploop("metrics", "--json", cwd=tmp_path)  # the default sqlite:///helploop.db, not there
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "sqlite:///helploop.db" in result.stderr and "helploop db upgrade" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_metrics_on_an_empty_schema_names_the_database_and_the_fix(tmp_path):
    (tmp_path / "empty.db").touch()
    url = "postgresql+psycopg://helploop:s3cret@127.0.0.1:1/nowhere"
    result = helploop("metrics", env={"DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"})
    assert result.returncode == 1
    assert "has no helploop schema" in result.stderr and "helploop db upgrade" in result.stderr
    unreachable = helploop("metrics", env={"DATABASE_URL": url})
    assert unreachable.returncode == 3 and unreachable.stderr.count("\n") == 1
    assert "127.0.0.1:1/nowhere" in unreachable.stderr and "s3cret" not in unreachable.stderr


def test_db_upgrade_then_metrics_on_the_empty_database(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}"}
    upgraded = helploop("db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert upgraded.stdout == f"sqlite:///{tmp_path / 'm.db'}: upgraded empty -> {head_revision()} (head)\n"
    result = helploop("metrics", "--json", env=env)
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout)
    assert metrics["requests"] == 0 and metrics["self_service_rate"] is None
    table = helploop("metrics", env=env)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0] == f"metrics from sqlite:///{tmp_path / 'm.db'}"  # which database it read
    assert lines[1].split() == ["METRIC", "VALUE"]
    assert ["requests", "0"] in [line.split() for line in lines]
    assert ["self", "service", "rate", "n/a"] in [line.split() for line in lines]
    assert all(line == line.rstrip() for line in lines)  # piped: plain text, no padding


@pytest.fixture
def cli(monkeypatch, capsys):
    """`helploop ...` in this process: (exit code, stdout, stderr); the test's logging is left alone."""
    monkeypatch.setattr("cli.main.configure_logging", lambda *args: None)
    for name in ("DATABASE_URL", "KB_DIR"):
        monkeypatch.delenv(name, raising=False)

    def invoke(*args: str, database_url: str | None = None) -> tuple[int, str, str]:
        if database_url:
            monkeypatch.setenv("DATABASE_URL", database_url)
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


def test_db_current_and_upgrade(cli, database_url):
    head = head_revision()
    code, out, err = cli("db", "current", database_url=database_url)
    assert code == 1 and out == ""
    assert "`helploop db upgrade`" in err and err.count("\n") == 1
    assert ("does not exist" if database_url.startswith("sqlite") else "has no helploop schema") in err

    engine = make_engine(database_url)
    try:
        upgrade(engine, "0001")
        code, out, err = cli("db", "current")
        assert code == 1 and f"at revision 0001, behind {head}; run `helploop db upgrade`" in err
        assert current_revision(engine) == "0001"  # never migrates

        code, out, err = cli("metrics", "--json")
        assert code == 1 and out == "" and "behind" in err
        assert current_revision(engine) == "0001"  # read-only: never migrates

        code, out, err = cli("db", "upgrade")
        assert code == 0, err
        assert out.endswith(f": upgraded 0001 -> {head} (head)\n") and current_revision(engine) == head

        code, out, err = cli("db", "current")
        assert (code, err) == (0, "") and out.endswith(f": at revision {head} (head)\n")
        code, out, err = cli("db", "upgrade")
        assert code == 0 and out.endswith(f": already at revision {head} (head)\n")
        code, out, _ = cli("metrics", "--json")
        assert code == 0 and json.loads(out)["requests"] == 0
    finally:
        engine.dispose()


def test_db_current_on_a_missing_sqlite_file_creates_nothing(cli, tmp_path):
    code, out, err = cli("db", "current", database_url=f"sqlite:///{tmp_path / 'none.db'}")
    assert code == 1 and out == "" and "does not exist" in err and "helploop db upgrade" in err
    assert list(tmp_path.iterdir()) == []


def test_db_current_names_a_revision_it_does_not_know(cli, sqlite_url):
    engine = make_engine(sqlite_url)
    try:
        upgrade(engine)
        with engine.begin() as connection:
            connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    finally:
        engine.dispose()
    code, _, err = cli("db", "current", database_url=sqlite_url)
    assert code == 1 and "revision 9999, which this helploop does not know" in err
    code, _, err = cli("db", "upgrade")
    assert code == 1 and "9999" in err


def test_kb_match_takes_questions_as_arguments(cli):
    code, out, err = cli("kb", "match", "--json", "jak zresetowac haslo do vpn", "what is the meaning of life")
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert [row["question"] for row in rows] == ["jak zresetowac haslo do vpn", "what is the meaning of life"]
    assert rows[0]["entry"] == "it-vpn-password-reset"


def test_usage_errors_exit_2(cli):
    code, _, err = cli("kb", "nonsense")
    assert code == 2 and "No such command" in err
    code, _, err = cli("oncall", "--at", "monday")
    assert code == 2 and "not an ISO 8601 time" in err


def test_kb_match_into_head_exits_quietly():
    """`helploop kb match ... | head -1`: the reader goes away early; no BrokenPipeError traceback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "KB_DIR"))}
    questions = [f"how do I reset my vpn password {i}" for i in range(1500)]
    writer = subprocess.Popen([sys.executable, "-m", "cli.main", "kb", "match", "--json", *questions],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
                              env={**env, "PYTHONPATH": str(ROOT)})
    head = subprocess.Popen(["head", "-1"], stdin=writer.stdout, stdout=subprocess.PIPE, text=True)
    writer.stdout.close()  # head alone reads it now
    first, _ = head.communicate(timeout=120)
    stderr = writer.stderr.read().decode()
    writer.stderr.close()
    code = writer.wait(timeout=120)
    assert json.loads(first)["question"] == questions[0]
    assert stderr == "" and code in (0, PIPE_CLOSED)
