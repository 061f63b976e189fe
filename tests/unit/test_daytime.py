"""The requester's daytime: the next instant a message nobody is waiting for may be sent (pure, DST-safe)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.daytime import ANY_TIME, Daytime, next_daytime, parse_hours, zone_of

WARSAW, HANOI, NEW_YORK = "Europe/Warsaw", "Asia/Ho_Chi_Minh", "America/New_York"


def local(zone: str, *args: int) -> datetime:
    """A wall-clock time in `zone` as an aware datetime."""
    return datetime(*args, tzinfo=ZoneInfo(zone))


@pytest.mark.parametrize(("moment", "expected"), [
    (local(WARSAW, 2026, 11, 24, 10, 30), local(WARSAW, 2026, 11, 24, 10, 30)),  # Tuesday morning: as it is
    (local(WARSAW, 2026, 11, 24, 9, 0), local(WARSAW, 2026, 11, 24, 9, 0)),     # the start is daytime
    (local(WARSAW, 2026, 11, 24, 6, 15), local(WARSAW, 2026, 11, 24, 9, 0)),    # early: this morning
    (local(WARSAW, 2026, 11, 24, 17, 59), local(WARSAW, 2026, 11, 24, 17, 59)),
    (local(WARSAW, 2026, 11, 24, 18, 0), local(WARSAW, 2026, 11, 25, 9, 0)),    # the end is not: tomorrow
    (local(WARSAW, 2026, 11, 24, 23, 40), local(WARSAW, 2026, 11, 25, 9, 0)),   # night: next morning
    (local(WARSAW, 2026, 11, 27, 19, 0), local(WARSAW, 2026, 11, 30, 9, 0)),    # Friday evening: Monday
    (local(WARSAW, 2026, 11, 28, 12, 0), local(WARSAW, 2026, 11, 30, 9, 0)),    # Saturday noon: Monday
    (local(WARSAW, 2026, 11, 29, 23, 59), local(WARSAW, 2026, 11, 30, 9, 0)),   # Sunday night: Monday
])
def test_a_moment_outside_daytime_moves_to_the_next_weekday_morning(moment, expected):
    assert next_daytime(moment, WARSAW) == expected


def test_the_same_instant_is_night_in_one_zone_and_daytime_in_another():
    moment = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 02:00 in Warsaw, 08:00 in Hanoi, 20:00 (Mon) in New York
    assert next_daytime(moment, WARSAW) == local(WARSAW, 2026, 11, 24, 9, 0)
    assert next_daytime(moment, HANOI) == local(HANOI, 2026, 11, 24, 9, 0)
    assert next_daytime(moment, NEW_YORK) == local(NEW_YORK, 2026, 11, 24, 9, 0)
    assert next_daytime(moment + timedelta(hours=2), HANOI) == moment + timedelta(hours=2)  # 10:00 there


def test_a_weekend_across_a_dst_change_still_ends_at_nine_local():
    # Europe/Warsaw springs forward on Sunday 2026-03-29 and falls back on Sunday 2026-10-25.
    spring = next_daytime(local(WARSAW, 2026, 3, 27, 20, 0), WARSAW)
    autumn = next_daytime(local(WARSAW, 2026, 10, 23, 20, 0), WARSAW)
    assert spring == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)    # 09:00 CEST
    assert autumn == datetime(2026, 10, 26, 8, 0, tzinfo=UTC)   # 09:00 CET
    assert (spring.astimezone(ZoneInfo(WARSAW)).hour, autumn.astimezone(ZoneInfo(WARSAW)).hour) == (9, 9)


def test_a_start_the_clocks_skip_is_the_moment_they_jump():
    # New York skips 02:00-03:00 on Sunday 2026-03-08; a 02:00 start that day is the jump, 03:00 EDT.
    every_day = frozenset(range(7))
    moment = local(NEW_YORK, 2026, 3, 8, 0, 30)
    assert next_daytime(moment, NEW_YORK, start=2, end=6, weekdays=every_day) == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)


def test_a_daytime_ending_at_midnight_covers_the_late_evening():
    assert next_daytime(local(WARSAW, 2026, 11, 24, 23, 30), WARSAW, start=8, end=24) == local(
        WARSAW, 2026, 11, 24, 23, 30)
    assert next_daytime(local(WARSAW, 2026, 11, 25, 0, 0), WARSAW, start=8, end=24) == local(
        WARSAW, 2026, 11, 25, 8, 0)


def test_an_unknown_or_missing_zone_counts_as_utc():
    moment = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
    nine_utc = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    assert next_daytime(moment, "Mars/Olympus_Mons") == next_daytime(moment, None) == nine_utc
    assert (zone_of("Mars/Olympus_Mons"), zone_of(""), zone_of(None)) == (None, None, None)
    assert zone_of(WARSAW) == ZoneInfo(WARSAW)


@pytest.mark.parametrize(("start", "end", "weekdays"), [(9, 9, range(5)), (18, 9, range(5)), (-1, 9, range(5)),
                                                        (9, 25, range(5)), (9, 18, ())])
def test_an_impossible_daytime_is_refused(start, end, weekdays):
    with pytest.raises(ValueError):
        next_daytime(datetime(2026, 11, 24, tzinfo=UTC), WARSAW, start, end, frozenset(weekdays))
    with pytest.raises(ValueError):
        Daytime(start, end, frozenset(weekdays))


def test_a_naive_moment_is_refused():
    with pytest.raises(ValueError):
        next_daytime(datetime(2026, 11, 24, 3, 0), WARSAW)


def test_the_setting_reads_hours_or_off():
    assert parse_hours(None) == parse_hours("") == Daytime(9, 18)
    assert parse_hours(" 8-20 ") == Daytime(8, 20)
    assert parse_hours("off") == ANY_TIME
    night = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
    assert ANY_TIME.next(night, WARSAW) == night
    for bad in ("9", "nine-five", "20-8", "9-30"):
        with pytest.raises(ValueError):
            parse_hours(bad)


ZONES = st.sampled_from([WARSAW, HANOI, NEW_YORK, "UTC", "Australia/Lord_Howe", "Asia/Kolkata",
                         "America/St_Johns", "Pacific/Chatham", "Europe/London"])
MOMENTS = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC))
HOURS = st.tuples(st.integers(0, 23), st.integers(1, 24)).filter(lambda h: h[0] < h[1])


@settings(max_examples=300, deadline=None)
@given(moment=MOMENTS, zone=ZONES, hours=HOURS, weekdays=st.frozensets(st.integers(0, 6), min_size=1))
def test_the_result_is_the_first_daytime_instant_not_before_the_moment(moment, zone, hours, weekdays):
    start, end = hours
    due = next_daytime(moment, zone, start, end, weekdays)
    assert due >= moment  # never earlier: "at least N hours after resolve" holds
    assert _in_daytime(due, zone, start, end, weekdays)
    if due > moment:  # moved: nothing between was daytime, and it lands on a start (or the jump past it)
        assert not _in_daytime(moment, zone, start, end, weekdays)
        assert not _in_daytime(due - timedelta(minutes=1), zone, start, end, weekdays)
        assert due - moment <= timedelta(days=8)


def _in_daytime(instant: datetime, zone: str, start: int, end: int, weekdays: frozenset[int]) -> bool:
    wall = instant.astimezone(ZoneInfo(zone))
    return wall.weekday() in weekdays and start * 60 <= wall.hour * 60 + wall.minute < end * 60


def test_requester_hours_is_a_setting():
    from wiring.settings import Settings, SettingsError

    assert Settings.from_env({}).requester_hours == Daytime(9, 18)
    assert Settings.from_env({"REQUESTER_HOURS": "8-20"}).requester_hours == Daytime(8, 20)
    assert Settings.from_env({"REQUESTER_HOURS": "OFF"}).requester_hours == ANY_TIME
    with pytest.raises(SettingsError, match="REQUESTER_HOURS"):
        Settings.from_env({"REQUESTER_HOURS": "18-9"})
