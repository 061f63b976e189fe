"""Loader: happy path and every readable error form."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from conftest import DEPARTMENTS, HR, IT, WriteKb
from kb import Department, Entry, KbError, Rotation, load_kb


def errors_of(kb_dir: Path) -> list[str]:
    with pytest.raises(KbError) as info:
        load_kb(kb_dir)
    return info.value.errors


def test_happy_path(write_kb: WriteKb) -> None:
    kb = load_kb(write_kb())
    # Files are read sorted (hr before it); entries keep file order within a file.
    assert list(kb.entries) == ["vacation-request", "payslip", "vpn-password-reset", "printer-jam", "wifi-guest"]
    assert list(kb.departments) == ["it", "hr"]
    assert kb.default_department == "it"
    assert kb.warnings == []
    assert kb.files == ["kb/hr.yaml", "kb/it.yaml"]
    vpn = kb.entries["vpn-password-reset"]
    assert isinstance(vpn, Entry)
    assert vpn.source == "kb/it.yaml"
    assert vpn.keywords == ["vpn"]
    assert vpn.questions[2] == "mật khẩu VPN hết hạn"
    hr = kb.departments["hr"]
    assert isinstance(hr, Department) and isinstance(hr.rotation, Rotation)
    assert hr.followup_delay_hours == 12 and hr.followup_expiry_hours == 72
    assert hr.rotation.handoff_weekday == 4
    assert hr.rotation.handoff_time == dt.time(17, 30)
    assert hr.rotation.period_days == 14
    it = kb.departments["it"].rotation
    assert (it.handoff_weekday, it.timezone, it.start, it.period_days) == (0, "Europe/Warsaw", dt.date(2026, 1, 5), 7)


def test_weekday_names_case_insensitive(write_kb: WriteKb) -> None:
    kb = load_kb(write_kb(departments=DEPARTMENTS.replace("weekday: monday", "weekday: SunDay")))
    assert kb.departments["it"].rotation.handoff_weekday == 6


def test_empty_questions(write_kb: WriteKb) -> None:
    bad = IT.replace("""    questions:
      - The printer on floor 3 is jammed
      - paper stuck in the printer
