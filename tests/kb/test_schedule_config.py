"""departments.yaml `oncall:`, `working_hours:` and `escalation:`: the happy path and every error form."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from conftest import WriteKb
from kb import KbError, load_kb

# IT with a two-layer schedule, working hours and an escalation policy; HR keeps the rotation shorthand.
SCHEDULED = """\
default: it
departments:
  - id: it
    name: IT
    triage_channel: C0IT
    staff: [U0ANNA, U0PIOTR, U0KASIA]
    oncall:
      timezone: Europe/Warsaw
      layers:
        - name: primary
          members: [U0ANNA, U0PIOTR]
          every: {days: 7}
          handoff: {weekday: monday, time: "09:00"}
          start: 2026-01-05
        - name: backup
          members: [U0KASIA, U0PIOTR]
          every: {weeks: 1}
          handoff: {weekday: monday, time: "09:00"}
          start: 2026-01-05
      overrides:
        - {layer: primary, user: U0ANNA, from: "2026-12-20 09:00", to: "2026-12-27 09:00", note: covers}
    working_hours:
      weekdays: [mon, tue, wed, thu, fri]
      hours: "09:00-17:30"
      holidays: [2026-12-24, 2026-12-25]
      after_hours: {notify: none}
    escalation:
      ack_timeout_minutes: 15
      steps: [backup, staff, manager]
      manager: U0BOSS
      stale_claim_hours: 4
  - id: hr
    name: HR
    triage_channel: C0HR
    staff: [U0LAN]
    rotation:
      members: [U0LAN]
      handoff: {weekday: 4, time: "17:30"}
      timezone: Asia/Ho_Chi_Minh
      start: 2026-01-02
      period_days: 10
