"""Runs due timers (follow-ups, expiries, retries); the scheduler only calls `run_due` on a tick."""
from __future__ import annotations

import logging
from datetime import timedelta

from bot.desk import BOT_ACTOR, Desk
from bot.notifier import Posted
from storage import queries
from storage.models import Resolution, Status, TimerKind

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)        # a worker that dies mid-timer loses it after this long
MAX_ATTEMPTS = 5                    # a timer that keeps failing is given up on (and audited)
RETRY_DELAY = timedelta(minutes=1)


class TimerRunner:
    """Claims due timer rows one by one (conditional UPDATE) and carries them out."""

    def __init__(self, desk: Desk, worker: str = "worker") -> None:
        self.desk = desk
        self.worker = worker

    def run_due(self, limit: int = 200) -> int:
        """Run every due timer this worker can claim; returns how many it carried out."""
        now = self.desk.clock.now()
        with self.desk.sessions.begin() as session:
            ids = queries.due_timer_ids(session, now, limit)
        done = 0
        for timer_id in ids:
            try:
                done += self._run_one(timer_id)
            except Exception:  # one bad timer must not stop the others; its lease will expire
                log.exception("timer %s failed", timer_id)
        return done

    def _run_one(self, timer_id: int) -> int:
        now = self.desk.clock.now()
        with self.desk.sessions.begin() as session:
            timer = queries.claim_timer(session, timer_id, now, LEASE)
            if timer is None:
                return 0
            kind, request_id, attempts = timer.kind, timer.request_id, timer.attempts
            if attempts > MAX_ATTEMPTS:
                queries.finish_timer(session, timer_id, now)
                self.desk.audit(session, request_id, now, BOT_ACTOR, f"{kind}_gave_up", None, None,
                                attempts=attempts - 1)
                return 0
        handler = {
            TimerKind.FOLLOWUP: self._ask_followup,
            TimerKind.FOLLOWUP_EXPIRY: self._expire_followup,
            TimerKind.TRIAGE_RETRY: self._retry_triage,
        }[TimerKind(kind)]
        handled = handler(timer_id, request_id)
        return 1 if handled else 0

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
        department = self.desk.kb().departments.get(view.department_id)
        expiry = timedelta(hours=department.followup_expiry_hours if department else 72.0)
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
        ref = self.desk.call_slack("post triage", self.desk.notifier.post_triage, view)
        if ref is None:
            self._retry_later(timer_id)
            return False
        now = self.desk.clock.now()
        with self.desk.sessions.begin() as session:
            queries.set_fields(session, request_id, triage_channel=ref.channel, triage_ts=ref.ts)
            queries.finish_timer(session, timer_id, now)
        return True

    def _finish(self, timer_id: int) -> None:
        with self.desk.sessions.begin() as session:
            queries.finish_timer(session, timer_id, self.desk.clock.now())

    def _retry_later(self, timer_id: int) -> None:
        # Slack failed: hand the row back as pending a little later instead of waiting out the lease.
        with self.desk.sessions.begin() as session:
            queries.reschedule_timer(session, timer_id, self.desk.clock.now() + RETRY_DELAY)