""", "    questions: []\n")
    assert errors_of(write_kb({"it.yaml": bad})) == [
        "kb/it.yaml: entries[1] (printer-jam): questions must be a non-empty list"
    ]


def test_all_errors_reported_at_once(write_kb: WriteKb) -> None:
    broken = """\
    entries:
      - id: Bad_Id
        department: it
        questions: [hello]
        answer: hi
      - id: no-answer
        department: it
        questions: [hello, "  "]
      - id: wrong-dep
        department: legal
        questions: [hello]
        answer: hi
      - just a string
    """
    assert errors_of(write_kb({"a.yaml": broken})) == [
        "kb/a.yaml: entries[0] (Bad_Id): id 'Bad_Id' must be lowercase letters, digits and dashes, not starting with a dash",
        "kb/a.yaml: entries[1] (no-answer): questions[1] must not be empty",
        "kb/a.yaml: entries[1] (no-answer): answer is required",
        "kb/a.yaml: entries[2] (wrong-dep): department 'legal' is not defined in departments.yaml (known: it, hr)",
        "kb/a.yaml: entries[3]: must be a mapping, got str",
    ]


def test_duplicate_id_names_both_files(write_kb: WriteKb) -> None:
    dup = """\
    entries:
      - id: payslip
        department: it
        questions: [where is my payslip]
        answer: here
    """
    errors = errors_of(write_kb({"hr.yaml": HR, "it.yaml": IT, "zz.yaml": dup}))
    assert errors == ["kb/zz.yaml: entries[0] (payslip): id 'payslip' is already used by kb/hr.yaml entries[1]"]


def test_yaml_syntax_error_has_line(write_kb: WriteKb) -> None:
    bad = "entries:\n  - id: x\n    department: it\n   questions: [a]\n"
    errors = errors_of(write_kb({"x.yaml": bad, "it.yaml": IT}))
    assert len(errors) == 1
    assert errors[0].startswith("kb/x.yaml: line 4: could not parse YAML: ")


def test_duplicate_yaml_key(write_kb: WriteKb) -> None:
    bad = "entries:\n  - id: x\n    department: it\n    questions: [a]\n    answer: one\n    answer: two\n"
    assert errors_of(write_kb({"x.yaml": bad})) == ["kb/x.yaml: line 6: could not parse YAML: duplicate key 'answer'"]


def test_file_without_entries(write_kb: WriteKb) -> None:
    assert errors_of(write_kb({"x.yaml": "questions: [a]\n"})) == ["kb/x.yaml: missing top-level 'entries:' list"]


def test_unknown_time_zone(write_kb: WriteKb) -> None:
    deps = DEPARTMENTS.replace("Asia/Ho_Chi_Minh", "Mars/Base")
    assert errors_of(write_kb(departments=deps)) == [
        "kb/departments.yaml: departments[1] (hr): rotation.timezone 'Mars/Base' is not a known time zone"
    ]


def test_path_relative_to_cwd(write_kb: WriteKb, monkeypatch: pytest.MonkeyPatch) -> None:
    kb_dir = write_kb(departments=DEPARTMENTS.replace("Asia/Ho_Chi_Minh", "Mars/Base"))
    monkeypatch.chdir(kb_dir)
    assert errors_of(Path(".")) == [
        "departments.yaml: departments[1] (hr): rotation.timezone 'Mars/Base' is not a known time zone"
    ]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("members: [U0ANNA, U0PIOTR]", "members: [U0ANNA, U0BOB]",
         "kb/departments.yaml: departments[0] (it): rotation.members[1] 'U0BOB' is not listed in staff"),
        ("weekday: monday", "weekday: funday",
         "kb/departments.yaml: departments[0] (it): rotation.handoff.weekday must be a weekday name (monday..sunday) or 0-6, got 'funday'"),
        ("weekday: 4", "weekday: 7",
         "kb/departments.yaml: departments[1] (hr): rotation.handoff.weekday must be a weekday name (monday..sunday) or 0-6, got 7"),
        ('time: "09:00"', "time: 9:30",
         'kb/departments.yaml: departments[0] (it): rotation.handoff.time must be a quoted "HH:MM" string (YAML read an unquoted time as the number 570)'),
        ('time: "17:30"', 'time: "25:00"',
         "kb/departments.yaml: departments[1] (hr): rotation.handoff.time must be \"HH:MM\" (00:00-23:59), got '25:00'"),
        ("default: it", "default: legal",
         "kb/departments.yaml: default 'legal' is not a department (known: it, hr)"),
        ("    triage_channel: C0HR\n", "",
         "kb/departments.yaml: departments[1] (hr): triage_channel is required"),
        ("followup_delay_hours: 12", "followup_delay_hours: -1",
         "kb/departments.yaml: departments[1] (hr): followup_delay_hours must be greater than 0, got -1"),
        ("period_days: 14", "period_days: soon",
         "kb/departments.yaml: departments[1] (hr): rotation.period_days must be a whole number, got 'soon'"),
        ("start: 2026-01-02", "start: next week",
         "kb/departments.yaml: departments[1] (hr): rotation.start must be a date (YYYY-MM-DD), got 'next week'"),
        ("default: it\n", "default: it\nmatching: {min_score: 140}\n",
         "kb/departments.yaml: matching: min_score must be at most 100, got 140"),
    ],
)
def test_department_errors(write_kb: WriteKb, old: str, new: str, message: str) -> None:
    assert old in DEPARTMENTS
    assert errors_of(write_kb(departments=DEPARTMENTS.replace(old, new, 1))) == [message]


def test_duplicate_department(write_kb: WriteKb) -> None:
    deps = DEPARTMENTS.replace("  - id: hr\n    name: HR", "  - id: it\n    name: HR")
    errors = errors_of(write_kb({"x.yaml": "entries: []\n"}, departments=deps))
    assert errors == ["kb/departments.yaml: departments[1] (it): id 'it' is already used by departments[0]"]


def test_missing_dir_and_departments(tmp_path: Path, write_kb: WriteKb) -> None:
    assert errors_of(tmp_path / "nope") == ["nope: knowledge base directory not found"]
    assert errors_of(write_kb(departments=None)) == [
        "kb/departments.yaml: file not found (every KB needs a departments.yaml)"
    ]


def test_kberror_str_joins_lines() -> None:
    assert str(KbError(["a: one", "b: two"])) == "a: one\nb: two"


def test_yml_files_are_a_warning_and_unknown_fields_an_error(write_kb: WriteKb, tmp_path: Path) -> None:
    kb_dir = write_kb()
    (kb_dir / "old.yml").write_text("entries: []\n")
    assert load_kb(kb_dir).warnings == ["kb/old.yml: ignored (KB files must end in .yaml)"]
    kb_dir = write_kb({"it.yaml": IT.replace("    keywords: [vpn]\n", "    keywords: [vpn]\n    tags: [x]\n")})
    with pytest.raises(KbError) as info:
        load_kb(kb_dir)
    assert info.value.errors == ["kb/it.yaml: entries[0] (vpn-password-reset): unknown field 'tags' "
                                 "(known: answer, department, id, keywords, questions, related)"]


def test_a_misspelt_department_key_names_the_right_one(write_kb: WriteKb) -> None:
    deps = DEPARTMENTS.replace("    followup_delay_hours:", "    followup_delay_hour:", 1)
    if deps == DEPARTMENTS:
        deps = DEPARTMENTS.replace("    staff:", "    followup_delay_hour: 4\n    staff:", 1)
    with pytest.raises(KbError) as info:
        load_kb(write_kb(departments=deps))
    assert any("unknown field 'followup_delay_hour' (did you mean 'followup_delay_hours'?)" in e
               for e in info.value.errors)


def test_matching_override(write_kb: WriteKb) -> None:
    deps = DEPARTMENTS.replace("default: it\n", "default: it\nmatching: {min_score: 70, min_margin: 12}\n")
    kb = load_kb(write_kb(departments=deps))
    assert (kb.settings.min_score, kb.settings.min_margin, kb.settings.source) == (70, 12, "departments.yaml")
