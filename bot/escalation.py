"""The escalation chain: who is paged when, kept apart from how Slack shows it.

A request that nobody claims within the department's ack timeout pages the next step (backup layer,
then the whole staff group, then the manager). Each step is a timer row and an audit row; Slack shows
the steps as one status line in the triage thread, edited in place. Outside working hours nobody is
paged unless the department's after-hours policy says so; the chain starts when work starts.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.messages import Messages
from bot.oncall import backup_on_call, in_working_hours, next_working_start, on_call
from bot.outbox import Outbox
from bot.records import EscalationStep, RequestView
from bot.requests import RequestStore, audit
from bot.words import BOT_ACTOR, Action, Purpose, Status, TimerKind
from kb import Department
from storage import delivery_queries, queries

log = logging.getLogger(__name__)
OPEN_CLAIMED = (Status.CLAIMED, Status.REOPENED)
CHASED = [TimerKind.ESCALATION_STEP, TimerKind.STALE_CLAIM]
URGENT_STEP = "urgent"  # the page sent at once for a request marked "blocking my work"


@dataclass(frozen=True)
class Policy:
    """A department's escalation settings, with defaults filled in."""

    ack_timeout: timedelta
    steps: tuple[str, ...]
    manager: str | None
    stale_claim: timedelta
    after_hours_notify: str  # "none", "oncall", or a user id


def policy_of(department: Department) -> Policy:
    """The department's escalation policy (defaults: 30 min ack, backup/staff, 8 h stale claim)."""
    escalation = department.escalation
    hours = department.working_hours
    return Policy(
        ack_timeout=timedelta(minutes=escalation.ack_timeout_minutes),
        steps=tuple(escalation.steps),
        manager=escalation.manager,
        stale_claim=timedelta(hours=escalation.stale_claim_hours),
        after_hours_notify=hours.after_hours.notify if hours else "oncall",
    )


@dataclass(frozen=True)
class Paging:
    """Whom to page now for a new escalation, and when a reply can honestly be expected."""

    oncall_user_id: str | None
    reply_expected_from: datetime | None  # None: now (within working hours or paged after hours)


