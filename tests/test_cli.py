"""The `helploop` console script as an admin runs it."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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


def test_metrics_on_an_empty_database(tmp_path):
    result = helploop("metrics", "--json", env={"DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}"})
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout)
    assert metrics["requests"] == 0 and metrics["self_service_rate"] is None
