"""Pydantic models for KB entries, departments and matching overrides."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import (AfterValidator, AliasChoices, AliasPath, BaseModel, ConfigDict, Field, PrivateAttr,
                      model_validator)

from kb.lang import language as written_in
from kb.schedule import (ClockTime, Escalation, Every, Handoff, Layer, OnCall, Text, Weekday, WorkingHours,
                         Zone, schedule_problems)
from kb.standards import Standards

ID_RE = re.compile(r"[a-z0-9][a-z0-9-]*")
LANGUAGE_RE = re.compile(r"[a-z]{2,3}")  # ISO 639 codes: en, vi, pl


class _Model(BaseModel):
    # Unknown keys are reported as warnings by the loader rather than rejected here, so a KB
    # written for a newer version still loads.
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


def _check_id(value: str) -> str:
    if not ID_RE.fullmatch(value):
        raise ValueError(f"{value!r} must be lowercase letters, digits and dashes, not starting with a dash")
    return value


Id = Annotated[str, AfterValidator(_check_id)]


def _check_language(value: str) -> str:
    if not LANGUAGE_RE.fullmatch(value):
        raise ValueError(f"{value!r} is not a language code like en, vi or pl")
    return value


class Entry(_Model):
    """One KB answer and the phrasings employees use to ask for it."""

    id: Id
    department: Text
    questions: list[Text] = Field(min_length=1)
    answer: Text  # the first answer given: what a requester in a language without its own answer gets
    answers: dict[str, Text] = Field(default_factory=dict)  # per language, from `answer: {en: …, vi: …, pl: …}`
    keywords: list[Text] = Field(default_factory=list)
    related: list[Id] = Field(default_factory=list, max_length=3)  # entry ids offered as buttons under the answer
    source: str = ""

    @model_validator(mode="before")
    @classmethod
    def _answer_per_language(cls, data: Any) -> Any:
        # `answer:` is one text (any language) or a mapping language -> text; both stay valid.
        if not isinstance(data, dict) or not isinstance(data.get("answer"), dict):
            return data
        answers = data["answer"]
        if not answers:
            raise ValueError("answer: give at least one language, e.g. {en: ...}")
        for code in answers:
            if not isinstance(code, str) or not LANGUAGE_RE.fullmatch(code):
                raise ValueError(f"answer: {code!r} is not a language code like en, vi or pl")
        return {**data, "answer": next(iter(answers.values())), "answers": answers}

    def answer_for(self, language: str | None) -> str:
        """The answer in `language` when the entry has one, else its first answer."""
        return self.answers.get(language or "", self.answer)

    def question_for(self, language: str | None) -> str:
        """The first phrasing written in `language` (a button's title), else the first phrasing."""
        return next((q for q in self.questions if (written_in(q.casefold()) or "en") == language), self.questions[0])


class Rotation(_Model):
    """Weekly (or n-daily) on-call rotation of a department."""

    members: list[Text] = Field(min_length=1)
    handoff_weekday: Weekday = Field(validation_alias=AliasChoices(AliasPath("handoff", "weekday"), "handoff_weekday"))
    handoff_time: ClockTime = Field(validation_alias=AliasChoices(AliasPath("handoff", "time"), "handoff_time"))
    timezone: Zone
    start: dt.date
    period_days: int = Field(default=7, ge=1)



class Feedback(_Model):
    """Asking employees what they think (departments.yaml `feedback:`); every figure optional."""

    sample_rate: float = Field(default=1.0, ge=0, le=1)  # share of confirmed fixes asked for a 1-5 rating
    cooldown_days: float = Field(default=0, ge=0)  # someone asked for a rating is not asked again this long
    recheck_days: float | None = Field(default=None, gt=0)  # "Is it still fixed?" this long after a confirmed fix
    pulse_days: int | None = Field(default=None, ge=1)  # every this many days, ask recent requesters overall
    pulse_sample: int = Field(default=5, ge=1)  # how many recent requesters a pulse asks
    pulse_lookback_days: int = Field(default=30, ge=1)  # "recent": asked something this many days back


class Digest(_Model):
    """The weekly digest in the triage channel (departments.yaml `digest:`): when, in the department's zone."""

    weekday: Weekday = 0  # Monday
    time: ClockTime = dt.time(9, 0)  # local wall-clock time, in the working hours' (else the on-call) zone
    min_ratings: int = Field(default=3, ge=1)  # staff are thanked by name only with at least this many ratings


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
    standards: Standards = Standards()  # service targets the report holds figures against
    answer_expiry_days: float = Field(default=7, gt=0)  # a KB answer nobody clicks closes as unconfirmed self-service
    language: Annotated[str, AfterValidator(_check_language)] = "en"  # of staff-facing posts: triage, pages
    feedback: Feedback = Feedback()  # ratings after a fix, re-check, pulse survey
    digest: Digest | None = None  # the weekly digest in the triage channel; off when absent
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
