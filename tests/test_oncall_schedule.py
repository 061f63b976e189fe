"""On-call schedules: properties of random rotations around DST transitions, plus overrides and working hours."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.oncall import (Shift, backup_on_call, in_working_hours, local_instant, next_shifts, next_working_start,
                        on_call, shifts_at)
from kb import Department

ZONES = ("Europe/Warsaw", "America/New_York", "Asia/Ho_Chi_Minh")
# Dates on which the tested zones change their clocks (Ho Chi Minh never does: a control).
TRANSITIONS = [date(2026, 3, 29), date(2026, 10, 25), date(2026, 3, 8), date(2026, 11, 1)]
# Handoff times inside or next to the DST transitions of both zones, plus ordinary ones.
TRICKY_TIMES = [time(1, 0), time(1, 30), time(2, 0), time(2, 30), time(2, 59), time(3, 0), time(0, 0), time(23, 59)]
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
STAFF = [f"U0M{i}" for i in range(8)]


def department(oncall: dict[str, Any], **extra: Any) -> Department:
    """A department around an oncall block (validated exactly as the loader does)."""
    return Department.model_validate({"id": "it", "name": "IT", "triage_channel": "C1", "staff": STAFF,
                                      "oncall": oncall, **extra})


@st.composite
def layers(draw: st.DrawFn, name: str) -> dict[str, Any]:
    period = draw(st.integers(1, 14))
    weekly = period % 7 == 0
    minutes = st.times().map(lambda t: t.replace(second=0, microsecond=0))
    handoff: dict[str, Any] = {"time": draw(st.sampled_from(TRICKY_TIMES) | minutes).strftime("%H:%M")}
    if weekly or draw(st.booleans()):
        handoff["weekday"] = draw(st.sampled_from(WEEKDAYS))
    every = {"weeks": period // 7} if weekly and draw(st.booleans()) else {"days": period}
    members = draw(st.lists(st.sampled_from(STAFF), min_size=1, max_size=5, unique=True))
    start = date(2025, 11, 1) + timedelta(days=draw(st.integers(0, 400)))
    return {"name": name, "members": members, "every": every, "handoff": handoff, "start": start.isoformat()}


@st.composite
def schedules(draw: st.DrawFn) -> Department:
    count = draw(st.integers(1, 3))
    return department({"timezone": draw(st.sampled_from(ZONES)),
                       "layers": [draw(layers(name)) for name in ("primary", "backup", "third")[:count]]})


# Instants within three weeks of a transition, to the second, in UTC.
instants = st.builds(lambda day, seconds: datetime.combine(day, time(), UTC) + timedelta(seconds=seconds),
                     st.sampled_from(TRANSITIONS), st.integers(-21 * 86400, 21 * 86400))

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _expected_handoff(shift: Shift, layer: Any, zone: ZoneInfo) -> None:
    """The handoff happens at the configured local time, or at the clock jump when that time is skipped."""
    local = shift.since.astimezone(zone)
    naive = datetime.combine(local.date(), layer.handoff.time)
    exists = naive.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive
    if exists:
        assert local.replace(tzinfo=None) == naive, (shift, layer.handoff.time)
        assert local.fold == 0  # a repeated local time hands off at its first occurrence
        day = local.date()
    else:
        # Skipped: the clocks jump at exactly this instant, from before the configured time to after it.
        before = (shift.since - timedelta(seconds=1)).astimezone(zone)
        assert before.utcoffset() != local.utcoffset()
        assert before.time() < layer.handoff.time < local.time()
        day = local.date()
    assert (day - layer.first_handoff).days % layer.every.period_days == 0
    if layer.handoff.weekday is not None and layer.every.period_days % 7 == 0:
        assert day.weekday() == layer.handoff.weekday


@PROPERTY
@given(schedules(), instants)
def test_exactly_one_person_per_layer_at_every_instant(dep: Department, at: datetime) -> None:
    shifts = shifts_at(dep, at)
    assert [s.layer for s in shifts] == dep.schedule.layer_names
    for shift, layer in zip(shifts, dep.schedule.layers, strict=True):
        assert shift.user_id in layer.members and not shift.override
        assert shift.since <= at < shift.until
    assert on_call(dep, at) == shifts[0].user_id
    assert backup_on_call(dep, at) == (shifts[1].user_id if len(shifts) > 1 else None)
    # The same instant written in another zone is the same instant.
    assert shifts_at(dep, at.astimezone(ZoneInfo(dep.schedule.timezone))) == shifts


@PROPERTY
@given(schedules(), instants)
def test_shifts_are_contiguous_at_local_handoff_times_and_members_take_turns(dep: Department, at: datetime) -> None:
    zone = ZoneInfo(dep.schedule.timezone)
    current = shifts_at(dep, at)
    for _ in range(4):  # walk forward across the transition, layer by layer
        following = [shifts_at(dep, s.until)[i] for i, s in enumerate(current)]
        for i, (before, after, layer) in enumerate(zip(current, following, dep.schedule.layers, strict=True)):
            assert after.since == before.until  # no gap, no overlap
            assert shifts_at(dep, before.until - timedelta(microseconds=1))[i] == before
            _expected_handoff(after, layer, zone)
            members = layer.members
            assert members.index(after.user_id) == (members.index(before.user_id) + 1) % len(members)
            hours = (after.since - before.since).total_seconds() / 3600
            assert abs(hours - 24 * layer.every.period_days) <= 1  # DST moves a handoff by the clock change at most
        current = following


@PROPERTY
@given(schedules(), instants)
def test_next_shifts_start_where_the_current_ones_end(dep: Department, at: datetime) -> None:
    for now, nxt in zip(shifts_at(dep, at), next_shifts(dep, at), strict=True):
        assert nxt.since == now.until and nxt.layer == now.layer


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(ZONES), st.sampled_from(TRANSITIONS), st.sampled_from(TRICKY_TIMES) | st.times())
def test_local_instant_is_the_configured_time_or_the_jump(zone_name: str, day: date, at: time) -> None:
    zone = ZoneInfo(zone_name)
    instant = local_instant(day, at, zone)
    local = instant.astimezone(zone)
    assert local.date() == day
    if local.time() != at.replace(microsecond=local.microsecond):
        assert local.time() > at and (instant - timedelta(seconds=1)).astimezone(zone).time() < at


# --- examples -------------------------------------------------------------------------------------

WARSAW = ZoneInfo("Europe/Warsaw")
WEEKLY = {"members": ["U0M0", "U0M1", "U0M2"], "every": {"weeks": 1},
          "handoff": {"weekday": "monday", "time": "09:00"}, "start": "2026-01-05"}


def warsaw(*args: int) -> datetime:
    return datetime(*args, tzinfo=WARSAW).astimezone(UTC)


def test_weekly_rotation_hands_off_at_nine_warsaw_across_dst() -> None:
    dep = department({"timezone": "Europe/Warsaw", "layers": [{"name": "primary", **WEEKLY}]})
    assert on_call(dep, warsaw(2026, 1, 5, 8, 59)) == "U0M2"  # the pattern repeats backwards before start
    assert on_call(dep, warsaw(2026, 1, 5, 9, 0)) == "U0M0"
    (shift,) = shifts_at(dep, warsaw(2026, 3, 29, 12, 0))  # the week with the spring-forward Sunday
    assert (shift.since, shift.until) == (datetime(2026, 3, 23, 8, 0, tzinfo=UTC), datetime(2026, 3, 30, 7, 0, tzinfo=UTC))
    assert shift.until - shift.since == timedelta(days=7, hours=-1)


def test_a_handoff_inside_the_spring_forward_gap_happens_at_the_jump() -> None:
    dep = department({"timezone": "Europe/Warsaw", "layers": [{
        "name": "primary", "members": ["U0M0", "U0M1"], "every": {"days": 1}, "handoff": {"time": "02:30"},
        "start": "2026-03-01"}]})
    (before,) = shifts_at(dep, datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC))
    (after,) = shifts_at(dep, datetime(2026, 3, 29, 1, 0, tzinfo=UTC))
    assert before.until == after.since == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 03:00 CEST, when 02:00 became 03:00
    assert after.until.astimezone(WARSAW).replace(tzinfo=None) == datetime(2026, 3, 30, 2, 30)
    (repeated,) = shifts_at(dep, warsaw(2026, 10, 25, 12, 0))
    assert repeated.since == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 happens twice: the first one (CEST)


def test_rotation_shorthand_keeps_its_meaning() -> None:
    rotation = {"members": ["U0M0", "U0M1"], "handoff": {"weekday": "friday", "time": "17:30"},
                "timezone": "Asia/Ho_Chi_Minh", "start": "2026-01-01", "period_days": 14}
    dep = Department.model_validate({"id": "hr", "name": "HR", "triage_channel": "C1", "staff": STAFF, "rotation": rotation})
    hcm = ZoneInfo("Asia/Ho_Chi_Minh")
    first = datetime(2026, 1, 2, 17, 30, tzinfo=hcm)  # the first Friday on or after start
    assert on_call(dep, first) == "U0M0" and on_call(dep, first + timedelta(days=14)) == "U0M1"
    assert on_call(dep, first + timedelta(days=28)) == "U0M0" and backup_on_call(dep, first) is None


def test_naive_instants_are_refused() -> None:
    dep = department({"timezone": "Europe/Warsaw", "layers": [{"name": "primary", **WEEKLY}]})
    with pytest.raises(ValueError, match="timezone-aware"):
        on_call(dep, datetime(2026, 1, 5, 9))


OVERRIDDEN = department({
    "timezone": "Europe/Warsaw",
    "layers": [{"name": "primary", **WEEKLY}, {"name": "backup", **WEEKLY, "members": ["U0M3", "U0M4"]}],
    "overrides": [{"layer": "primary", "user": "U0M5", "from": "2026-12-23 12:00", "to": "2026-12-29 18:00"},
                  {"layer": "backup", "user": "U0M6", "from": "2027-01-01", "to": "2027-01-02"},
                  {"layer": "primary", "user": "U0M6", "from": "2026-03-29 02:30", "to": "2026-03-30 09:00"}]})


def test_the_covering_user_is_on_call_exactly_inside_from_to() -> None:
    start, end = warsaw(2026, 12, 23, 12, 0), warsaw(2026, 12, 29, 18, 0)
    tick = timedelta(microseconds=1)
    assert on_call(OVERRIDDEN, start - tick) == "U0M2" and on_call(OVERRIDDEN, start) == "U0M5"
    assert on_call(OVERRIDDEN, end - tick) == "U0M5" and on_call(OVERRIDDEN, end) == "U0M0"
    assert backup_on_call(OVERRIDDEN, start) == "U0M3"  # an override covers its own layer only
    assert backup_on_call(OVERRIDDEN, warsaw(2027, 1, 1, 12, 0)) == "U0M6"


def test_override_edges_split_the_rotation_shifts() -> None:
    start, end = warsaw(2026, 12, 23, 12, 0), warsaw(2026, 12, 29, 18, 0)
    before = shifts_at(OVERRIDDEN, warsaw(2026, 12, 22, 10, 0))[0]
    during = shifts_at(OVERRIDDEN, warsaw(2026, 12, 28, 10, 0))[0]  # spans the Monday handoff: one shift
    after = shifts_at(OVERRIDDEN, end)[0]
    assert before == Shift("primary", "U0M2", warsaw(2026, 12, 21, 9, 0), start)
    assert during == Shift("primary", "U0M5", start, end, override=True)
    assert after == Shift("primary", "U0M0", end, warsaw(2027, 1, 4, 9, 0))
    assert next_shifts(OVERRIDDEN, warsaw(2026, 12, 22, 10, 0))[0] == during
    assert next_shifts(OVERRIDDEN, warsaw(2026, 12, 28, 10, 0))[0] == after


def test_override_edges_in_a_dst_gap_use_the_jump_too() -> None:
    jump = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert shifts_at(OVERRIDDEN, jump - timedelta(seconds=1))[0].until == jump
    assert shifts_at(OVERRIDDEN, jump)[0] == Shift("primary", "U0M6", jump, warsaw(2026, 3, 30, 9, 0), override=True)


HOURS = {"weekdays": ["mon", "tue", "wed", "thu", "fri"], "hours": "09:00-17:30",
         "holidays": ["2026-12-24", "2026-12-25", "2026-12-26", "2027-01-01"], "after_hours": {"notify": "none"}}
WORKING = department({"timezone": "Europe/Warsaw", "layers": [{"name": "primary", **WEEKLY}]}, working_hours=HOURS)


@pytest.mark.parametrize(("at", "working"), [
    (warsaw(2026, 11, 23, 9, 0), True),            # Monday, opening minute
    (warsaw(2026, 11, 23, 8, 59, 59), False),
    (warsaw(2026, 11, 23, 17, 29, 59), True),
    (warsaw(2026, 11, 23, 17, 30), False),         # the end is excluded
    (warsaw(2026, 11, 28, 12, 0), False),          # Saturday
    (warsaw(2026, 12, 24, 12, 0), False),          # holiday (Thursday)
    (warsaw(2026, 7, 1, 9, 0), True),              # summer time: 07:00 UTC is 09:00 local
    (datetime(2026, 7, 1, 6, 59, tzinfo=UTC), False),
])
def test_working_hours(at: datetime, working: bool) -> None:
    assert in_working_hours(WORKING, at) is working


def test_working_hours_in_their_own_zone() -> None:
    dep = department({"timezone": "Europe/Warsaw", "layers": [{"name": "primary", **WEEKLY}]},
                     working_hours={**HOURS, "timezone": "Asia/Ho_Chi_Minh"})
    assert in_working_hours(dep, datetime(2026, 11, 23, 2, 0, tzinfo=UTC))        # 09:00 in Ho Chi Minh
    assert not in_working_hours(dep, datetime(2026, 11, 23, 12, 0, tzinfo=UTC))   # 19:00 there, 13:00 in Warsaw


def test_next_working_start() -> None:
    assert next_working_start(WORKING, warsaw(2026, 11, 27, 18, 0)) == warsaw(2026, 11, 30, 9, 0)  # Friday night
    assert next_working_start(WORKING, warsaw(2026, 12, 23, 17, 45)) == warsaw(2026, 12, 28, 9, 0)  # over Christmas
    assert next_working_start(WORKING, warsaw(2026, 11, 23, 7, 0)) == warsaw(2026, 11, 23, 9, 0)
    now = warsaw(2026, 11, 23, 10, 0)
    assert next_working_start(WORKING, now) == now
    assert next_working_start(department({"timezone": "Europe/Warsaw", "layers": [{"name": "primary", **WEEKLY}]}), now) is None


@settings(max_examples=200, deadline=None)
@given(instants)
def test_next_working_start_is_working_and_nothing_earlier_is(at: datetime) -> None:
    start = next_working_start(WORKING, at)
    assert start is not None and start >= at and in_working_hours(WORKING, start)
    assert (start == at) == in_working_hours(WORKING, at)
    if start > at:  # spot-check the span in between
        step = (start - at) / 17
        assert not any(in_working_hours(WORKING, at + step * i) for i in range(17))
