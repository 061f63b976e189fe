"""Typed SQLAlchemy models: requests, their audit trail, timers, the Slack inbox and the outbox.

Status and kind columns hold the domain's words (bot.words) as plain strings; storage does not know them.
"""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (BigInteger, Boolean, Column, Float, ForeignKey, Index, Integer, String, Table, Text,
                        UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.report_columns import CELL_VALUES, FACT_KEYS, FACT_VALUES, TEXT_COLUMNS
from storage.types import UTCDateTime


class Base(DeclarativeBase):
    """Declarative base for every helploop table."""


class TimerState(StrEnum):
    """Timer progress; RUNNING rows carry a lease so a crashed worker's rows are retaken."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    CANCELLED = "cancelled"


class Request(Base):
    """One employee request: one Slack message (or thread) asking for help."""

    __tablename__ = "requests"
    __table_args__ = (UniqueConstraint("channel_id", "root_ts", name="uq_requests_channel_root"),
                      Index("ix_requests_department_created", "department_id", "created_at"),  # reports
                      Index("ix_requests_created_at", "created_at"))

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
    resolved_by: Mapped[str | None] = mapped_column(String(32))  # may differ from the claimer
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
    first_human_reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # first staff message relayed
    last_staff_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    awaiting_reply_until: Mapped[datetime | None] = mapped_column(UTCDateTime())  # "what is still wrong?" asked
    resolution_note: Mapped[str | None] = mapped_column(Text)
    self_help_note: Mapped[str | None] = mapped_column(Text)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # texts removed (retention)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")  # "blocking my work"
    language: Mapped[str | None] = mapped_column(String(8))  # the requester's language ("en", "vi", "pl")


class AuditEvent(Base):
    """An append-only record of one state change: who, when, from, to."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_at", "at"),)  # the report's rollup finds what changed since it ran

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(Text)



class RequestFacts(Base):
    """What a request's audit trail says, kept up to date with it (storage.fact_queries); epoch seconds."""

    __tablename__ = "request_facts"

    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), primary_key=True)
    created_s: Mapped[int | None] = mapped_column(BigInteger)
    escalated_s: Mapped[int | None] = mapped_column(BigInteger)    # first escalation to staff
    claimed_s: Mapped[int | None] = mapped_column(BigInteger)      # first claim
    human_s: Mapped[int | None] = mapped_column(BigInteger)        # first staff reply to the requester, or resolve
    resolved_s: Mapped[int | None] = mapped_column(BigInteger)     # last resolve
    work_from_s: Mapped[int | None] = mapped_column(BigInteger)    # start of the work interval still open
    resolves: Mapped[int] = mapped_column(Integer, default=0)
    offers: Mapped[int] = mapped_column(Integer, default=0)        # KB answers shown (first answer, picked)
    rejections: Mapped[int] = mapped_column(Integer, default=0)    # "I still need help" after an answer
    staff_replies: Mapped[int] = mapped_column(Integer, default=0)
    handling_s: Mapped[int] = mapped_column(BigInteger, default=0)  # wall seconds of the closed work intervals


class RequestWork(Base):
    """One closed work interval of a request (claim -> resolve, unclaim or transfer), epoch seconds."""

    __tablename__ = "request_work"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    started_s: Mapped[int] = mapped_column(BigInteger)
    ended_s: Mapped[int] = mapped_column(BigInteger)

class Timer(Base):
    """A due action (follow-up, expiry); the scheduler only ticks and runs what is due."""

    __tablename__ = "timers"
    __table_args__ = (Index("ix_timers_state_due", "state", "due_at"),
                      UniqueConstraint("kind", "subject", "due_at", name="uq_timers_subject_due"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"), index=True)  # None: not a request's
    subject: Mapped[str | None] = mapped_column(String(64))  # what a timer of no request is about (a department)
    kind: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), default=TimerState.PENDING)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DeliveryState(StrEnum):
    """Outbox progress; SENDING rows carry a lease so a crashed sender's rows are sent again."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    SKIPPED = "skipped"    # nothing left to do (e.g. an edit of a message that was never posted)
    FAILED = "failed"      # given up after the retry budget; audited and reported


class Delivery(Base):
    """One Slack write (post, update, DM, ephemeral, views.publish…), written in the same
    transaction as the state change that causes it and sent by the dispatcher after the commit."""

    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_state_due", "state", "due_at"),
        Index("ix_deliveries_order", "order_key", "id"),
        Index("ix_deliveries_request_purpose", "request_id", "purpose"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int | None] = mapped_column(Integer, index=False)
    order_key: Mapped[str] = mapped_column(String(64))  # deliveries with one key go out one by one, in id order
    method: Mapped[str] = mapped_column(String(32))
    args: Mapped[str] = mapped_column(Text)              # JSON
    purpose: Mapped[str | None] = mapped_column(String(16))   # record the posted message on the request
    edit_of: Mapped[str | None] = mapped_column(String(16))   # edit the request's message with this purpose
    thread_of: Mapped[str | None] = mapped_column(String(16))  # post in the thread of the request's message with this purpose
    link_of: Mapped[str | None] = mapped_column(Text)          # JSON: what the {permalink} placeholder points to
    message_id: Mapped[int | None] = mapped_column(Integer)    # posts (or edits) the relayed copy of this message
    state: Mapped[str] = mapped_column(String(16), default=DeliveryState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    ambiguous: Mapped[bool] = mapped_column(Boolean, default=False)  # a try may have landed: look before resending
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(200))
    result_channel: Mapped[str | None] = mapped_column(String(32))
    result_ts: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class InboxState(StrEnum):
    """Inbox progress; PROCESSING rows carry a lease so a crashed worker's rows are taken again."""

    PENDING = "pending"
    PROCESSING = "processing"
    DONE = "done"
    FAILED = "failed"


