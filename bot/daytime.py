"""The requester's daytime: what the bot sends unasked (follow-ups, re-checks, pulse questions) waits for it.

A timer that would send such a message at night, or at a weekend, in the requester's time zone is moved
to the next daytime start instead (the delay rule stays "at least N hours": a due time only ever moves
later). The zone is the requester's Slack `tz` from the people directory's cache, else the department's
(working hours' zone, else its on-call schedule's), else UTC; anonymous askers are never cached, so theirs
is the department's. The shift is applied when the timer is created and again when it comes due, since
the person's zone may have become known meanwhile, or the timer may run late (the bot was down).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from bot.oncall import local_instant
from kb import Department
from storage import people_queries, queries

WEEKDAYS = frozenset(range(5))  # Monday..Friday: Slack does not tell anyone's weekend
UTC_ZONE = "UTC"


def zone_of(name: str | None) -> ZoneInfo | None:
    """The zone called `name` (an IANA name such as "Europe/Warsaw"), or None if unknown or empty."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):  # Slack's list and this machine's tzdata may differ
        return None


def next_daytime(moment: datetime, tz: str | ZoneInfo | None, start: int = 9, end: int = 18,
                 weekdays: frozenset[int] = WEEKDAYS) -> datetime:
    """The earliest instant >= `moment` between `start` and `end` o'clock (local) on one of `weekdays`
    (0 = Monday) in zone `tz` (an unknown zone counts as UTC); DST-safe: a start the clocks skip is the jump."""
    if not 0 <= start < end <= 24 or not weekdays:
        raise ValueError(f"daytime needs 0 <= start < end <= 24 and a weekday (got {start}-{end}, {sorted(weekdays)})")
    if moment.tzinfo is None:
        raise ValueError("next_daytime needs a timezone-aware moment")
    zone = tz if isinstance(tz, ZoneInfo) else zone_of(tz) or ZoneInfo(UTC_ZONE)
    day = moment.astimezone(zone).date()
    for offset in range(8):  # a week always holds one of `weekdays`
        current = day + timedelta(days=offset)
        if current.weekday() not in weekdays:
            continue
        closes = local_instant(current + timedelta(days=end // 24), time(end % 24), zone)
        if moment < closes:
            return max(moment, local_instant(current, time(start), zone))
    raise AssertionError("unreachable: a week has every weekday")  # pragma: no cover


@dataclass(frozen=True)
class Daytime:
    """When unasked messages may reach a requester: `start`-`end` o'clock on `weekdays`; off: any time."""

    start: int = 9
    end: int = 18
    weekdays: frozenset[int] = field(default=WEEKDAYS)
    enabled: bool = True

    def __post_init__(self) -> None:
        if self.enabled:
            next_daytime(datetime(2026, 1, 1, tzinfo=UTC), UTC_ZONE, self.start, self.end, self.weekdays)

    def next(self, moment: datetime, tz: str | None) -> datetime:
        """`moment`, or the next daytime start after it in zone `tz`."""
        return next_daytime(moment, tz, self.start, self.end, self.weekdays) if self.enabled else moment

    def due(self, session: Session, user_id: str | None, department: Department, moment: datetime) -> datetime:
        """When a message to `user_id` (empty: an anonymous asker), meant for `moment`, may be sent."""
        return self.next(moment, person_zone(session, user_id, department))


DAYTIME = Daytime()                # 09:00-18:00, Monday to Friday (REQUESTER_HOURS)
ANY_TIME = Daytime(enabled=False)  # REQUESTER_HOURS=off


def defer(session: Session, daytime: Daytime, timer_id: int, user_id: str | None, department: Department,
          now: datetime) -> bool:
    """A claimed timer that would message `user_id` outside their daytime is put back until it starts;
    True when it was (the caller then does nothing now)."""
    later = daytime.due(session, user_id, department, now)
    if later <= now:
        return False
    queries.reschedule_timer(session, timer_id, later, deferred=True)
    return True


def parse_hours(value: str | None) -> Daytime:
    """ "9-18" (the default when empty) -> 09:00-18:00 on weekdays; "off" -> any time. Raises ValueError."""
    text = (value or "9-18").strip().lower()
    if text in ("off", "any", "always"):
        return ANY_TIME
    start, sep, end = text.partition("-")
    if not sep:
        raise ValueError(f"expected hours like 9-18, or off (got {value!r})")
    return Daytime(int(start), int(end))


def person_zone(session: Session, user_id: str | None, department: Department) -> str:
    """A person's time zone (people cache; never Slack), else the department's, else UTC.
    Anonymous requests carry no user id (and their askers are never cached): the department's."""
    record = people_queries.get_person(session, user_id) if user_id else None
    if record is not None and zone_of(record.tz):
        return str(record.tz)
    return department_zone(department)


def department_zone(department: Department) -> str:
    """The department's zone (working hours', else its on-call schedule's), else UTC."""
    zone = department.working_timezone
    return zone if zone_of(zone) else UTC_ZONE
