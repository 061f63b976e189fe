"""Plain dataclasses the domain speaks in; handlers build them from Slack payloads and render them."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.words import Resolution, Status


@dataclass(frozen=True)
class Question:
    """An employee's message asking for help, as the domain sees it."""

    channel_id: str
    user_id: str
    message_ts: str
    thread_ts: str | None
    text: str
    source: str            # "dm", "mention", "channel", "emoji", "shortcut" or "command"
    is_direct: bool        # True in a DM: replies go to the DM itself, not a thread
    quote: bool = False    # asked without a message (slash command): the bot quotes it in the DM first
    anonymous: bool = False  # staff see "an employee"; the user id is kept apart, for the relay only
    dm_channel: str | None = None  # the asker's DM with the bot, where a private department's answer goes
    language: str | None = None  # chosen at the edge (Slack locale, else the text, else the default): bot.people
    department: str | None = None  # chosen in the request form: routed there (None: the bot routes)
    urgent: bool = False           # "blocking my work" in the request form: escalated and paged at once


@dataclass(frozen=True)
class Said:
    """A message a person wrote in Slack that may belong to a request's conversation."""

    channel_id: str
    ts: str
    thread_ts: str | None
    user_id: str
    text: str
    files: tuple[tuple[str, str], ...] = ()  # (name, permalink) of attached files


@dataclass(frozen=True)
class RequestView:
    """A snapshot of a request with what rendering needs (department name, triage channel)."""

    id: int
    channel_id: str
    message_ts: str
    reply_thread_ts: str | None
    user_id: str
    source: str
    text: str
    department_id: str
    department_name: str
    triage_channel: str | None
    status: Status
    resolution: Resolution | None
    kb_entry_id: str | None
    oncall_user_id: str | None
    claimed_by: str | None
    reopen_count: int
    answer_ts: str | None
    triage_ts: str | None
    followup_channel: str | None
    followup_ts: str | None
    created_at: datetime
    resolved_at: datetime | None
    answer_text: str | None = None  # the KB answer that was offered, if one was
    escalation_level: int = 0
    escalation_ts: str | None = None
    transfer_count: int = 0
    resolved_by: str | None = None
    closed_at: datetime | None = None
    anonymous: bool = False
    resolution_note: str | None = None
    self_help_note: str | None = None
    first_human_reply_at: datetime | None = None
    language: str = "en"        # the requester's: every message to them is written in it
    staff_language: str = "en"  # the department's (departments.yaml `language:`): triage posts, pages, notes
    urgent: bool = False


@dataclass(frozen=True)
class EscalationStep:
    """One page sent because nobody claimed the request in time."""

    at: datetime
    step: str                   # "backup", "staff" or "manager"
    notified: tuple[str, ...]   # user ids


@dataclass(frozen=True)
class HistoryLine:
    """One audited event of a request, for the history shown after a transfer."""

    at: datetime
    actor: str
    action: str
    detail: str | None


@dataclass(frozen=True)
class Transfer:
    """A move of a request from one department to another."""

    from_department: str        # display names
    to_department: str
    by: str
    note: str | None
    old_triage_channel: str | None
    old_triage_ts: str | None


class Refusal(StrEnum):
    """Why an action by a user was not carried out (handlers turn this into an ephemeral reply)."""

    NOT_FOUND = "not_found"
    NOT_REQUESTER = "not_requester"
    NOT_STAFF = "not_staff"
    NOT_CLAIMER = "not_claimer"
    ALREADY_CLAIMED = "already_claimed"
    ALREADY_DONE = "already_done"
    SAME_DEPARTMENT = "same_department"
    UNKNOWN_DEPARTMENT = "unknown_department"
    TOO_LATE = "too_late"            # e.g. reopening a request closed longer ago than the reopen window


@dataclass(frozen=True)
class Outcome:
    """The result of a user's action: done, or refused with a reason; `request` is the latest state."""

    ok: bool
    request: RequestView | None = None
    refusal: Refusal | None = None

    @classmethod
    def refused(cls, refusal: Refusal, request: RequestView | None = None) -> Outcome:
        """A refusal with the request's current state (e.g. who already claimed it)."""
        return cls(ok=False, request=request, refusal=refusal)


@dataclass(frozen=True)
class PastCase:
    """A resolved request like a new one, shown to staff with what was done (never who asked)."""

    id: int
    text: str
    resolution_note: str
    self_help_note: str | None
    triage_channel: str | None   # where its triage post is, for a link
    triage_ts: str | None
    resolved_at: datetime


@dataclass(frozen=True)
class Spike:
    """Many different people asked the same unanswered thing within a short window (maybe an outage)."""

    request_id: int              # the request that crossed the threshold
    people: int
    window_minutes: int
    departments: tuple[str, ...]  # display names
    example: str | None          # one wording; None when only private or anonymous requests asked it
    language: str = "en"         # the alert's: the language of the department of the request that crossed it
