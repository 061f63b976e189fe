"""Pydantic models of a department's on-call schedule, working hours and escalation policy."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME_RE = re.compile(r"(\d{1,2}):(\d{2})")
_LOCAL_RE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_USER_RE = re.compile(r"[UW][A-Z0-9]+")
STEPS = ("backup", "staff", "manager")


class _Model(BaseModel):
    # Same policy as kb.schema: unknown keys become loader warnings, not errors.
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


def _nonblank(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    return value


Text = Annotated[str, AfterValidator(_nonblank)]


def weekday(value: Any) -> int:
    """Read a weekday given as a name ('monday', 'mon', any case) or 0-6 (0 = Monday)."""
    if isinstance(value, str):
        word = value.strip().lower()
        for i, name in enumerate(WEEKDAYS):
            if word in (name, name[:3]):
                return i
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 6:
        return value
    raise ValueError(f"must be a weekday name (monday..sunday) or 0-6, got {value!r}")


def clock_time(value: Any) -> dt.time:
    """Read a quoted "HH:MM" wall-clock time."""
    if isinstance(value, dt.time):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML 1.1 reads an unquoted 9:30 as the base-60 number 570.
        raise ValueError(f'must be a quoted "HH:MM" string (YAML read an unquoted time as the number {value})')
    m = _TIME_RE.fullmatch(value.strip()) if isinstance(value, str) else None
    if not m or int(m[1]) > 23 or int(m[2]) > 59:
        raise ValueError(f'must be "HH:MM" (00:00-23:59), got {value!r}')
    return dt.time(int(m[1]), int(m[2]))


def time_zone(value: str) -> str:
    """Check an IANA time zone name."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not a known time zone") from None
    return value


Zone = Annotated[str, AfterValidator(_nonblank), AfterValidator(time_zone)]
Weekday = Annotated[int, BeforeValidator(weekday)]
ClockTime = Annotated[dt.time, BeforeValidator(clock_time)]


class Every(_Model):
    """A shift length: {days: N} or {weeks: N}."""

    days: int | None = Field(default=None, ge=1)
    weeks: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _one(self) -> Every:
        if (self.days is None) == (self.weeks is None):
            raise ValueError("must give exactly one of days or weeks, e.g. {days: 7} or {weeks: 1}")
        return self

    @property
    def period_days(self) -> int:
        """The shift length in days."""
        return self.days if self.days is not None else 7 * (self.weeks or 0)


class Handoff(_Model):
    """When a shift changes hands: a local wall-clock time, on a weekday for week-long periods."""

    weekday: Weekday | None = None
    time: ClockTime


class Layer(_Model):
    """One rotation (primary, backup, ...): members take turns, each for `every`."""

    name: Text
    members: list[Text] = Field(min_length=1)
    every: Every = Every(days=7)
    handoff: Handoff
    start: dt.date

    @model_validator(mode="after")
    def _weekday_needed(self) -> Layer:
        if self.every.period_days % 7 == 0 and self.handoff.weekday is None:
            raise ValueError("needs handoff.weekday when shifts last whole weeks "
                             "(every: {weeks: N} or a multiple of 7 days)")
        return self

    @property
    def first_handoff(self) -> dt.date:
        """The local date of the first shift's start: `start`, or the next day on handoff.weekday."""
        if self.handoff.weekday is None:
            return self.start
        return self.start + dt.timedelta(days=(self.handoff.weekday - self.start.weekday()) % 7)


