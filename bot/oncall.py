"""Who is on call, and whether it is working time: pure functions of a department and an instant.

Handoffs happen at the configured LOCAL wall-clock time, so DST never moves them by an hour.
A local time that does not exist (skipped by a spring-forward, e.g. 02:30 on 2026-03-29 in
Europe/Warsaw) resolves to the first instant after it, the moment the clocks jump (03:00 CEST).
A local time that happens twice (fall-back) resolves to its first occurrence. Every boundary
(handoffs, override edges, working hours) uses this one rule, so shifts never gap or overlap.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, UTC
from zoneinfo import ZoneInfo

from kb import Department, Layer, OnCall, Override

_MAX_WORKDAY_SEARCH = 7  # days past the holidays; a non-empty weekday list always matches within a week


@dataclass(frozen=True)
class Shift:
    """One person's turn on one layer, [since, until)."""

    layer: str
    user_id: str | None
    since: datetime
    until: datetime
    override: bool = False


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant a local wall-clock time happens (skipped: the jump; repeated: the first time)."""
    naive = datetime.combine(day, at)
    before = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)  # offset before a transition
    if before.astimezone(zone).replace(tzinfo=None) == naive:
        return before  # exists; fold=0 is the first occurrence of a repeated time
    # Skipped by a spring-forward: the jump lies in (after, before]; find its second.
    after = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    lo, hi = int(after.timestamp()), int(before.timestamp())
    old = datetime.fromtimestamp(lo, zone).utcoffset()
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, zone).utcoffset() == old:
            lo = mid
        else:
            hi = mid
    return datetime.fromtimestamp(hi, UTC)


def _handoff(layer: Layer, k: int, zone: ZoneInfo) -> datetime:
    return local_instant(layer.first_handoff + timedelta(days=k * layer.every.period_days), layer.handoff.time, zone)


def _turn(layer: Layer, at: datetime, zone: ZoneInfo) -> int:
    """The index k of the rotation turn covering `at` (negative before the first shift: it repeats backwards)."""
    period = layer.every.period_days
    k = (at.astimezone(zone).date() - layer.first_handoff).days // period
    while at < _handoff(layer, k, zone):
        k -= 1
    while at >= _handoff(layer, k + 1, zone):
        k += 1
    return k


def _override_spans(schedule: OnCall, layer: str, zone: ZoneInfo) -> list[tuple[datetime, datetime, Override]]:
    spans = [(local_instant(o.start.date(), o.start.time(), zone), local_instant(o.end.date(), o.end.time(), zone), o)
             for o in schedule.overrides if o.layer == layer]
    return sorted(spans, key=lambda span: span[0])


def _layer_shift(schedule: OnCall, layer: Layer, at: datetime) -> Shift:
    zone = ZoneInfo(schedule.timezone)
    k = _turn(layer, at, zone)
    since, until = _handoff(layer, k, zone), _handoff(layer, k + 1, zone)
    # Overrides cut the rotation's shift: the covering user holds exactly [from, to).
    for start, end, override in _override_spans(schedule, layer.name, zone):
        if start <= at < end:
            return Shift(layer.name, override.user, start, end, override=True)
        if end <= at:
            since = max(since, end)
        elif start > at:
            until = min(until, start)
    return Shift(layer.name, layer.members[k % len(layer.members)], since, until)


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"instant must be timezone-aware, got {at.isoformat()}")
    return at


def shifts_at(department: Department, at: datetime) -> list[Shift]:
    """The shift covering `at` on every layer, in layer order (primary first), overrides applied."""
    schedule = department.schedule
    return [_layer_shift(schedule, layer, _aware(at)) for layer in schedule.layers]


def next_shifts(department: Department, at: datetime) -> list[Shift]:
    """The shift that follows the one covering `at`, per layer."""
    schedule = department.schedule
    return [_layer_shift(schedule, layer, current.until)
            for layer, current in zip(schedule.layers, shifts_at(department, at), strict=True)]


def on_call(department: Department, at: datetime) -> str | None:
    """The primary layer's user at `at`."""
    schedule = department.schedule
    return _layer_shift(schedule, schedule.layers[0], _aware(at)).user_id if schedule.layers else None


def backup_on_call(department: Department, at: datetime) -> str | None:
    """The second layer's user at `at`, or None when there is no backup layer."""
    schedule = department.schedule
    return _layer_shift(schedule, schedule.layers[1], _aware(at)).user_id if len(schedule.layers) > 1 else None


def in_working_hours(department: Department, at: datetime) -> bool:
    """Whether `at` falls in the department's working hours (always, when none are configured)."""
    hours = department.working_hours
    if hours is None:
        return True
    local = _aware(at).astimezone(ZoneInfo(department.working_timezone))
    minute = local.hour * 60 + local.minute + local.second / 60
    return (local.date() not in hours.holidays and local.weekday() in hours.weekdays
            and hours.hours[0] <= minute < hours.hours[1])


def _clock(minutes: int) -> tuple[int, time]:
    """(days to add, wall-clock time) for minutes after midnight; 24:00 is the next day's 00:00."""
    return minutes // (24 * 60), time((minutes // 60) % 24, minutes % 60)


def next_working_start(department: Department, at: datetime) -> datetime | None:
    """The earliest instant >= `at` in working hours (`at` itself when working); None if always working."""
    hours = department.working_hours
    if hours is None:
        return None
    zone = ZoneInfo(department.working_timezone)
    day = _aware(at).astimezone(zone).date()
    start_days, start_time = _clock(hours.hours[0])
    end_days, end_time = _clock(hours.hours[1])
    for offset in range(len(hours.holidays) + _MAX_WORKDAY_SEARCH + 1):
        current = day + timedelta(days=offset)
        if current in hours.holidays or current.weekday() not in hours.weekdays:
            continue
        start = local_instant(current + timedelta(days=start_days), start_time, zone)
        if at < local_instant(current + timedelta(days=end_days), end_time, zone):
            return max(start, at)
    return None
