"""`helploop kb gaps` and `helploop kb drafts` as an admin runs them (the console script, in a child process)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bot.clock import ManualClock
from kb import load_kb
from kb.drafts import document, dump, file_name
from tests.service.conftest import MONDAY_MORNING, open_service
from tests.test_cli import helploop

EXAMPLE = Path(__file__).resolve().parent.parent / "kb" / "example"
JIRA = ["Jira is down, cannot log in", "is jira down for everyone", "JIRA is down again", "jira is down"]
PLOTTER = ["the 3D plotter in room 204 prints only blank pages", "3d plotter room 204 prints blank pages"]
SINCE = ["--since", "2026-11-01"]


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> str:
    """A database where 4 people asked about Jira, 2 about the plotter (one of them twice), 1 something the KB
    answered: the URL."""
    url = f"sqlite:///{tmp_path_factory.mktemp('gaps') / 'helploop.db'}"
    kb = load_kb(EXAMPLE)
    with open_service(url, kb, ManualClock(MONDAY_MORNING)) as service:
        for n, text in enumerate(JIRA):
            service.ask(text, user=f"U0HLJ{n:04d}", channel=f"D0HLJ{n:04d}")
        for n, text in enumerate([PLOTTER[0], PLOTTER[1], PLOTTER[1]]):
            service.ask(text, user=f"U0HLP{min(n, 1):04d}", channel=f"D0HLP{min(n, 1):04d}")
        service.ask("How do I reset my VPN password?")
    return url


def test_kb_gaps_lists_the_unanswered_questions_grouped_most_asked_first(history):
    result = helploop("kb", "gaps", *SINCE, env={"DATABASE_URL": history})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"unanswered questions since 2026-11-01 00:00 UTC from {history}, grouped by similarity"
    assert lines[1].split() == ["ASKED", "PEOPLE", "DEPARTMENT", "EXAMPLES", "LAST", "ASKED"]
    rows = [line.split(None, 3) for line in lines[3:]]
    assert [r[:3] for r in rows] == [["4", "4", "IT"], ["3", "2", "IT"]]
    assert rows[0][3].startswith("Jira is down, cannot log in | is jira down for everyone | JIRA is down again")
    assert rows[1][3].startswith(f"{PLOTTER[0]} | {PLOTTER[1]}")
    assert "reset my VPN password" not in result.stdout  # answered by the KB: not a gap


def test_kb_gaps_json_department_and_min_count(history):
    result = helploop("kb", "gaps", *SINCE, "--json", "--min-count", "4", env={"DATABASE_URL": history})
    assert result.returncode == 0, result.stderr
    [gap] = json.loads(result.stdout)
    assert (gap["department"], gap["department_name"], gap["count"], gap["people"]) == ("it", "IT", 4, 4)
    assert gap["examples"] == JIRA[:3] and len(gap["requests"]) == 4
    other = helploop("kb", "gaps", *SINCE, "--department", "hr", "--json", env={"DATABASE_URL": history})
    assert other.returncode == 0 and json.loads(other.stdout) == []
    later = helploop("kb", "gaps", "--since", "2026-11-24", env={"DATABASE_URL": history})
    assert later.returncode == 0 and "none: every escalated question" in later.stdout


def test_kb_gaps_usage_errors_exit_2(history):
    unknown = helploop("kb", "gaps", "--department", "plumbing", env={"DATABASE_URL": history})
    assert unknown.returncode == 2 and "unknown department 'plumbing'" in unknown.stderr
    bad = helploop("kb", "gaps", "--since", "last tuesday", env={"DATABASE_URL": history})
    assert bad.returncode == 2 and "neither a duration" in bad.stderr


def test_kb_gaps_never_creates_a_database(tmp_path):
    result = helploop("kb", "gaps", cwd=tmp_path)  # the default sqlite:///helploop.db, not there
    assert result.returncode == 1 and result.stdout == ""
    assert "sqlite:///helploop.db" in result.stderr and "helploop db upgrade" in result.stderr
    assert list(tmp_path.iterdir()) == []


def _draft(folder: Path, request_id: int, department: str = "it", **change) -> Path:
    doc = document(request_id, department, ["The 3D plotter in room 204 prints only blank pages"],
                   "Replace the ink cartridge; spares are in the cupboard.", "2026-11-30T10:00:00+00:00")
    doc["entries"][0].update(change)
    folder.mkdir(exist_ok=True)
    path = folder / file_name(request_id)
    path.write_text(dump(doc), encoding="utf-8")
    return path


def test_kb_drafts_lists_the_drafts_and_kb_check_validates_them(tmp_path):
    drafts = tmp_path / "drafts"
    _draft(drafts, 12)
    env = {"KB_DRAFTS_DIR": str(drafts)}
    listed = helploop("kb", "drafts", env=env)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0] == f"1 draft in {drafts}"
    assert lines[1].split() == ["FILE", "REQUEST", "ENTRY", "DEPARTMENT", "QUESTION", "CHECK"]
    assert lines[3].split()[:4] == ["request-12.yaml", "12", "it-draft-12", "it"] and lines[3].endswith("ok")
    as_json = json.loads(helploop("kb", "drafts", "--json", env=env).stdout)
    assert [(d["request"], d["entries"][0]["id"], d["errors"]) for d in as_json] == [(12, "it-draft-12", [])]
    check = helploop("kb", "check", env=env)
    assert check.returncode == 0 and f"drafts: 1 in {drafts}, valid" in check.stdout

    _draft(drafts, 13, department="plumbing")
    check = helploop("kb", "check", env=env)
    assert check.returncode == 1
    assert "request-13.yaml: entries[0] (plumbing-draft-13): department 'plumbing' is not defined" in check.stderr
    assert "1 error in the drafts" in check.stderr
    assert "1 error (kb check)" in helploop("kb", "drafts", env=env).stdout


def test_drafts_default_to_a_folder_next_to_the_kb(tmp_path):
    kb_dir = tmp_path / "kb"
    shutil.copytree(EXAMPLE, kb_dir)
    _draft(tmp_path / "kb_drafts", 3)
    listed = helploop("kb", "drafts", "--kb", str(kb_dir))
    assert listed.returncode == 0 and "request-3.yaml" in listed.stdout
    here = helploop("kb", "drafts", cwd=tmp_path)  # the shipped example KB: ./kb_drafts
    assert here.returncode == 0 and here.stdout.startswith("1 draft in kb_drafts")
    (tmp_path / "elsewhere").mkdir()
    empty = helploop("kb", "drafts", cwd=tmp_path / "elsewhere")
    assert empty.returncode == 0 and empty.stdout == "0 drafts in kb_drafts\n"
