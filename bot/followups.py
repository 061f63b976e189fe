"""After a resolve: ask "was it really fixed?", take the answer, close as unconfirmed when none comes."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.daytime import DAYTIME, Daytime, defer
from bot.escalation import EscalationChain
from bot.messages import Messages, Notice, Posted
from bot.moves import Mover
from bot.outbox import Outbox
from bot.records import Outcome, Refusal, RequestView
from bot.requests import RequestStore, audit
from bot.states import Verb
from bot.surveys import Surveys
from bot.words import BOT_ACTOR, Action, Resolution, Status, TimerKind
from storage import queries
from storage.models import Request

STILL_WRONG_WINDOW = timedelta(days=1)  # after "No, still broken", the requester's next DM goes to the request


class Followups:
    """The follow-up question, its answers and its expiry."""

    def __init__(self, store: RequestStore, outbox: Outbox, say: Messages, chain: EscalationChain,
                 clock: Clock, surveys: Surveys | None = None, daytime: Daytime = DAYTIME) -> None:
        self.store, self.outbox, self.say, self.chain, self.clock = store, outbox, say, chain, clock
        self.mover = Mover(store, clock)
        self.surveys = surveys or Surveys(store, outbox, say, clock, daytime=daytime)  # type: ignore[arg-type]
        self.daytime = daytime

    def ask(self, timer_id: int, request_id: int) -> bool:
        """Timer: ask the requester whether a resolved request is really fixed; schedule the expiry.
        Outside the requester's daytime (their zone learnt since, or the timer ran late) it waits for the morning."""
        now = self.clock.now()
        with self.store.sessions.begin() as session:
            request = queries.get_request(session, request_id)
            if request is not None and request.status == Status.RESOLVED:
                department = self.store.department(request.department_id)
                if defer(session, self.daytime, timer_id, request.user_id, department, now):
                    return False
            queries.finish_timer(session, timer_id, now)
            if request is None or request.status != Status.RESOLVED:
                return False  # reopened or closed meanwhile: nothing to ask
            expiry = timedelta(hours=self.store.department(request.department_id).followup_expiry_hours)
            queries.schedule_timer(session, request_id, TimerKind.FOLLOWUP_EXPIRY, now + expiry, now)
            audit(session, request_id, now, BOT_ACTOR, Action.FOLLOWUP_ASKED, Status.RESOLVED, Status.RESOLVED)
            self.outbox.add(session, self.say.followup_question(self.store.view(request)), now, request_id)
        return True

    def expire(self, timer_id: int, request_id: int) -> bool:
        """Timer: nobody answered the follow-up; close as unconfirmed (never counted as a success)."""
        def then(session: Session, view: RequestView, _from: str, now: datetime) -> None:
            queries.finish_timer(session, timer_id, now)
            self._refresh_both(session, view, now)

        outcome = self.mover.act(
            Verb.EXPIRE, request_id, BOT_ACTOR, then=then,
            values=lambda _request, now: {"resolution": Resolution.UNCONFIRMED, "closed_at": now})
        if not outcome.ok:  # answered or reopened meanwhile
            with self.store.sessions.begin() as session:
                queries.finish_timer(session, timer_id, self.clock.now())
        return outcome.ok

    def verdict(self, request_id: int, user_id: str, fixed: bool) -> Outcome:
        """The requester answers "was it really fixed?": yes closes the loop, no reopens it with the claimer."""
        if fixed:
            return self.mover.act(
                Verb.CONFIRM, request_id, user_id,
                values=lambda _request, now: {"resolution": Resolution.CONFIRMED, "closed_at": now},
                then=self._after_confirm)
        return self.mover.act(
            Verb.REOPEN, request_id, user_id, then=self._after_reopen,
            values=lambda _request, _now: {"reopen_count": Request.reopen_count + 1, "resolved_at": None})

    def revive(self, request_id: int, user_id: str) -> Outcome:
        """A closed request is not fixed after all: back to the department's queue (within its reopen window)."""
        def check(request: Request) -> Refusal | None:
            window = timedelta(days=self.store.department(request.department_id).reopen_days)
            recent = request.closed_at is not None and self.clock.now() - request.closed_at <= window
            return None if recent else Refusal.TOO_LATE

        def then(session: Session, view: RequestView, _from: str, now: datetime) -> None:
            queries.cancel_timers(session, view.id, [TimerKind.RECHECK], now)
            self.chain.start(session, view.id, self.store.department(view.department_id), now)
            self._refresh_both(session, view, now)
            self.outbox.add(session, self.say.notice(view, Notice.REVIVED), now, view.id)
            self._ask_what_is_wrong(session, view, now)

        return self.mover.act(
            Verb.REVIVE, request_id, user_id, check=check, then=then,
            values=lambda _request, now: {"reopen_count": Request.reopen_count + 1, "claimed_by": None,
                                          "claimed_at": None, "resolved_at": None, "closed_at": None,
                                          "resolution": None, "escalated_at": now, "escalation_level": 0})

    def recheck_failed(self, request_id: int, user_id: str) -> Outcome:
        """ "Is it still fixed?" answered no: reopened with the person who fixed it, who is told."""
        def then(session: Session, view: RequestView, _from: str, now: datetime) -> None:
            queries.cancel_timers(session, view.id, [TimerKind.RECHECK], now)
            self.outbox.add(session, self.surveys.say.recheck_answered(view, False), now, view.id)
            self._after_reopen(session, view, _from, now)

        return self.mover.act(
            Verb.RECHECK_NO, request_id, user_id, then=then,
            values=lambda request, _now: {"reopen_count": Request.reopen_count + 1, "resolved_at": None,
                                          "closed_at": None, "resolution": None,
                                          "claimed_by": request.resolved_by or request.claimed_by})

    def _ask_what_is_wrong(self, session: Session, view: RequestView, now: datetime) -> None:
        queries.set_fields(session, view.id, awaiting_reply_until=now + STILL_WRONG_WINDOW)
        self.outbox.add(session, self.say.what_is_wrong(view), now, view.id)

    def _after_confirm(self, session: Session, view: RequestView, _from: str, now: datetime) -> None:
        queries.cancel_timers(session, view.id, [TimerKind.FOLLOWUP_EXPIRY], now)
        self._refresh_both(session, view, now)
        self.surveys.after_confirm(session, view, now)

    def _after_reopen(self, session: Session, view: RequestView, _from: str, now: datetime) -> None:
        queries.cancel_timers(session, view.id, [TimerKind.FOLLOWUP_EXPIRY], now)
        self.chain.claimed(session, view.id, self.store.department(view.department_id), now)
        self._refresh_both(session, view, now)
        self.outbox.add(session, self.say.notice(view, Notice.REOPENED), now, view.id)
        self._ask_what_is_wrong(session, view, now)

    def _refresh_both(self, session: Session, view: RequestView, now: datetime) -> None:
        self.outbox.add(session, self.say.refresh(view, Posted.FOLLOWUP), now, view.id)
        self.outbox.add(session, self.say.refresh(view, Posted.TRIAGE), now, view.id)
