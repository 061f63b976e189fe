"""Runs due timers (follow-ups, expiries, retries); the scheduler only calls `run_due` on a tick."""
from __future__ import annotations

import logging
from datetime import timedelta

from bot.desk import BOT_ACTOR, RETRY_DELAY, Desk
from bot.escalation import EscalationChain
from bot.notifier import Posted
from storage import queries
from storage.models import Resolution, Status, TimerKind

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)        # a worker that dies mid-timer loses it after this long
MAX_ATTEMPTS = 5                    # a timer that keeps failing is given up on (and audited)


class TimerRunner:
    """Claims due timer rows one by one (conditional UPDATE) and carries them out."""

    def __init__(self, desk: Desk, chain: EscalationChain) -> None:
        self.desk = desk
        self.handlers = {
            TimerKind.FOLLOWUP: self._ask_followup,
            TimerKind.FOLLOWUP_EXPIRY: self._expire_followup,
            TimerKind.TRIAGE_RETRY: self._retry_triage,
            TimerKind.ANSWER_RETRY: self._retry_answer,
            TimerKind.ESCALATION_STEP: chain.run_step,
            TimerKind.STALE_CLAIM: chain.remind,
        }

    def run_due(self, batch: int = 100, max_batches: int = 100) -> int:
        """Run the due timers this worker can claim, batch by batch; returns how many acted."""
        done = 0
        for _ in range(max_batches):  # what is left waits for the next tick
            now = self.desk.clock.now()
            with self.desk.sessions.begin() as session:
                timers = [(t.id, t.kind, t.request_id, t.attempts)
                          for t in queries.claim_due_timers(session, now, LEASE, batch)]
            if not timers:
                break
            for timer_id, kind, request_id, attempts in timers:
                try:
                    done += self._run_one(timer_id, kind, request_id, attempts)
                except Exception:  # one bad timer must not stop the others; its lease will expire
                    log.exception("timer %s (%s) failed", timer_id, kind)
        return done

    def _run_one(self, timer_id: int, kind: str, request_id: int, attempts: int) -> int:
        if attempts > MAX_ATTEMPTS:
            now = self.desk.clock.now()
            with self.desk.sessions.begin() as session:
                queries.finish_timer(session, timer_id, now)
                self.desk.audit(session, request_id, now, BOT_ACTOR, f"{kind}_gave_up", None, None,
                                attempts=attempts - 1)
            return 0
        return 1 if self.handlers[TimerKind(kind)](timer_id, request_id) else 0

    def _ask_followup(self, timer_id: int, request_id: int) -> bool:
        view = self.desk.load(request_id)
        if view is None or view.status != Status.RESOLVED or view.followup_ts:
            self._finish(timer_id)  # reopened, closed or already asked: nothing to do
            return False
        ref = self.desk.call_slack("ask follow-up", self.desk.notifier.ask_followup, view)
        if ref is None:
            self._retry_later(timer_id)
            return False
        now = self.desk.clock.now()
        expiry = timedelta(hours=self.desk.department(view.department_id).followup_expiry_hours)
        with self.desk.sessions.begin() as session:
            queries.set_fields(session, request_id, followup_channel=ref.channel, followup_ts=ref.ts)
            queries.schedule_timer(session, request_id, TimerKind.FOLLOWUP_EXPIRY, now + expiry, now)
            queries.finish_timer(session, timer_id, now)
            self.desk.audit(session, request_id, now, BOT_ACTOR, "followup_asked", Status.RESOLVED,
                            Status.RESOLVED)
        return True

    def _expire_followup(self, timer_id: int, request_id: int) -> bool:
        now = self.desk.clock.now()
        with self.desk.sessions.begin() as session:
            closed = queries.transition(session, request_id, [Status.RESOLVED], Status.CLOSED,
                                        resolution=Resolution.UNCONFIRMED, closed_at=now, updated_at=now)
            queries.finish_timer(session, timer_id, now)
            if closed:
                self.desk.audit(session, request_id, now, BOT_ACTOR, "followup_expired",
                                Status.RESOLVED, Status.CLOSED)
        if closed:
            view = self.desk.load(request_id)
            self.desk.call_slack("refresh follow-up", self.desk.notifier.refresh, view, Posted.FOLLOWUP)
            self.desk.call_slack("refresh triage", self.desk.notifier.refresh, view, Posted.TRIAGE)
        return closed

    def _retry_triage(self, timer_id: int, request_id: int) -> bool:
        view = self.desk.load(request_id)
        if view is None or view.triage_ts or view.status == Status.CLOSED:
            self._finish(timer_id)
            return False
        ref = self.desk.call_slack("post triage", self.desk.notifier.post_triage, view,
                                   self.desk.history(request_id) if view.transfer_count else ())
        if ref is None:
            self._retry_later(timer_id)
            return False
        now = self.desk.clock.now()
        with self.desk.sessions.begin() as session:
            queries.set_fields(session, request_id, triage_channel=ref.channel, triage_ts=ref.ts)
            queries.finish_timer(session, timer_id, now)
        return True

    def _retry_answer(self, timer_id: int, request_id: int) -> bool:
        view = self.desk.load(request_id)
        entry = self.desk.kb().entries.get(view.kb_entry_id or "") if view else None
        if view is None or view.answer_ts or view.status != Status.ANSWERED or entry is None:
            self._finish(timer_id)  # answered meanwhile, moved on, or the entry left the KB
            return False
        ref = self.desk.call_slack("send answer", self.desk.notifier.send_answer, view, entry.answer)
        if ref is None:
            self._retry_later(timer_id)
            return False
        now = self.desk.clock.now()
        with self.desk.sessions.begin() as session:
            queries.set_fields(session, request_id, answer_ts=ref.ts, first_response_at=now)
            queries.finish_timer(session, timer_id, now)
        return True

    def _finish(self, timer_id: int) -> None:
        with self.desk.sessions.begin() as session:
            queries.finish_timer(session, timer_id, self.desk.clock.now())

    def _retry_later(self, timer_id: int) -> None:
        # Slack failed: hand the row back as pending a little later instead of waiting out the lease.
        with self.desk.sessions.begin() as session:
            queries.reschedule_timer(session, timer_id, self.desk.clock.now() + RETRY_DELAY)
