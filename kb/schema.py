"""Pydantic models for KB entries, departments and matching overrides."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, AliasChoices, AliasPath, BaseModel, ConfigDict, Field, field_validator, model_validator

ID_RE = re.compile(r"[a-z0-9][a-z0-9-]*")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME_RE = re.compile(r"(\d{1,2}):(\d{2})")


class _Model(BaseModel):
    # Unknown keys are reported as warnings by the loader rather than rejected here, so a KB
    # written for a newer version still loads.
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


def _check_id(value: str) -> str:
    if not ID_RE.fullmatch(value):
        raise ValueError(f"{value!r} must be lowercase letters, digits and dashes, not starting with a dash")
    return value


def _nonblank(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    return value


Id = Annotated[str, AfterValidator(_check_id)]
Text = Annotated[str, AfterValidator(_nonblank)]


class Entry(_Model):
    """One KB answer and the phrasings employees use to ask for it."""

    id: Id
    department: Text
    questions: list[Text] = Field(min_length=1)
    answer: Text
    keywords: list[Text] = Field(default_factory=list)
    source: str = ""


class Rotation(_Model):
    """Weekly (or n-daily) on-call rotation of a department."""

    members: list[Text] = Field(min_length=1)
    handoff_weekday: int = Field(validation_alias=AliasChoices(AliasPath("handoff", "weekday"), "handoff_weekday"))
    handoff_time: dt.time = Field(validation_alias=AliasChoices(AliasPath("handoff", "time"), "handoff_time"))
    timezone: Text
    start: dt.date
    period_days: int = Field(default=7, ge=1)

    @field_validator("handoff_weekday", mode="before")
    @classmethod
    def _weekday(cls, value: Any) -> int:
        if isinstance(value, str) and value.strip().lower() in WEEKDAYS:
            return WEEKDAYS.index(value.strip().lower())
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 6:
            return value
        raise ValueError(f"must be a weekday name (monday..sunday) or 0-6, got {value!r}")

    @field_validator("handoff_time", mode="before")
    @classmethod
    def _time(cls, value: Any) -> dt.time:
        if isinstance(value, dt.time):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            # YAML 1.1 reads an unquoted 9:30 as the base-60 number 570.
            raise ValueError(f'must be a quoted "HH:MM" string (YAML read an unquoted time as the number {value})')
        m = _TIME_RE.fullmatch(value.strip()) if isinstance(value, str) else None
        if not m or int(m[1]) > 23 or int(m[2]) > 59:
            raise ValueError(f'must be "HH:MM" (00:00-23:59), got {value!r}')
        return dt.time(int(m[1]), int(m[2]))

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a known time zone") from None
        return value


class Department(_Model):
    """A team that owns KB entries and takes escalations."""

    id: Id
    name: Text
    triage_channel: Text
    staff: list[Text] = Field(min_length=1)
    keywords: list[Text] = Field(default_factory=list)
    followup_delay_hours: float = Field(default=24, gt=0)
    followup_expiry_hours: float = Field(default=72, gt=0)
    rotation: Rotation

    @model_validator(mode="after")
    def _cross_checks(self) -> Department:
        for i, member in enumerate(self.rotation.members):
            if member not in self.staff:
                raise ValueError(f"rotation.members[{i}] {member!r} is not listed in staff")
        if self.followup_expiry_hours <= self.followup_delay_hours:
            raise ValueError(
                f"followup_expiry_hours ({self.followup_expiry_hours:g}) must be greater than "
                f"followup_delay_hours ({self.followup_delay_hours:g})"
            )
        return self


class MatchingOverride(_Model):
    """Optional per-KB override of the calibrated answer thresholds (departments.yaml `matching:`)."""

    min_score: float | None = Field(default=None, ge=0, le=100)
    min_margin: float | None = Field(default=None, ge=0, le=100)
