"""Shared plumbing of the domain services: the KB source, sessions, clock, notifier, audit."""
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.notifier import Notifier
from bot.records import HistoryLine, RequestView
from kb import Department, KnowledgeBase
from storage import queries
from storage.models import Request, TimerKind

log = logging.getLogger(__name__)
T = TypeVar("T")
BOT_ACTOR = "helploop"
RETRY_DELAY = timedelta(minutes=1)


class Desk:
    """What every domain service needs; one instance is shared by the lifecycle and the timers."""

    def __init__(self, sessions: sessionmaker[Session], kb: Callable[[], KnowledgeBase],
                 notifier: Notifier, clock: Clock) -> None:
        self.sessions = sessions
        self.kb = kb
        self.notifier = notifier
        self.clock = clock

    def view(self, request: Request) -> RequestView:
        """Snapshot a request row, adding the department's name and triage channel from the KB."""
        kb = self.kb()
        department = kb.departments.get(request.department_id)
        entry = kb.entries.get(request.kb_entry_id) if request.answer_ts and request.kb_entry_id else None
        return RequestView(
            id=request.id, channel_id=request.channel_id, message_ts=request.message_ts,
            reply_thread_ts=request.reply_thread_ts, user_id=request.user_id, source=request.source,
            text=request.text, department_id=request.department_id,
            department_name=department.name if department else request.department_id,
            triage_channel=request.triage_channel or (department.triage_channel if department else None),
            status=request.status, resolution=request.resolution, kb_entry_id=request.kb_entry_id,
            oncall_user_id=request.oncall_user_id, claimed_by=request.claimed_by,
            reopen_count=request.reopen_count, answer_ts=request.answer_ts,
            triage_ts=request.triage_ts, followup_channel=request.followup_channel,
            followup_ts=request.followup_ts, created_at=request.created_at,
            resolved_at=request.resolved_at, answer_text=entry.answer if entry else None,
            escalation_level=request.escalation_level, escalation_ts=request.escalation_ts,
            transfer_count=request.transfer_count,
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

    def history(self, request_id: int) -> list[HistoryLine]:
        """The request's audit trail, oldest first."""
        with self.sessions.begin() as session:
            return [HistoryLine(a.at, a.actor, a.action, a.detail)
                    for a in queries.audit_trail(session, request_id)]

    def publish_triage(self, view: RequestView, history: Sequence[HistoryLine] = ()) -> None:
        """Post the escalation to the triage channel; if Slack fails, a timer row retries it."""
        ref = self.call_slack("post triage", self.notifier.post_triage, view, history)
        if ref:
            self.record(view.id, triage_channel=ref.channel, triage_ts=ref.ts)
        else:
            self.retry_later(view.id, TimerKind.TRIAGE_RETRY)

    def retry_later(self, request_id: int, kind: TimerKind) -> None:
        """A message the employee or staff must see could not be sent: a timer row tries again."""
        now = self.clock.now()
        log.error("request %s: %s needed; retrying in %s", request_id, kind, RETRY_DELAY)
        with self.sessions.begin() as session:
            queries.schedule_timer(session, request_id, kind, now + RETRY_DELAY, now)

    def record(self, request_id: int, **values: Any) -> None:
        """Store what Slack returned (message ids) in a second, short transaction."""
        if values:
            with self.sessions.begin() as session:
                queries.set_fields(session, request_id, **values)

    def audit(self, session: Session, request_id: int, at: datetime, actor: str, action: str,
              from_status: str | None, to_status: str | None, **detail: Any) -> None:
        """Append an audit row inside the caller's transaction."""
        queries.add_audit(session, request_id, at=at, actor=actor, action=action,
                          from_status=from_status, to_status=to_status, detail=detail or None)

    def call_slack(self, what: str, fn: Callable[..., T], *args: Any) -> T | None:
        """Call the notifier; a failure is logged and never undoes the committed state change."""
        try:
            return fn(*args)
        except Exception:  # the request is already safe in the database; Slack can be retried
            log.exception("Slack call failed: %s", what)
            return None
