"""`helploop oncall`: who is on call now and next, as an admin runs it and as JSON."""
from __future__ import annotations

import io
import json
from datetime import UTC, datetime

from cli.oncalltool import parse_at, show
from wiring.settings import EXAMPLE_KB_DIR
from tests.test_cli import helploop

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)  # Monday 10:30 in Warsaw


def run(department: str | None = None, at: datetime | None = None, as_json: bool = False, kb=EXAMPLE_KB_DIR):
    out, err = io.StringIO(), io.StringIO()
    code = show(kb, department, at, as_json, out, err, now=NOW)
    return code, out.getvalue(), err.getvalue()


def test_json_contract_for_one_department():
    code, out, err = run("it", as_json=True)
    assert code == 0, err
    data = json.loads(out)
    assert data["at"] == NOW.isoformat()
    (it,) = data["departments"]
    assert (it["id"], it["timezone"], it["in_working_hours"]) == ("it", "Europe/Warsaw", True)
    primary, backup = it["layers"]
    assert primary == {"name": "primary", "user": "U0HLMINH", "since": "2026-11-23T09:00:00+01:00",
                       "until": "2026-11-30T09:00:00+01:00", "override": False,
                       "next": {"user": "U0HLPIOTR", "since": "2026-11-30T09:00:00+01:00",
                                "until": "2026-12-07T09:00:00+01:00", "override": False}}
    assert backup["name"] == "backup" and backup["user"] == "U0HLKASIA"


def test_at_shows_the_december_override_and_the_holiday():
    code, out, _ = run("it", at=datetime(2026, 12, 24, 10, 0, tzinfo=UTC), as_json=True)
    (it,) = json.loads(out)["departments"]
    assert code == 0 and it["in_working_hours"] is False  # Christmas Eve is a holiday
    assert it["layers"][0]["user"] == "U0HLANNA" and it["layers"][0]["override"] is True


def test_table_lists_every_department_with_local_times():
    code, out, _ = run()
    assert code == 0
    assert "IT (it) — Europe/Warsaw, at Mon 2026-11-23 10:30 CET; in working hours" in out
    assert "Facilities (facilities) — Asia/Ho_Chi_Minh" in out and "Finance (finance)" in out
    lines = out.splitlines()
    assert lines[1].split() == ["LAYER", "ON", "CALL", "SINCE", "UNTIL", "NEXT"]
    primary = next(line for line in lines if line.startswith("primary"))
    assert primary.split()[:2] == ["primary", "U0HLMINH"] and "Mon 2026-11-23 09:00 CET" in primary
    assert primary.endswith("U0HLPIOTR until Mon 2026-12-07 09:00 CET")  # who is next, and until when
    # Not a terminal: plain text, columns aligned, nothing padded at the ends of lines.
    assert all(line == line.rstrip() for line in lines)
    backup = next(line for line in lines if line.startswith("backup"))
    assert primary.index("U0HLMINH") == backup.index("U0HLKASIA") == lines[1].index("ON CALL")


def test_table_marks_an_override():
    code, out, _ = run("it", at=datetime(2026, 12, 24, 10, 0, tzinfo=UTC))
    assert code == 0 and "outside working hours" in out.splitlines()[0]
    assert "U0HLANNA (override)" in next(line for line in out.splitlines() if line.startswith("primary"))


def test_unknown_department_names_the_known_ones():
    code, out, err = run("legal")
    assert code == 2 and out == ""
    assert err.strip() == "helploop oncall: no department 'legal' (known: it, hr, facilities, finance)"


def test_parse_at_needs_an_offset():
    assert parse_at("2026-11-23T10:30+01:00") == NOW
    assert parse_at("2026-11-23T09:30Z") == NOW
    for bad, words in (("2026-11-23T10:30", "has no UTC offset"), ("monday", "not an ISO 8601 time")):
        try:
            parse_at(bad)
        except ValueError as error:
            assert words in str(error)
        else:
            raise AssertionError(bad)


def test_console_script_json_and_errors(tmp_path):
    result = helploop("oncall", "--department", "it", "--at", "2026-11-23T09:30:00Z", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["at"] == "2026-11-23T09:30:00+00:00"
    assert [layer["user"] for layer in data["departments"][0]["layers"]] == ["U0HLMINH", "U0HLKASIA"]

    naive = helploop("oncall", "--at", "2026-11-23T09:30")
    assert naive.returncode == 2 and "has no UTC offset" in naive.stderr

    unknown = helploop("oncall", "--department", "legal")
    assert unknown.returncode == 2 and "known: it, hr, facilities, finance" in unknown.stderr

    (tmp_path / "departments.yaml").write_text("default: it\ndepartments: []\n")
    broken = helploop("oncall", "--kb", str(tmp_path))
    assert broken.returncode == 1 and "departments must be a non-empty list" in broken.stderr
