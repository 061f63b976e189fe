"""Runs due timers (follow-ups, expiries, escalation steps, reminders); the scheduler only ticks."""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from bot.answer_expiry import AnswerExpiry
from bot.clock import Clock
from bot.digest import WeeklyDigest
from bot.escalation import EscalationChain
from bot.followups import Followups
from bot.messages import Messages
from bot.outbox import Outbox
from bot.pulse import Pulse
from bot.requests import RequestStore, audit, history
from bot.words import BOT_ACTOR, Action, Status, TimerKind
from storage import queries

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)        # a worker that dies mid-timer loses it after this long
MAX_ATTEMPTS = 5                    # a timer that keeps failing is given up on (and audited)


class TimerRunner:
    """Claims due timer rows in batches and carries them out."""

    def __init__(self, store: RequestStore, outbox: Outbox, say: Messages, chain: EscalationChain,
                 followups: Followups, clock: Clock, digests: WeeklyDigest | None = None,
                 pulses: Pulse | None = None) -> None:
        self.store, self.outbox, self.say, self.clock = store, outbox, say, clock
        # Each plans its departments' timers on every run (bot.digest, bot.pulse); the rows then run like any other.
        self.planners: list[WeeklyDigest | Pulse] = [p for p in (digests, pulses) if p is not None]
        self.handlers: dict[TimerKind, Callable[[int, int], bool]] = {
            TimerKind.FOLLOWUP: followups.ask,
            TimerKind.FOLLOWUP_EXPIRY: followups.expire,
            TimerKind.ANSWER_EXPIRY: AnswerExpiry(store, clock).expire,
            TimerKind.ESCALATION_STEP: chain.run_step,
            TimerKind.STALE_CLAIM: chain.remind,
            TimerKind.TRIAGE_RETRY: self._legacy_retry,
            TimerKind.ANSWER_RETRY: self._legacy_retry,
            TimerKind.RECHECK: followups.surveys.recheck,
        }
        if digests is not None:
            self.handlers[TimerKind.DIGEST] = digests.send
        if pulses is not None:
            self.handlers[TimerKind.PULSE] = pulses.send

    def run_due(self, batch: int = 100, max_batches: int = 100) -> int:
        """Run the due timers this worker can claim, batch by batch; returns how many acted."""
        done = 0
        for planner in self.planners:
            try:
                planner.plan()
            except Exception:  # planning waits for the next tick; due timers must still run
                log.exception("could not plan the %s timers", type(planner).__name__)
        for _ in range(max_batches):  # what is left waits for the next tick
            with self.store.sessions.begin() as session:
                timers = [(t.id, t.kind, t.request_id, t.attempts)
                          for t in queries.claim_due_timers(session, self.clock.now(), LEASE, batch)]
            if not timers:
                break
            for timer_id, kind, request_id, attempts in timers:
                try:
                    done += self._run_one(timer_id, kind, request_id, attempts)
                except Exception:  # one bad timer must not stop the others; its lease will expire
                    log.exception("timer %s (%s) failed", timer_id, kind)
        return done

    def _run_one(self, timer_id: int, kind: str, request_id: int | None, attempts: int) -> int:
        if attempts > MAX_ATTEMPTS:
            now = self.clock.now()
            with self.store.sessions.begin() as session:
                queries.finish_timer(session, timer_id, now)
                if request_id is None:  # a timer of no request (a digest, a pulse): the log says it
                    log.error("timer %s (%s) given up after %s tries", timer_id, kind, attempts - 1)
                    return 0
                audit(session, request_id, now, BOT_ACTOR, Action.TIMER_GAVE_UP, None, None, kind=kind,
                      attempts=attempts - 1)
            return 0
        return 1 if self.handlers[TimerKind(kind)](timer_id, request_id) else 0

    def _legacy_retry(self, timer_id: int, request_id: int) -> bool:
        # Written before the outbox existed, when a first post failed: queue the post it was for.
        now = self.clock.now()
        with self.store.sessions.begin() as session:
            request = queries.get_request(session, request_id)
            queries.finish_timer(session, timer_id, now)
            if request is None or request.status == Status.CLOSED:
                return False
            view = self.store.view(request)
            if request.status == Status.ANSWERED and not request.answer_ts and view.answer_text:
                self.outbox.add(session, self.say.answer(view, view.answer_text), now, request_id)
            elif request.status == Status.ESCALATED and not request.triage_ts:
                self.outbox.add(session, self.say.triage(view, history(session, request_id)), now, request_id)
            else:
                return False
        return True
