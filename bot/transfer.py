"""Transfers: a department hands a request to another one, with its history and a note."""
from __future__ import annotations

from sqlalchemy.orm import Session

from bot.desk import Desk
from bot.escalation import EscalationChain
from bot.records import Outcome, Refusal, Transfer
from storage import queries
from storage.models import Request, Status

TRANSFERABLE = (Status.ESCALATED, Status.CLAIMED, Status.REOPENED)


class Transfers:
    """Moves requests between departments; every move is audited and counted."""

    def __init__(self, desk: Desk, chain: EscalationChain) -> None:
        self.desk = desk
        self.chain = chain

    def choices(self, request_id: int, user_id: str) -> tuple[Outcome, list[tuple[str, str]]]:
        """The departments this staff member may transfer the request to, as (id, name)."""
        with self.desk.sessions.begin() as session:
            request = queries.get_request(session, request_id)
            refusal = self._refusal(session, request, user_id)
            if refusal:
                return Outcome.refused(refusal, self.desk.view(request) if request else None), []
            view = self.desk.view(request)
        others = [(d.id, d.name) for d in self.desk.kb().departments.values() if d.id != view.department_id]
        return Outcome(ok=True, request=view), others

    def transfer(self, request_id: int, user_id: str, to_department: str, note: str | None) -> Outcome:
        """Move the request to another department's triage queue; the employee is told once."""
        now = self.desk.clock.now()
        target = self.desk.kb().departments.get(to_department)
        note = (note or "").strip()[:500] or None
        with self.desk.sessions.begin() as session:
            request = queries.get_request(session, request_id)
            refusal = self._refusal(session, request, user_id)
            if refusal is None and target is None:
                refusal = Refusal.UNKNOWN_DEPARTMENT
            if refusal is None and target.id == request.department_id:
                refusal = Refusal.SAME_DEPARTMENT
            if refusal:
                return Outcome.refused(refusal, self.desk.view(request) if request else None)
            source = self.desk.view(request)
            paging = self.chain.paging(target, now)
            moved = queries.transition(
                session, request_id, list(TRANSFERABLE), Status.ESCALATED,
                where={"department_id": request.department_id},
                department_id=target.id, claimed_by=None, claimed_at=None, triage_channel=None,
                triage_ts=None, escalation_ts=None, escalation_level=0,
                transfer_count=Request.transfer_count + 1, oncall_user_id=paging.oncall_user_id,
                escalated_at=now, updated_at=now,
            )
            if not moved:
                return Outcome.refused(Refusal.ALREADY_DONE, source)
            self.chain.start(session, request_id, target, now)
            self.desk.audit(session, request_id, now, user_id, "transferred", source.status, Status.ESCALATED,
                            from_department=source.department_id, to_department=target.id, note=note)
        view = self.desk.load(request_id)
        move = Transfer(source.department_name, target.name, user_id, note, source.triage_channel, source.triage_ts)
        self.desk.call_slack("transferred", self.desk.notifier.transferred, view, move,
                             paging.reply_expected_from)
        self.desk.publish_triage(view, self.desk.history(request_id))
        return Outcome(ok=True, request=self.desk.load(request_id))

    def _refusal(self, session: Session, request: Request | None, user_id: str) -> Refusal | None:
        if request is None:
            return Refusal.NOT_FOUND
        if user_id not in self.desk.department(request.department_id).staff:
            return Refusal.NOT_STAFF
        if request.status not in TRANSFERABLE:
            return Refusal.ALREADY_DONE
        return None
