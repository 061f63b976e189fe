"""Who is on call: rotations turn at a local wall-clock time, so DST never shifts a handoff."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from kb import Rotation


@dataclass(frozen=True)
class Shift:
    """One person's turn in a rotation."""

    user_id: str
    since: datetime
    until: datetime


def shift_at(rotation: Rotation, at: datetime) -> Shift | None:
    """The shift covering instant `at` (timezone-aware), or None for a rotation without members."""
    if not rotation.members:
        return None
    zone = ZoneInfo(rotation.timezone)
    period = rotation.period_days
    first = _first_handoff_date(rotation)
    local_day = at.astimezone(zone).date()
    k = (local_day - first).days // period
    start = _handoff(first + timedelta(days=k * period), rotation, zone)
    if at < start:
        k -= 1
        start = _handoff(first + timedelta(days=k * period), rotation, zone)
    until = _handoff(first + timedelta(days=(k + 1) * period), rotation, zone)
    return Shift(rotation.members[k % len(rotation.members)], start, until)


def on_call(rotation: Rotation, at: datetime) -> str | None:
    """The user id on call at `at`, or None."""
    shift = shift_at(rotation, at)
    return shift.user_id if shift else None


def _first_handoff_date(rotation: Rotation) -> date:
    # Weekly-style rotations hand off on a weekday: the first shift starts on the first such day.
    if rotation.period_days % 7 == 0:
        return rotation.start + timedelta(days=(rotation.handoff_weekday - rotation.start.weekday()) % 7)
    return rotation.start


def _handoff(day: date, rotation: Rotation, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, rotation.handoff_time, tzinfo=zone)