class InboxItem(Base):
    """One request from Slack (event, click, command, modal), stored before it is acknowledged."""

    __tablename__ = "inbox"
    __table_args__ = (Index("ix_inbox_state_due", "state", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(128), unique=True)  # Slack's retries of one event share it
    mode: Mapped[str] = mapped_column(String(16))          # "http" or "socket_mode"
    content_type: Mapped[str | None] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default=InboxState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Message(Base):
    """One message of the conversation through a request: relayed to the other side, or an internal note."""

    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("source_channel", "source_ts", name="uq_messages_source"),
                      Index("ix_messages_request", "request_id", "id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"))
    direction: Mapped[str] = mapped_column(String(16))      # to_requester, to_staff, internal
    author_id: Mapped[str | None] = mapped_column(String(32))  # None: the anonymous requester
    text: Mapped[str] = mapped_column(Text)
    source_channel: Mapped[str] = mapped_column(String(32))
    source_ts: Mapped[str] = mapped_column(String(32))
    copy_channel: Mapped[str | None] = mapped_column(String(32))  # where the relayed copy landed
    copy_ts: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class HeldMessage(Base):
    """A new DM from someone with an open request, held until they say whether it belongs to it."""

    __tablename__ = "held_messages"
    __table_args__ = (UniqueConstraint("channel_id", "ts", name="uq_held_source"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    ts: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AnonymousRequester(Base):
    """Who asked an anonymous request: read only by the code that relays to them, never shown or exported."""

    __tablename__ = "anonymous_requesters"

    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32))


class PersonRecord(Base):
    """A Slack user as users.info last described them: the people directory's cache (refetched when old)."""

    __tablename__ = "people"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(255))  # display name, else real name
    locale: Mapped[str | None] = mapped_column(String(16))  # e.g. "vi-VN"; None: Slack did not say
    tz: Mapped[str | None] = mapped_column(String(64))  # IANA zone, e.g. "Asia/Ho_Chi_Minh"
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime())


class HomeViewer(Base):
    """Someone who has opened the bot's App Home: their Home is re-published when something concerning them changes."""

    __tablename__ = "home_viewers"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Survey(Base):
    """A rating asked of someone (or decided against): after a confirmed fix, or in a department's pulse survey.

    One row per request and kind, so a reopened-then-resolved request keeps one rating, of its final outcome.
    """

    __tablename__ = "surveys"
    __table_args__ = (UniqueConstraint("request_id", "kind", name="uq_surveys_request_kind"),
                      Index("ix_surveys_department_answered", "department_id", "answered_at"),
                      Index("ix_surveys_user_asked", "user_id", "asked_at"),
                      Index("ix_surveys_answered", "answered_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))              # "rating" (after a fix) or "pulse"
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"))  # None: a pulse question
    department_id: Mapped[str] = mapped_column(String(64))
    staff_id: Mapped[str | None] = mapped_column(String(32))   # who resolved the request (rated per staff)
    user_id: Mapped[str | None] = mapped_column(String(32))    # who was asked; None for an anonymous request
    sampled: Mapped[bool] = mapped_column(Boolean, default=True)
    skipped: Mapped[str | None] = mapped_column(String(16))    # why not asked: not_sampled, cooldown, own, ...
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    score: Mapped[int | None] = mapped_column(Integer)         # 1..5
    comment: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DepartmentFeedback(Base):
    """Feedback about a department's service (/helploop feedback): anonymous rows carry nobody's id."""

    __tablename__ = "department_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    department_id: Mapped[str] = mapped_column(String(64), index=True)
    text: Mapped[str] = mapped_column(Text)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"))  # named: the request staff answer
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


# --- the report's rollup (storage.rollup_queries): plain tables, written and read in SQL only ---------------------


def _column(name: str, primary: bool = False) -> Column:
    kind = String(TEXT_COLUMNS[name]) if name in TEXT_COLUMNS else BigInteger()
    return Column(name, kind, primary_key=primary, nullable=not primary)


def _cells(name: str, key: str) -> Table:
    return Table(name, Base.metadata, *(_column(c, True) for c in ("day", "dept", key)),
                 *(_column(c) for c in CELL_VALUES), sqlite_with_rowid=False)


# One row per request, clustered by (day, department, staff member, sample) so a sample of a group is one range.
report_rows = Table("report_rows", Base.metadata, *(_column(c, True) for c in FACT_KEYS),
                    *(_column(c) for c in FACT_VALUES), sqlite_with_rowid=False)
report_cells = _cells("report_cells", "staff")
report_entry_cells = _cells("report_entry_cells", "entry")
# Which days are rolled up, and with which departments' working hours (a change of hours redoes every day).
report_days = Table("report_days", Base.metadata, Column("day", BigInteger(), primary_key=True),
                    Column("fingerprint", String(64), nullable=False))
# Changes at or after `watermark` (audit rows, answered surveys) may not be rolled up yet.
report_state = Table("report_state", Base.metadata, Column("id", Integer(), primary_key=True, autoincrement=False),
                     Column("watermark", UTCDateTime(), nullable=False))