class EscalationChain:
    """Schedules, runs and stops the escalation steps and the stale-claim reminders."""

    def __init__(self, store: RequestStore, outbox: Outbox, say: Messages, clock: Clock) -> None:
        self.store, self.outbox, self.say, self.clock = store, outbox, say, clock

    def paging(self, department: Department, now: datetime) -> Paging:
        """Who is paged for a new escalation now (nobody after hours unless the policy says so)."""
        if in_working_hours(department, now):
            return Paging(on_call(department, now), None)
        notify = policy_of(department).after_hours_notify
        if notify == "none":
            return Paging(None, next_working_start(department, now))
        return Paging(on_call(department, now) if notify == "oncall" else notify, None)

    def start(self, session: Session, request_id: int, department: Department, now: datetime) -> None:
        """Inside the caller's transaction: the request is (again) waiting for a claim."""
        queries.cancel_timers(session, request_id, CHASED, now)
        policy = policy_of(department)
        if not policy.steps:
            return
        starts = self.paging(department, now).reply_expected_from or now
        queries.schedule_timer(session, request_id, TimerKind.ESCALATION_STEP, starts + policy.ack_timeout, now)

    def claimed(self, session: Session, request_id: int, department: Department, now: datetime) -> None:
        """Inside the caller's transaction: someone owns it; stop paging, watch for staleness."""
        queries.cancel_timers(session, request_id, CHASED, now)
        queries.schedule_timer(session, request_id, TimerKind.STALE_CLAIM,
                               now + policy_of(department).stale_claim, now)

    def stop(self, session: Session, request_id: int, now: datetime) -> None:
        """Inside the caller's transaction: resolved or closed; nothing more to chase."""
        queries.cancel_timers(session, request_id, CHASED, now)

    def page_urgent(self, session: Session, view: RequestView, user: str | None, now: datetime) -> None:
        """Inside the caller's transaction: page `user` (whoever the paging policy names now) at once."""
        if not user or view.status != Status.ESCALATED:
            return
        audit(session, view.id, now, BOT_ACTOR, Action.ESCALATION_STEP, view.status, view.status,
              step=URGENT_STEP, notified=[user])
        self.outbox.add(session, self.say.page(view, URGENT_STEP, user), now, view.id)
        self._show_steps(session, view, now)

    def run_step(self, timer_id: int, request_id: int) -> bool:
        """Page the next step if the request is still unclaimed; schedule the step after it."""
        now = self.clock.now()
        with self.store.sessions.begin() as session:
            request = queries.get_request(session, request_id)
            if request is None or request.status != Status.ESCALATED:
                queries.finish_timer(session, timer_id, now)
                return False
            department = self.store.department(request.department_id)
            policy = policy_of(department)
            if policy.after_hours_notify == "none" and not in_working_hours(department, now):
                # Nobody is paged at night: staff get the ack window again after opening, unless that
                # window would itself end after closing (a timeout longer than the day): then at opening.
                resume = next_working_start(department, now) or now
                due = resume + policy.ack_timeout
                queries.reschedule_timer(session, timer_id, due if in_working_hours(department, due) else resume,
                                         deferred=True)
                return False
            level = request.escalation_level
            index, step, targets = _next_targets(department, policy, level, request.oncall_user_id, now)
            # Compare-and-set on the level: two workers can never page the same step twice.
            moved = queries.transition(session, request_id, [Status.ESCALATED], Status.ESCALATED,
                                       where={"escalation_level": level}, escalation_level=index + 1)
            queries.finish_timer(session, timer_id, now)
            if not moved or step is None:
                return False
            audit(session, request_id, now, BOT_ACTOR, Action.ESCALATION_STEP, Status.ESCALATED,
                  Status.ESCALATED, step=step, notified=list(targets))
            if index + 1 < len(policy.steps):
                queries.schedule_timer(session, request_id, TimerKind.ESCALATION_STEP, now + policy.ack_timeout, now)
            session.refresh(request)
            view = self.store.view(request)
            for user in targets:
                self.outbox.add(session, self.say.page(view, step, user), now, request_id)
            self._show_steps(session, view, now)
        return True

    def remind(self, timer_id: int, request_id: int) -> bool:
        """Remind the claimer of a claimed request nobody has touched for the stale-claim period."""
        now = self.clock.now()
        with self.store.sessions.begin() as session:
            request = queries.get_request(session, request_id)
            queries.finish_timer(session, timer_id, now)
            if request is None or request.status not in OPEN_CLAIMED or not request.claimed_by:
                return False
            department = self.store.department(request.department_id)
            queries.schedule_timer(session, request_id, TimerKind.STALE_CLAIM,
                                   now + policy_of(department).stale_claim, now)
            audit(session, request_id, now, BOT_ACTOR, Action.STALE_REMINDER, request.status, request.status,
                  claimer=request.claimed_by)
            self.outbox.add(session, self.say.stale_reminder(self.store.view(request)), now, request_id)
        return True

    def _show_steps(self, session: Session, view, now: datetime) -> None:
        steps = [EscalationStep(a.at, *_step_detail(a.detail)) for a in queries.audit_trail(session, view.id)
                 if a.action == Action.ESCALATION_STEP]
        # One status line per triage thread: after a transfer the new thread gets its own.
        edit = delivery_queries.has_purpose(session, view.id, Purpose.ESCALATION, since=Purpose.TRIAGE)
        self.outbox.add(session, self.say.escalation_status(view, steps, edit), now, view.id)


def _next_targets(department: Department, policy: Policy, level: int, oncall: str | None,
                  now: datetime) -> tuple[int, str | None, tuple[str, ...]]:
    # A step with nobody new to page (backup is the on-call, no manager set) is skipped.
    for index in range(level, len(policy.steps)):
        step = policy.steps[index]
        if step == "backup":
            targets = tuple(u for u in [backup_on_call(department, now)] if u and u != oncall)
        elif step == "staff":
            targets = tuple(u for u in department.staff if u != oncall)
        else:
            targets = (policy.manager,) if policy.manager else ()
        if targets:
            return index, step, targets
    return len(policy.steps) - 1, None, ()


def _step_detail(detail: str | None) -> tuple[str, tuple[str, ...]]:
    data = json.loads(detail or "{}")
    return data.get("step", "?"), tuple(data.get("notified", ()))
