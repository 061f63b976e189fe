"""Pydantic models for KB entries, departments and matching overrides."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import (AfterValidator, AliasChoices, AliasPath, BaseModel, ConfigDict, Field, PrivateAttr,
                      model_validator)

from kb.schedule import (ClockTime, Escalation, Every, Handoff, Layer, OnCall, Text, Weekday, WorkingHours,
                         Zone, schedule_problems)

ID_RE = re.compile(r"[a-z0-9][a-z0-9-]*")


class _Model(BaseModel):
    # Unknown keys are reported as warnings by the loader rather than rejected here, so a KB
    # written for a newer version still loads.
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


def _check_id(value: str) -> str:
    if not ID_RE.fullmatch(value):
        raise ValueError(f"{value!r} must be lowercase letters, digits and dashes, not starting with a dash")
    return value


Id = Annotated[str, AfterValidator(_check_id)]


class Entry(_Model):
    """One KB answer and the phrasings employees use to ask for it."""

    id: Id
    department: Text
    questions: list[Text] = Field(min_length=1)
    answer: Text
    keywords: list[Text] = Field(default_factory=list)
    related: list[Id] = Field(default_factory=list, max_length=3)  # entry ids offered as buttons under the answer
    source: str = ""


class Rotation(_Model):
    """Weekly (or n-daily) on-call rotation of a department."""

    members: list[Text] = Field(min_length=1)
    handoff_weekday: Weekday = Field(validation_alias=AliasChoices(AliasPath("handoff", "weekday"), "handoff_weekday"))
    handoff_time: ClockTime = Field(validation_alias=AliasChoices(AliasPath("handoff", "time"), "handoff_time"))
    timezone: Zone
    start: dt.date
    period_days: int = Field(default=7, ge=1)



class Department(_Model):
    """A team that owns KB entries and takes escalations."""

    id: Id
    name: Text
    triage_channel: Text
    staff: list[Text] = Field(min_length=1)
    keywords: list[Text] = Field(default_factory=list)
    followup_delay_hours: float = Field(default=24, gt=0)
    followup_expiry_hours: float = Field(default=72, gt=0)
    rotation: Rotation | None = None  # shorthand for an oncall schedule with one layer, "primary"
    oncall: OnCall | None = None
    working_hours: WorkingHours | None = None  # None: always working hours
    escalation: Escalation = Escalation()  # defaults: 30 min ack, backup then staff, 8 h stale claim
    retention_days: int | None = Field(default=None, ge=1)  # purge texts of requests closed this long ago
    private: bool = False  # HR, ethics: questions never shown in public channels; the conversation moves to DM
    claim_on_reply: bool = True  # a staff reply in the triage thread claims an unclaimed request
    reopen_days: int = Field(default=7, ge=0)  # a closed request can be reopened by its requester this long
    _schedule: OnCall = PrivateAttr()

    @model_validator(mode="after")
    def _cross_checks(self) -> Department:
        if self.rotation is None and self.oncall is None:
            raise ValueError("oncall is required (or the rotation shorthand): who takes escalations")
        if self.rotation is not None and self.oncall is not None:
            raise ValueError("give either rotation or oncall, not both (rotation is shorthand for one oncall layer)")
        for i, member in enumerate(self.rotation.members if self.rotation else []):
            if member not in self.staff:
                raise ValueError(f"rotation.members[{i}] {member!r} is not listed in staff")
        # A default policy's backup step is simply skipped without a backup layer; a written one is checked.
        explicit = self.escalation if "escalation" in self.model_fields_set else None
        problems = schedule_problems(self.staff, self.oncall, explicit)
        if problems:
            raise ValueError(problems[0])  # one per department, like the other cross-checks
        if self.followup_expiry_hours <= self.followup_delay_hours:
            raise ValueError(
                f"followup_expiry_hours ({self.followup_expiry_hours:g}) must be greater than "
                f"followup_delay_hours ({self.followup_delay_hours:g})"
            )
        return self

    def model_post_init(self, context: Any) -> None:
        # Built once, so the on-call code reads one shape whichever form the YAML used.
        self._schedule = self.oncall or _from_rotation(self.rotation)

    @property
    def schedule(self) -> OnCall:
        """The on-call schedule in force: `oncall`, or `rotation` as a single "primary" layer."""
        return self._schedule

    @property
    def working_timezone(self) -> str:
        """The zone working hours are read in (their own, else the schedule's)."""
        own = self.working_hours.timezone if self.working_hours else None
        return own or self.schedule.timezone


def _from_rotation(rotation: Rotation | None) -> OnCall:
    if rotation is None:  # only while validation is failing anyway
        return OnCall.model_construct(timezone="UTC", layers=[], overrides=[])
    # The old rotation ignored the weekday unless shifts lasted whole weeks; keep that meaning.
    weekly = rotation.period_days % 7 == 0
    layer = Layer(name="primary", members=rotation.members, every=Every(days=rotation.period_days),
                  handoff=Handoff(weekday=rotation.handoff_weekday if weekly else None, time=rotation.handoff_time),
                  start=rotation.start)
    return OnCall(timezone=rotation.timezone, layers=[layer])


class MatchingOverride(_Model):
    """Optional per-KB override of the calibrated answer thresholds (departments.yaml `matching:`)."""

    min_score: float | None = Field(default=None, ge=0, le=100)
    min_margin: float | None = Field(default=None, ge=0, le=100)
    min_choice_score: float | None = Field(default=None, ge=0, le=100)  # offer "Did you mean …?" from this score
