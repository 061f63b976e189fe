"""Working time: the departments' working hours as a calendar the report's SQL can use (storage.measure_queries,
module docstring), and the same rule in Python."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.oncall import local_instant
from kb import Department
from storage.fact_sql import DAY, CalendarDay



def calendar(departments: Iterable[Department], start: datetime, end: datetime) -> list[CalendarDay]:
    """Per department with working hours and UTC day from `start` to `end` (a day either side): working seconds
    before the day and the day's working intervals, for the SQL working-time arithmetic."""
    days: list[CalendarDay] = []
    first, last = int(start.timestamp()) // DAY - 1, int(end.timestamp()) // DAY + 1
    for department in departments:
        if department.working_hours is None:
            continue
        intervals = _merged(working_intervals(department, first * DAY - DAY, (last + 1) * DAY + DAY))
        days.extend(_days(department.id, intervals, first, last))
    return days


def working_intervals(department: Department, start: int, end: int) -> list[tuple[int, int]]:
    """The department's working intervals [open, close) in epoch seconds, over the local days around [start, end)."""
    hours = department.working_hours
    zone = ZoneInfo(department.working_timezone)
    day = datetime.fromtimestamp(start, UTC).astimezone(zone).date() - timedelta(days=1)
    stop = datetime.fromtimestamp(end, UTC).astimezone(zone).date() + timedelta(days=1)
    out = []
    while day <= stop:
        if day.weekday() in hours.weekdays and day not in hours.holidays:
            out.append((_instant(day, hours.hours[0], zone), _instant(day, hours.hours[1], zone)))
        day += timedelta(days=1)
    return out


def _instant(day: date, minutes: int, zone: ZoneInfo) -> int:
    extra, minutes = divmod(minutes, 24 * 60)  # 24:00 is the next day's midnight
    at = datetime.min.replace(hour=minutes // 60, minute=minutes % 60).time()
    return int(local_instant(day + timedelta(days=extra), at, zone).timestamp())


def _merged(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for o, c in sorted(intervals):
        if out and o <= out[-1][1]:
            out[-1] = (out[-1][0], max(c, out[-1][1]))
        elif c > o:
            out.append((o, c))
    return out


def _days(department: str, intervals: list[tuple[int, int]], first: int, last: int) -> list[CalendarDay]:
    rows, i = [], 0
    cum = sum(min(c, first * DAY) - o for o, c in intervals if o < first * DAY)
    for day in range(first, last + 1):
        lo, hi = day * DAY, (day + 1) * DAY
        parts = [(max(o, lo), min(c, hi)) for o, c in intervals[i:i + 4] if o < hi and c > lo]
        if len(parts) > 2:  # only a 24-hour schedule around a short DST day: count the gap as working
            parts = [parts[0], (parts[1][0], parts[-1][1])]
        parts += [(0, 0)] * (2 - len(parts))
        rows.append(CalendarDay(department, day, cum, parts[0][0], parts[0][1], parts[1][0], parts[1][1]))
        cum += sum(c - o for o, c in parts)
        while i < len(intervals) and intervals[i][1] <= hi:
            i += 1
    return rows


def working_seconds(department: Department, start: datetime, end: datetime) -> int:
    """Working seconds between two instants (wall seconds without working hours): the same rule as the SQL."""
    if department.working_hours is None:
        return int(end.timestamp()) - int(start.timestamp())
    a, b = int(start.timestamp()), int(end.timestamp())
    return sum(max(0, min(b, c) - max(a, o)) for o, c in working_intervals(department, a, b))
