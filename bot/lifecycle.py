"""The request lifecycle: ask -> answer or escalate -> claim -> resolve -> follow-up verdict."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlalchemy.orm import Session

from bot.desk import Desk
from bot.escalation import EscalationChain
from bot.notifier import Notice, Posted
from bot.records import Outcome, Question, Refusal, RequestView
from bot.routing import route
from storage import queries
from storage.models import Request, Resolution, Status, TimerKind

log = logging.getLogger(__name__)
MAX_QUESTION_CHARS = 4000  # longer messages are kept whole in Slack; we store and match the start


class Lifecycle:
    """Every transition a person triggers; each commits first, then tells Slack."""

    def __init__(self, desk: Desk, chain: EscalationChain) -> None:
        self.desk = desk
        self.chain = chain

    # --- employee ---------------------------------------------------------------------------

    def ask(self, question: Question) -> RequestView | None:
        """Create a request for a message; answer it from the KB or escalate. None if a duplicate."""
        kb = self.desk.kb()
        text = question.text.strip()[:MAX_QUESTION_CHARS]
        result = kb.match(text)
        department = self.desk.department(route(kb, result, text))
        now = self.desk.clock.now()
        answered = result.entry is not None
        offered = [] if answered else [(c.entry.id, c.entry.questions[0]) for c in result.choices]
        status = Status.ANSWERED if answered else Status.SUGGESTED if offered else Status.ESCALATED
        escalated = status == Status.ESCALATED
        paging = self.chain.paging(department, now)
        with self.desk.sessions.begin() as session:
            request = queries.add_request(
                session, channel_id=question.channel_id,
                root_ts=question.thread_ts or question.message_ts, message_ts=question.message_ts,
                reply_thread_ts=None if question.is_direct else (question.thread_ts or question.message_ts),
                user_id=question.user_id, source=question.source, text=text,
                department_id=department.id, status=status,
                kb_entry_id=result.best.id if result.best else None,
                kb_score=result.best_score, reopen_count=0, created_at=now, updated_at=now,
                escalated_at=now if escalated else None,
                oncall_user_id=paging.oncall_user_id if escalated else None,
            )
            if request is None:
                log.info("duplicate message %s/%s ignored", question.channel_id, question.message_ts)
                return None
            self.desk.audit(session, request.id, now, question.user_id, "created", None, status,
                            entry=result.best.id if result.best else None, score=round(result.best_score, 1))
            if escalated:
                self.chain.start(session, request.id, department, now)
            view = self.desk.view(request)
        if answered:
            ref = self.desk.call_slack("send answer", self.desk.notifier.send_answer, view, result.entry.answer)
            if ref:
                self.desk.record(view.id, answer_ts=ref.ts, first_response_at=now)
            else:
                self.desk.retry_later(view.id, TimerKind.ANSWER_RETRY)
        elif offered:
            ref = self.desk.call_slack("offer choices", self.desk.notifier.offer_choices, view, offered)
            if ref:
                self.desk.record(view.id, answer_ts=ref.ts, first_response_at=now)
            else:  # the employee cannot pick from a message that never arrived: a human takes it
                self._verdict_on_answer(view.id, view.user_id, solved=False)
        else:
            self._announce_escalation(view, paging.reply_expected_from)
        return self.desk.load(view.id)

    def pick(self, request_id: int, user_id: str, entry_id: str) -> Outcome:
        """The employee picked one of the offered entries: show its answer with the usual buttons."""
        now = self.desk.clock.now()
        entry = self.desk.kb().entries.get(entry_id)
        with self.desk.sessions.begin() as session:
            request, refused = self._requester_gate(session, request_id, user_id)
            if refused or entry is None:
                return refused or Outcome.refused(Refusal.NOT_FOUND, self.desk.view(request))
            moved = queries.transition(session, request_id, [Status.SUGGESTED], Status.ANSWERED,
                                       kb_entry_id=entry.id, department_id=entry.department, updated_at=now)
            if not moved:
                return Outcome.refused(Refusal.ALREADY_DONE, self.desk.view(request))
            self.desk.audit(session, request_id, now, user_id, "picked", Status.SUGGESTED, Status.ANSWERED,
                            entry=entry.id)
        view = self.desk.load(request_id)
        self.desk.call_slack("show picked answer", self.desk.notifier.refresh, view, Posted.ANSWER)
        return Outcome(ok=True, request=view)

    def solved(self, request_id: int, user_id: str) -> Outcome:
        """The employee says the KB answer solved it: closed as self-served."""
        return self._verdict_on_answer(request_id, user_id, solved=True)

    def still_need_help(self, request_id: int, user_id: str) -> Outcome:
        """The KB answer did not help, or none of the offered entries fit: escalate to the department."""
        return self._verdict_on_answer(request_id, user_id, solved=False)

    def followup_verdict(self, request_id: int, user_id: str, fixed: bool) -> Outcome:
        """The employee answers "was it really fixed?": yes closes the loop, no reopens."""
        now = self.desk.clock.now()
        with self.desk.sessions.begin() as session:
            request, refused = self._requester_gate(session, request_id, user_id)
            if refused:
                return refused
            if fixed:
                moved = queries.transition(session, request_id, [Status.RESOLVED], Status.CLOSED,
                                           resolution=Resolution.CONFIRMED, closed_at=now, updated_at=now)
            else:
                moved = queries.transition(session, request_id, [Status.RESOLVED], Status.REOPENED,
                                           reopen_count=Request.reopen_count + 1, resolved_at=None,
                                           updated_at=now)
            if not moved:
                return Outcome.refused(Refusal.ALREADY_DONE, self.desk.view(request))
            to_status = Status.CLOSED if fixed else Status.REOPENED
            queries.cancel_timers(session, request_id, [TimerKind.FOLLOWUP_EXPIRY], now)
            if not fixed:
                self.chain.claimed(session, request_id, self.desk.department(request.department_id), now)
            self.desk.audit(session, request_id, now, user_id, "confirmed" if fixed else "reopened",
                            Status.RESOLVED, to_status)
        view = self.desk.load(request_id)
        notifier = self.desk.notifier
        self.desk.call_slack("refresh follow-up", notifier.refresh, view, Posted.FOLLOWUP)
        self.desk.call_slack("refresh triage", notifier.refresh, view, Posted.TRIAGE)
        if not fixed:
            self.desk.call_slack("tell claimer", notifier.notify, view, Notice.REOPENED)
        return Outcome(ok=True, request=view)

    # --- support staff ----------------------------------------------------------------------

    def claim(self, request_id: int, user_id: str) -> Outcome:
        """A staff member takes the request; exactly one concurrent claimer wins."""
        now = self.desk.clock.now()
        with self.desk.sessions.begin() as session:
            request, refused = self._staff_gate(session, request_id, user_id)
            if refused:
                return refused
            won = queries.transition(
                session, request_id, [Status.ESCALATED], Status.CLAIMED, claimed_by=user_id,
                claimed_at=now, updated_at=now,
                first_response_at=func.coalesce(Request.first_response_at, now),
            )
            if not won:
                session.refresh(request)
                already = Refusal.ALREADY_CLAIMED if request.claimed_by else Refusal.ALREADY_DONE
                return Outcome.refused(already, self.desk.view(request))
            self.chain.claimed(session, request_id, self.desk.department(request.department_id), now)
            self.desk.audit(session, request_id, now, user_id, "claimed", Status.ESCALATED, Status.CLAIMED)
        view = self.desk.load(request_id)
        self.desk.call_slack("refresh triage", self.desk.notifier.refresh, view, Posted.TRIAGE)
        self.desk.call_slack("tell requester", self.desk.notifier.notify, view, Notice.CLAIMED)
        return Outcome(ok=True, request=view)

    def unclaim(self, request_id: int, user_id: str) -> Outcome:
        """The claimer gives the request back to the triage queue."""
        now = self.desk.clock.now()
        with self.desk.sessions.begin() as session:
            request, refused = self._staff_gate(session, request_id, user_id)
            if refused:
                return refused
            if request.claimed_by != user_id:
                return Outcome.refused(Refusal.NOT_CLAIMER, self.desk.view(request))
            from_status = request.status
            moved = queries.transition(session, request_id, [Status.CLAIMED, Status.REOPENED],
                                       Status.ESCALATED, where={"claimed_by": user_id},
                                       claimed_by=None, claimed_at=None, updated_at=now,
                                       escalation_level=0, escalation_ts=None)
            if not moved:
                return Outcome.refused(Refusal.ALREADY_DONE, self.desk.view(request))
            self.chain.start(session, request_id, self.desk.department(request.department_id), now)
            self.desk.audit(session, request_id, now, user_id, "unclaimed", from_status, Status.ESCALATED)
        view = self.desk.load(request_id)
        self.desk.call_slack("refresh triage", self.desk.notifier.refresh, view, Posted.TRIAGE)
        return Outcome(ok=True, request=view)

    def resolve(self, request_id: int, user_id: str) -> Outcome:
        """Staff mark the request resolved; the follow-up is scheduled per the department's delay."""
        now = self.desk.clock.now()
        with self.desk.sessions.begin() as session:
            request, refused = self._staff_gate(session, request_id, user_id)
            if refused:
                return refused
            from_status = request.status
            moved = queries.transition(session, request_id, [Status.CLAIMED, Status.REOPENED],
                                       Status.RESOLVED, resolved_at=now, updated_at=now,
                                       followup_channel=None, followup_ts=None)
            if not moved:
                return Outcome.refused(Refusal.ALREADY_DONE, self.desk.view(request))
            department = self.desk.department(request.department_id)
            delay = department.followup_delay_hours
            self.chain.stop(session, request_id, now)
            queries.cancel_timers(session, request_id, [TimerKind.FOLLOWUP, TimerKind.FOLLOWUP_EXPIRY], now)
            queries.schedule_timer(session, request_id, TimerKind.FOLLOWUP, now + timedelta(hours=delay), now)
            self.desk.audit(session, request_id, now, user_id, "resolved", from_status, Status.RESOLVED)
        view = self.desk.load(request_id)
        self.desk.call_slack("refresh triage", self.desk.notifier.refresh, view, Posted.TRIAGE)
        self.desk.call_slack("tell requester", self.desk.notifier.notify, view, Notice.RESOLVED)
        return Outcome(ok=True, request=view)

    # --- internals --------------------------------------------------------------------------

    def _verdict_on_answer(self, request_id: int, user_id: str, solved: bool) -> Outcome:
        now = self.desk.clock.now()
        with self.desk.sessions.begin() as session:
            request, refused = self._requester_gate(session, request_id, user_id)
            if refused:
                return refused
            if solved:
                moved = queries.transition(session, request_id, [Status.ANSWERED], Status.CLOSED,
                                           resolution=Resolution.SELF_SERVED, closed_at=now,
                                           resolved_at=now, updated_at=now)
            else:
                department = self.desk.department(request.department_id)
                paging = self.chain.paging(department, now)
                moved = queries.transition(session, request_id, [Status.ANSWERED, Status.SUGGESTED],
                                           Status.ESCALATED,
                                           escalated_at=now, updated_at=now,
                                           oncall_user_id=paging.oncall_user_id)
                if moved:
                    self.chain.start(session, request_id, department, now)
            if not moved:
                return Outcome.refused(Refusal.ALREADY_DONE, self.desk.view(request))
            from_status, to_status = request.status, Status.CLOSED if solved else Status.ESCALATED
            self.desk.audit(session, request_id, now, user_id, "self_served" if solved else "escalated",
                            from_status, to_status)
        view = self.desk.load(request_id)
        posted = Posted.CHOICES if from_status == Status.SUGGESTED else Posted.ANSWER
        self.desk.call_slack("refresh answer", self.desk.notifier.refresh, view, posted)
        if not solved:
            self._announce_escalation(view, paging.reply_expected_from)
        return Outcome(ok=True, request=self.desk.load(request_id))

    def _announce_escalation(self, view: RequestView, reply_expected_from: datetime | None) -> None:
        self.desk.call_slack("escalation notice", self.desk.notifier.send_escalation_notice, view,
                             reply_expected_from)
        self.desk.publish_triage(view)

    def _requester_gate(self, session: Session, request_id: int, user_id: str) -> tuple[Request, Outcome | None]:
        """The request, or the refusal for anyone but the employee who asked."""
        request = queries.get_request(session, request_id)
        if request is None:
            return request, Outcome.refused(Refusal.NOT_FOUND)
        if request.user_id != user_id:
            return request, Outcome.refused(Refusal.NOT_REQUESTER, self.desk.view(request))
        return request, None

    def _staff_gate(self, session: Session, request_id: int, user_id: str) -> tuple[Request, Outcome | None]:
        """The request, or the refusal for a user who is not staff of its department."""
        request = queries.get_request(session, request_id)
        if request is None:
            return request, Outcome.refused(Refusal.NOT_FOUND)
        if user_id not in self.desk.department(request.department_id).staff:
            return request, Outcome.refused(Refusal.NOT_STAFF, self.desk.view(request))
        return request, None