"""
ENTRIES = {"it.yaml": "entries:\n  - id: vpn\n    department: it\n    questions: [vpn]\n    answer: use the portal\n"}
PREFIX = "kb/departments.yaml: departments[0] (it): "


def load(write_kb: WriteKb, departments: str = SCHEDULED):
    return load_kb(write_kb(ENTRIES, departments=departments))


def errors_of(write_kb: WriteKb, departments: str) -> list[str]:
    with pytest.raises(KbError) as info:
        load(write_kb, departments)
    return info.value.errors


def test_happy_path(write_kb: WriteKb) -> None:
    kb = load(write_kb)
    assert kb.warnings == []
    it = kb.departments["it"]
    assert it.rotation is None and it.schedule is it.oncall
    assert it.schedule.layer_names == ["primary", "backup"]
    assert [layer.every.period_days for layer in it.schedule.layers] == [7, 7]
    override = it.schedule.overrides[0]
    assert (override.start, override.end, override.note) == (dt.datetime(2026, 12, 20, 9), dt.datetime(2026, 12, 27, 9), "covers")
    hours = it.working_hours
    assert hours is not None and hours.weekdays == [0, 1, 2, 3, 4] and hours.hours == (540, 1050)
    assert hours.after_hours.notify == "none" and it.working_timezone == "Europe/Warsaw"
    assert (it.escalation.ack_timeout_minutes, it.escalation.steps, it.escalation.manager,
            it.escalation.stale_claim_hours) == (15, ["backup", "staff", "manager"], "U0BOSS", 4)


def test_rotation_is_shorthand_for_one_primary_layer(write_kb: WriteKb) -> None:
    hr = load(write_kb).departments["hr"]
    assert hr.oncall is None and hr.working_hours is None
    (layer,) = hr.schedule.layers
    assert (layer.name, layer.members, layer.every.period_days, layer.handoff.time) == ("primary", ["U0LAN"], 10, dt.time(17, 30))
    assert layer.handoff.weekday is None  # a 10-day rotation never turned on a weekday; it still doesn't
    assert hr.schedule.timezone == "Asia/Ho_Chi_Minh" and hr.working_timezone == "Asia/Ho_Chi_Minh"
    assert hr.escalation.steps == ["backup", "staff"] and hr.escalation.ack_timeout_minutes == 30
    assert hr.escalation.stale_claim_hours == 8


def test_working_hours_options(write_kb: WriteKb) -> None:
    deps = SCHEDULED.replace('hours: "09:00-17:30"', 'hours: "00:00-24:00"\n      timezone: Asia/Ho_Chi_Minh') \
        .replace("{notify: none}", "{notify: U0BOSS}")
    it = load(write_kb, deps).departments["it"]
    assert it.working_hours.hours == (0, 1440) and it.working_timezone == "Asia/Ho_Chi_Minh"
    assert it.working_hours.after_hours.notify == "U0BOSS"


def test_unknown_keys_are_errors_naming_the_closest_key(write_kb: WriteKb) -> None:
    deps = SCHEDULED.replace("      overrides:", "      overides: []\n      overrides:") \
        .replace("          every: {weeks: 1}", "          evrey: 2\n          every: {weeks: 1}") \
        .replace("      stale_claim_hours: 4", "      stale_claim_hours: 4\n      pager: yes")
    with pytest.raises(KbError) as info:
        load(write_kb, deps)
    assert [e for e in info.value.errors if "unknown field" in e] == [
        PREFIX + "oncall: unknown field 'overides' (did you mean 'overrides'?)",
        PREFIX + "oncall.layers[1]: unknown field 'evrey' (did you mean 'every'?)",
        PREFIX + "escalation: unknown field 'pager' (did you mean 'manager'?)",
    ]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("members: [U0KASIA, U0PIOTR]", "members: [U0KASIA, U0X]",
         "oncall.layers[1].members: U0X is not on the staff list"),
        ("- name: backup", "- name: primary", "oncall.layers[1].name: 'primary' is already used by layers[0]"),
        ("{layer: primary, user: U0ANNA,", "{layer: tertiary, user: U0ANNA,",
         "oncall.overrides[0].layer: 'tertiary' is not a layer (known: primary, backup)"),
        ("{layer: primary, user: U0ANNA,", "{layer: primary, user: U0BOSS,",
         "oncall.overrides[0].user: U0BOSS is not on the staff list"),
        ('to: "2026-12-27 09:00", note: covers}',
         'to: "2026-12-27 09:00", note: covers}\n        - {layer: primary, user: U0PIOTR, from: "2026-12-26 09:00", to: "2026-12-30 09:00"}',
         "oncall.overrides[1]: overlaps overrides[0] on layer primary"),
        ('to: "2026-12-27 09:00"', 'to: "2026-12-19 09:00"',
         "oncall.overrides[0] must end after it starts (from 2026-12-20 09:00, to 2026-12-19 09:00)"),
        ('from: "2026-12-20 09:00"', 'from: "next week"',
         "oncall.overrides[0].from must be a local time \"YYYY-MM-DD HH:MM\", got 'next week'"),
        ('from: "2026-12-20 09:00"', "from: 2026-12-20 09:00:00+01:00",
         "oncall.overrides[0].from must be a local time \"YYYY-MM-DD HH:MM\" without an offset, got '2026-12-20T09:00:00+01:00'"),
        ("every: {days: 7}", "every: {days: 7, weeks: 1}",
         "oncall.layers[0].every must give exactly one of days or weeks, e.g. {days: 7} or {weeks: 1}"),
        ("every: {days: 7}", "every: {days: 0}", "oncall.layers[0].every.days must be at least 1, got 0"),
        ("every: {days: 7}\n          handoff: {weekday: monday,", "every: {days: 14}\n          handoff: {",
         "oncall.layers[0] needs handoff.weekday when shifts last whole weeks (every: {weeks: N} or a multiple of 7 days)"),
        ('every: {weeks: 1}\n          handoff: {weekday: monday, time: "09:00"}',
         'every: {weeks: 1}\n          handoff: {weekday: monday, time: 9:30}',
         'oncall.layers[1].handoff.time must be a quoted "HH:MM" string (YAML read an unquoted time as the number 570)'),
        ("weekday: monday, time: \"09:00\"}\n          start: 2026-01-05\n        - name: backup",
         "weekday: funday, time: \"09:00\"}\n          start: 2026-01-05\n        - name: backup",
         "oncall.layers[0].handoff.weekday must be a weekday name (monday..sunday) or 0-6, got 'funday'"),
        ("start: 2026-01-05\n        - name: backup", "start: soon\n        - name: backup",
         "oncall.layers[0].start must be a date (YYYY-MM-DD), got 'soon'"),
        ("      timezone: Europe/Warsaw\n      layers:", "      timezone: Mars/Base\n      layers:",
         "oncall.timezone 'Mars/Base' is not a known time zone"),
        ("members: [U0KASIA, U0PIOTR]", "members: []", "oncall.layers[1].members must not be empty"),
        ('hours: "09:00-17:30"', 'hours: "9 to 5"',
         "working_hours.hours must be \"HH:MM-HH:MM\", e.g. \"09:00-17:30\", got '9 to 5'"),
        ('hours: "09:00-17:30"', 'hours: "22:00-06:00"',
         "working_hours.hours must end after it starts (shifts past midnight are not supported), got '22:00-06:00'"),
        ("weekdays: [mon, tue, wed, thu, fri]", "weekdays: [mon, funday]",
         "working_hours.weekdays must be a weekday name (monday..sunday) or 0-6, got 'funday'"),
        ("weekdays: [mon, tue, wed, thu, fri]", "weekdays: []", "working_hours.weekdays must not be empty"),
        ("holidays: [2026-12-24, 2026-12-25]", "holidays: [2026-12-24, christmas]",
         "working_hours.holidays[1] must be a date (YYYY-MM-DD), got 'christmas'"),
        ("{notify: none}", "{notify: everyone}",
         "working_hours.after_hours.notify must be none, oncall or a Slack user id (U...), got 'everyone'"),
        ('hours: "09:00-17:30"', 'hours: "09:00-17:30"\n      timezone: Mars/Base',
         "working_hours.timezone 'Mars/Base' is not a known time zone"),
        ("ack_timeout_minutes: 15", "ack_timeout_minutes: 0",
         "escalation.ack_timeout_minutes must be greater than 0, got 0"),
        ("steps: [backup, staff, manager]", "steps: [backup, boss]",
         "escalation.steps may only contain backup, staff and manager, got 'boss'"),
        ("steps: [backup, staff, manager]", "steps: [staff, staff]",
         "escalation.steps must not repeat a step, got ['staff', 'staff']"),
        ("      manager: U0BOSS\n", "", "escalation needs a manager (a Slack user id) when steps include manager"),
        ("stale_claim_hours: 4", "stale_claim_hours: -1", "escalation.stale_claim_hours must be greater than 0, got -1"),
    ],
)
def test_schedule_errors(write_kb: WriteKb, old: str, new: str, message: str) -> None:
    assert old in SCHEDULED
    assert errors_of(write_kb, SCHEDULED.replace(old, new, 1)) == [PREFIX + message]


def _without_backup_layer(text: str) -> str:
    start = text.index("        - name: backup")
    return text[:start] + text[text.index("      overrides:"):]


def test_backup_step_needs_a_backup_layer(write_kb: WriteKb) -> None:
    assert errors_of(write_kb, _without_backup_layer(SCHEDULED)) == [
        PREFIX + "escalation.steps: backup needs a second oncall layer (primary, then backup)"
    ]
    # Without an escalation block the default policy just skips the backup step.
    deps = _without_backup_layer(SCHEDULED).split("    escalation:")[0] + SCHEDULED[SCHEDULED.index("  - id: hr"):]
    assert load(write_kb, deps).departments["it"].escalation.steps == ["backup", "staff"]


def test_oncall_or_rotation_is_required_and_not_both(write_kb: WriteKb) -> None:
    rotation = SCHEDULED[SCHEDULED.index("    rotation:"):]
    both = SCHEDULED.replace("    oncall:\n", rotation.replace("U0LAN", "U0ANNA") + "    oncall:\n", 1)
    assert errors_of(write_kb, both) == [
        PREFIX + "give either rotation or oncall, not both (rotation is shorthand for one oncall layer)"
    ]
    start, end = SCHEDULED.index("    oncall:"), SCHEDULED.index("    working_hours:")
    assert errors_of(write_kb, SCHEDULED[:start] + SCHEDULED[end:]) == [
        PREFIX + "oncall is required (or the rotation shorthand): who takes escalations"
    ]


def test_every_department_error_is_reported(write_kb: WriteKb, monkeypatch: pytest.MonkeyPatch) -> None:
    deps = SCHEDULED.replace("Mars", "x").replace("timezone: Europe/Warsaw", "timezone: Mars/Base") \
        .replace("timezone: Asia/Ho_Chi_Minh", "timezone: Venus/Base")
    errors = errors_of(write_kb, deps)
    assert errors == [
        PREFIX + "oncall.timezone 'Mars/Base' is not a known time zone",
        "kb/departments.yaml: departments[1] (hr): rotation.timezone 'Venus/Base' is not a known time zone",
    ]
    monkeypatch.chdir(Path("kb"))
    assert errors_of(write_kb, deps)[0].startswith("departments.yaml: departments[0] (it): oncall.timezone")
