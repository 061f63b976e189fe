"""Reading requests in the domain's terms: a row becomes a RequestView with its department's details."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.records import HistoryLine, RequestView
from bot.words import Resolution, Status
from kb import Department, KnowledgeBase
from storage import queries
from storage.models import Request


class RequestStore:
    """Sessions plus the KB being served: what every domain service reads requests with."""

    def __init__(self, sessions: sessionmaker[Session], kb: Callable[[], KnowledgeBase]) -> None:
        self.sessions = sessions
        self.kb = kb

    def view(self, request: Request) -> RequestView:
        """Snapshot a request row, adding the department's name and triage channel from the KB."""
        kb = self.kb()
        department = kb.departments.get(request.department_id)
        entry = kb.entries.get(request.kb_entry_id) if request.kb_entry_id else None
        return RequestView(
            id=request.id, channel_id=request.channel_id, message_ts=request.message_ts,
            reply_thread_ts=request.reply_thread_ts, user_id=request.user_id, source=request.source,
            text=request.text, department_id=request.department_id,
            department_name=department.name if department else request.department_id,
            triage_channel=request.triage_channel or (department.triage_channel if department else None),
            status=Status(request.status),
            resolution=Resolution(request.resolution) if request.resolution else None, kb_entry_id=request.kb_entry_id,
            oncall_user_id=request.oncall_user_id, claimed_by=request.claimed_by,
            reopen_count=request.reopen_count, answer_ts=request.answer_ts,
            triage_ts=request.triage_ts, followup_channel=request.followup_channel,
            followup_ts=request.followup_ts, created_at=request.created_at,
            resolved_at=request.resolved_at, answer_text=entry.answer_for(request.language) if entry else None,
            escalation_level=request.escalation_level, escalation_ts=request.escalation_ts,
            transfer_count=request.transfer_count, resolved_by=request.resolved_by, closed_at=request.closed_at,
            anonymous=request.anonymous, resolution_note=request.resolution_note,
            self_help_note=request.self_help_note, first_human_reply_at=request.first_human_reply_at,
            language=request.language or "en", staff_language=department.language if department else "en",
            urgent=bool(request.urgent),
        )

    def load(self, request_id: int) -> RequestView | None:
        """The current state of a request, read in its own short transaction."""
        with self.sessions.begin() as session:
            request = queries.get_request(session, request_id)
            return self.view(request) if request else None

    def department(self, department_id: str) -> Department:
        """A department by id; one removed from the KB since falls back to the default department."""
        kb = self.kb()
        return kb.departments.get(department_id) or kb.departments[kb.default_department]


def history(session: Session, request_id: int) -> list[HistoryLine]:
    """The request's audit trail, oldest first."""
    return [HistoryLine(a.at, a.actor, a.action, a.detail) for a in queries.audit_trail(session, request_id)]


def audit(session: Session, request_id: int, at: datetime, actor: str, action: str,
          from_status: str | None, to_status: str | None, **detail: Any) -> None:
    """Append an audit row inside the caller's transaction."""
    queries.add_audit(session, request_id, at=at, actor=actor, action=action, from_status=from_status,
                      to_status=to_status, detail=detail or None)
