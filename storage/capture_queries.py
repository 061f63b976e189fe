"""Knowledge-capture queries: questions the KB did not answer, resolved requests with their notes.

Each takes a session and never commits. Statuses and actions are passed in: storage does not know the
domain's words. Purged requests (retention) are never returned: their texts are gone.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, or_, select, text
from sqlalchemy.orm import Session

from storage.models import AuditEvent, Request

SPIKE_LOCK = 0x68656C70  # "help": the advisory lock that serialises spike alerts on PostgreSQL


@dataclass(frozen=True)
class Asked:
    """One escalated question, as knowledge capture needs it."""

    id: int
    user_id: str          # "" for an anonymous request
    anonymous: bool
    department_id: str
    text: str
    created_at: datetime


def unanswered(session: Session, *, since: datetime, until: datetime | None = None,
               department_id: str | None = None, created_action: str, answered_status: str,
               picked_action: str, statuses: Iterable[str] | None = None, limit: int = 5000) -> list[Asked]:
    """Requests created in [since, until) that reached a human without the KB having shown them an answer
    (created escalated or with "Did you mean …?" choices, and no choice picked); the newest `limit`, oldest
    first. `statuses` (indexed) keeps a frequent look at recent requests off the whole history."""
    answered = exists().where(AuditEvent.request_id == Request.id, or_(
        and_(AuditEvent.action == created_action, AuditEvent.to_status == answered_status),
        AuditEvent.action == picked_action))
    query = select(Request.id, Request.user_id, Request.anonymous, Request.department_id, Request.text,
                   Request.created_at).where(Request.escalated_at.is_not(None), Request.purged_at.is_(None),
                                             Request.created_at >= since, ~answered)
    if until is not None:
        query = query.where(Request.created_at < until)
    if department_id is not None:
        query = query.where(Request.department_id == department_id)
    if statuses is not None:
        query = query.where(Request.status.in_(list(statuses)))
    rows = session.execute(query.order_by(Request.created_at.desc(), Request.id.desc()).limit(limit)).all()
    return [Asked(*row) for row in reversed(rows)]


@dataclass(frozen=True)
class Resolved:
    """A resolved request with what staff wrote about it, for "past cases"."""

    id: int
    text: str
    resolution_note: str
    self_help_note: str | None
    triage_channel: str | None
    triage_ts: str | None
    resolved_at: datetime


def resolved_with_notes(session: Session, department_id: str, statuses: Iterable[str], *, exclude_id: int,
                        limit: int) -> list[Resolved]:
    """The department's `limit` newest requests in `statuses` that have a resolution note, newest first."""
    rows = session.execute(
        select(Request.id, Request.text, Request.resolution_note, Request.self_help_note, Request.triage_channel,
               Request.triage_ts, Request.resolved_at)
        .where(Request.department_id == department_id, Request.status.in_(list(statuses)),
               Request.resolution_note.is_not(None), Request.resolved_at.is_not(None),
               Request.purged_at.is_(None), Request.id != exclude_id)
        .order_by(Request.id.desc()).limit(limit)  # newest first along the primary key: no sort of the history
    ).all()
    return [Resolved(*row) for row in rows]


def audited_since(session: Session, request_ids: Sequence[int], action: str, since: datetime) -> bool:
    """Whether any of these requests has an audit row of `action` at or after `since`."""
    if not request_ids:
        return False
    return session.scalar(select(exists().where(AuditEvent.request_id.in_(list(request_ids)),
                                                AuditEvent.action == action, AuditEvent.at >= since))) or False


def serialise_spikes(session: Session) -> None:
    """Hold a lock until the transaction ends, so two requests crossing the spike threshold at once raise one
    alert (PostgreSQL; SQLite already serialises writers). Take it only when about to alert: others never wait."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SPIKE_LOCK})