def local_datetime(value: Any) -> dt.datetime:
    """Read a local "YYYY-MM-DD HH:MM" or a date (midnight); no offset: it is read in the schedule's zone."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            raise ValueError(f'must be a local time "YYYY-MM-DD HH:MM" without an offset, got {value.isoformat()!r}')
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    m = _LOCAL_RE.fullmatch(value.strip()) if isinstance(value, str) else None
    try:
        if m:
            day = dt.date.fromisoformat(m[1])
            return dt.datetime.combine(day, dt.time(int(m[2] or 0), int(m[3] or 0), int(m[4] or 0)))
    except ValueError:
        pass
    raise ValueError(f'must be a local time "YYYY-MM-DD HH:MM", got {value!r}')


class Override(_Model):
    """Someone covers a layer from `from` to `to` (local times in the schedule's zone, `to` excluded)."""

    layer: Text
    user: Text
    start: dt.datetime = Field(alias="from")
    end: dt.datetime = Field(alias="to")
    note: str = ""

    @field_validator("start", "end", mode="before")
    @classmethod
    def _local(cls, value: Any) -> dt.datetime:
        return local_datetime(value)

    @model_validator(mode="after")
    def _ordered(self) -> Override:
        if self.end <= self.start:
            span = f"from {self.start:%Y-%m-%d %H:%M}, to {self.end:%Y-%m-%d %H:%M}"
            raise ValueError(f"must end after it starts ({span})")
        return self


class OnCall(_Model):
    """A department's on-call schedule: ordered layers (primary first) and overrides."""

    timezone: Zone
    layers: list[Layer] = Field(min_length=1)
    overrides: list[Override] = Field(default_factory=list)

    @property
    def layer_names(self) -> list[str]:
        """Layer names in order (primary first)."""
        return [layer.name for layer in self.layers]


def _minutes(text: str) -> int:
    m = _TIME_RE.fullmatch(text.strip())
    if not m or int(m[2]) > 59 or int(m[1]) * 60 + int(m[2]) > 24 * 60:
        raise ValueError
    return int(m[1]) * 60 + int(m[2])


class AfterHours(_Model):
    """Who is told about escalations outside working hours: none, oncall, or a user id."""

    notify: str = "none"

    @field_validator("notify", mode="before")
    @classmethod
    def _notify(cls, value: Any) -> str:
        text = value.strip() if isinstance(value, str) else ""
        if text.lower() in ("none", "oncall"):
            return text.lower()
        if _USER_RE.fullmatch(text):
            return text
        raise ValueError(f"must be none, oncall or a Slack user id (U...), got {value!r}")


class WorkingHours(_Model):
    """When the department works, in local time; outside it after_hours applies."""

    timezone: Zone | None = None
    weekdays: list[int] = Field(default=[0, 1, 2, 3, 4], min_length=1)
    hours: tuple[int, int] = (9 * 60, 17 * 60)  # minutes after local midnight, [start, end)
    holidays: list[dt.date] = Field(default_factory=list)
    after_hours: AfterHours = AfterHours()

    @field_validator("weekdays", mode="before")
    @classmethod
    def _weekdays(cls, value: Any) -> Any:
        return [weekday(v) for v in value] if isinstance(value, list) else value

    @field_validator("hours", mode="before")
    @classmethod
    def _hours(cls, value: Any) -> tuple[int, int]:
        if isinstance(value, tuple):
            return value  # already parsed (built in code rather than read from YAML)
        parts = value.split("-") if isinstance(value, str) else []
        try:
            start, end = (_minutes(p) for p in parts) if len(parts) == 2 else (None, None)
        except ValueError:
            start = end = None
        if start is None or end is None:
            raise ValueError(f'must be "HH:MM-HH:MM", e.g. "09:00-17:30", got {value!r}')
        if end <= start:
            raise ValueError(f"must end after it starts (shifts past midnight are not supported), got {value!r}")
        return start, end


class Escalation(_Model):
    """How an unacknowledged escalation climbs: used by the escalation chain, validated here."""

    ack_timeout_minutes: float = Field(default=30, gt=0)
    steps: list[Literal["backup", "staff", "manager"]] = Field(default=["backup", "staff"])
    manager: Text | None = None
    stale_claim_hours: float = Field(default=8, gt=0)

    @field_validator("steps", mode="before")
    @classmethod
    def _steps(cls, value: Any) -> Any:
        if isinstance(value, list):
            for step in value:
                if step not in STEPS:
                    raise ValueError(f"may only contain backup, staff and manager, got {step!r}")
            if len(set(value)) != len(value):
                raise ValueError(f"must not repeat a step, got {value!r}")
        return value

    @model_validator(mode="after")
    def _manager(self) -> Escalation:
        if "manager" in self.steps and not self.manager:
            raise ValueError("needs a manager (a Slack user id) when steps include manager")
        return self


def schedule_problems(staff: list[str], oncall: OnCall | None, escalation: Escalation | None) -> list[str]:
    """Cross-field problems of a valid schedule (field path first, as the loader prints them)."""
    problems: list[str] = []
    if oncall is not None:
        problems += _layer_problems(staff, oncall)
        problems += _override_problems(staff, oncall)
    layers = len(oncall.layers) if oncall is not None else 1
    if escalation is not None and "backup" in escalation.steps and layers < 2:
        problems.append("escalation.steps: backup needs a second oncall layer (primary, then backup)")
    return problems


def _layer_problems(staff: list[str], oncall: OnCall) -> list[str]:
    """Repeated layer names and layer members who are not on the staff list."""
    problems: list[str] = []
    seen: dict[str, int] = {}
    for i, layer in enumerate(oncall.layers):
        if layer.name in seen:
            problems.append(f"oncall.layers[{i}].name: {layer.name!r} is already used by layers[{seen[layer.name]}]")
        seen.setdefault(layer.name, i)
        for member in layer.members:
            if member not in staff:
                problems.append(f"oncall.layers[{i}].members: {member} is not on the staff list")
    return problems


def _override_problems(staff: list[str], oncall: OnCall) -> list[str]:
    """Overrides of an unknown layer, by someone off the staff list, or overlapping another on one layer."""
    problems: list[str] = []
    names = list(dict.fromkeys(layer.name for layer in oncall.layers))
    spans: dict[str, list[tuple[int, Override]]] = {}
    for i, override in enumerate(oncall.overrides):
        where = f"oncall.overrides[{i}]"
        if override.layer not in names:
            problems.append(f"{where}.layer: {override.layer!r} is not a layer (known: {', '.join(names)})")
        if override.user not in staff:
            problems.append(f"{where}.user: {override.user} is not on the staff list")
        for j, other in spans.get(override.layer, []):
            if override.start < other.end and other.start < override.end:
                problems.append(f"{where}: overlaps overrides[{j}] on layer {override.layer}")
        spans.setdefault(override.layer, []).append((i, override))
    return problems


# Keys the loader accepts in each block; anything else is reported as an ignored-field warning.
KNOWN_KEYS: dict[str, set[str]] = {
    "oncall": {"timezone", "layers", "overrides"},
    "layer": {"name", "members", "every", "handoff", "start"},
    "override": {"layer", "user", "from", "to", "note"},
    "working_hours": {"timezone", "weekdays", "hours", "holidays", "after_hours"},
    "escalation": {"ack_timeout_minutes", "steps", "manager", "stale_claim_hours"},
}


def unknown_keys(raw: dict[str, Any]) -> list[tuple[str, str, set[str]]]:
    """(where, key, known keys there) for every unknown key in a department's oncall/working_hours/escalation."""
    found: list[tuple[str, str, set[str]]] = []

    def check(where: str, block: Any, kind: str) -> None:
        if isinstance(block, dict):
            found.extend((where, key, set(KNOWN_KEYS[kind])) for key in block if key not in KNOWN_KEYS[kind])

    check("oncall", raw.get("oncall"), "oncall")
    oncall = raw.get("oncall") if isinstance(raw.get("oncall"), dict) else {}
    for kind, key in (("layer", "layers"), ("override", "overrides")):
        items = oncall.get(key)
        for i, item in enumerate(items if isinstance(items, list) else []):
            check(f"oncall.{key}[{i}]", item, kind)
    check("working_hours", raw.get("working_hours"), "working_hours")
    check("escalation", raw.get("escalation"), "escalation")
    return found
