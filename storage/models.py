"""Typed SQLAlchemy models: requests, their audit trail, and timers."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import UTCDateTime


class Base(DeclarativeBase):
    """Declarative base for every helploop table."""


class Status(StrEnum):
    """Where a request is in its lifecycle."""

    ANSWERED = "answered"      # a KB answer was offered; waiting for the employee's verdict
    SUGGESTED = "suggested"    # 2-3 close KB entries were offered ("Did you mean …?"); waiting for a pick
    ESCALATED = "escalated"    # waiting in a triage channel for someone to claim it
    CLAIMED = "claimed"        # a staff member is on it
    REOPENED = "reopened"      # the employee said "not fixed"; back with the claimer
    RESOLVED = "resolved"      # staff resolved it; follow-up pending or asked
    CLOSED = "closed"          # final; see Resolution


class Resolution(StrEnum):
    """How a closed request ended."""

    SELF_SERVED = "self_served"
    CONFIRMED = "confirmed"
    UNCONFIRMED = "unconfirmed"


class TimerKind(StrEnum):
    """What a timer does when it is due."""

    FOLLOWUP = "followup"
    FOLLOWUP_EXPIRY = "followup_expiry"
    TRIAGE_RETRY = "triage_retry"  # the triage post failed; try again so no escalation is lost
    ANSWER_RETRY = "answer_retry"  # the KB answer could not be posted; try again
    ESCALATION_STEP = "escalation_step"  # unclaimed past the ack timeout: page the next step
    STALE_CLAIM = "stale_claim"  # claimed but untouched for too long: remind the claimer


class TimerState(StrEnum):
    """Timer progress; RUNNING rows carry a lease so a crashed worker's rows are retaken."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    CANCELLED = "cancelled"


class Request(Base):
    """One employee request: one Slack message (or thread) asking for help."""

    __tablename__ = "requests"
    __table_args__ = (UniqueConstraint("channel_id", "root_ts", name="uq_requests_channel_root"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel_id: Mapped[str] = mapped_column(String(32))
    root_ts: Mapped[str] = mapped_column(String(32))  # the thread root: one request per thread
    message_ts: Mapped[str] = mapped_column(String(32))
    reply_thread_ts: Mapped[str | None] = mapped_column(String(32))  # None: reply in the DM itself
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    source: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    department_id: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    resolution: Mapped[str | None] = mapped_column(String(16))
    kb_entry_id: Mapped[str | None] = mapped_column(String(128))
    kb_score: Mapped[float | None] = mapped_column(Float)
    oncall_user_id: Mapped[str | None] = mapped_column(String(32))
    claimed_by: Mapped[str | None] = mapped_column(String(32))
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    transfer_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    escalation_ts: Mapped[str | None] = mapped_column(String(32))  # the one edited status line in the thread
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answer_ts: Mapped[str | None] = mapped_column(String(32))
    triage_channel: Mapped[str | None] = mapped_column(String(32))
    triage_ts: Mapped[str | None] = mapped_column(String(32))
    followup_channel: Mapped[str | None] = mapped_column(String(32))
    followup_ts: Mapped[str | None] = mapped_column(String(32))


class AuditEvent(Base):
    """An append-only record of one state change: who, when, from, to."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(Text)


class Timer(Base):
    """A due action (follow-up, expiry); the scheduler only ticks and runs what is due."""

    __tablename__ = "timers"
    __table_args__ = (Index("ix_timers_state_due", "state", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), default=TimerState.PENDING)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
