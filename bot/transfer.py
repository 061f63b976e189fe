"""Transfers: a department hands a request to another one, with its history and a note."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.capture import Capture
from bot.clock import Clock
from bot.escalation import EscalationChain
from bot.messages import Messages
from bot.moves import Mover
from bot.outbox import Outbox
from bot.records import Outcome, Refusal, RequestView, Transfer
from bot.requests import RequestStore, history
from bot.states import Verb, can
from storage import queries
from storage.models import Request

NOTE_CHARS = 500


class Transfers:
    """Moves requests between departments; every move is audited and counted."""

    def __init__(self, store: RequestStore, outbox: Outbox, say: Messages, chain: EscalationChain,
                 clock: Clock, capture: Capture | None = None) -> None:
        self.store, self.outbox, self.say, self.chain, self.clock = store, outbox, say, chain, clock
        self.mover = Mover(store, clock)
        self.capture = capture  # the new department's past cases under the new triage post

    def choices(self, request_id: int, user_id: str) -> tuple[Outcome, list[tuple[str, str]]]:
        """The departments this staff member may transfer the request to, as (id, name)."""
        with self.store.sessions.begin() as session:
            request = queries.get_request(session, request_id)
            view = self.store.view(request) if request else None
        if view is None:
            return Outcome.refused(Refusal.NOT_FOUND), []
        if user_id not in self.store.department(view.department_id).staff:
            return Outcome.refused(Refusal.NOT_STAFF, view), []
        if not can(Verb.TRANSFER, view.status):
            return Outcome.refused(Refusal.ALREADY_DONE, view), []
        others = [(d.id, d.name) for d in self.store.kb().departments.values() if d.id != view.department_id]
        return Outcome(ok=True, request=view), others

    def transfer(self, request_id: int, user_id: str, to_department: str, note: str | None) -> Outcome:
        """Move the request to another department's triage queue; the employee is told once."""
        target = self.store.kb().departments.get(to_department)
        note = (note or "").strip()[:NOTE_CHARS] or None
        source: dict[str, RequestView] = {}

        def check(request: Request) -> Refusal | None:
            if target is None:
                return Refusal.UNKNOWN_DEPARTMENT
            if target.id == request.department_id:
                return Refusal.SAME_DEPARTMENT
            source["view"] = self.store.view(request)
            return None

        def values(request: Request, now: datetime) -> dict:
            return dict(department_id=target.id, claimed_by=None, claimed_at=None, triage_channel=None,
                        triage_ts=None, escalation_ts=None, escalation_level=0,
                        transfer_count=Request.transfer_count + 1, escalated_at=now,
                        oncall_user_id=self.chain.paging(target, now).oncall_user_id)

        def then(session: Session, view: RequestView, _from: str, now: datetime) -> None:
            before = source["view"]
            move = Transfer(before.department_name, target.name, user_id, note, before.triage_channel,
                            before.triage_ts)
            self.chain.start(session, view.id, target, now)
            self.outbox.add(session, self.say.transferred_away(view, move), now, view.id)
            reply_from = self.chain.paging(target, now).reply_expected_from
            self.outbox.add(session, self.say.requester_transferred(view, move, reply_from), now, view.id)
            self.outbox.add(session, self.say.triage(view, history(session, view.id)), now, view.id)
            if self.capture is not None:
                self.capture.show_past_cases(session, view, now)

        # Conditional on the department too: of two concurrent transfers only the first moves it.
        return self.mover.act(Verb.TRANSFER, request_id, user_id, check=check, values=values, then=then,
                              where=lambda request: {"department_id": request.department_id},
                              detail=lambda request: {"from_department": request.department_id,
                                                      "to_department": to_department, "note": note})
