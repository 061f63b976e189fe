"""The pulse survey: every `pulse_days`, a department asks a seeded sample of its recent requesters how it is doing.

Off unless a department sets `feedback.pulse_days`. Pulses keep a fixed calendar, so every replica plans the same
time: every `pulse_days` local days counted from Monday 1 January 2024, at 10:00 in the department's zone (a weekly
pulse comes on Mondays). One timer row per department is due at its next pulse; a tick plans the missing ones (a
unique due time per department, so two replicas plan one row) and the runner claims due rows (one worker wins).
Asking finishes the row with a conditional UPDATE, queues the questions and plans the next pulse, all in one
transaction; a removed or changed `pulse_days` cancels or moves the planned row (bot.digest works the same way).
The sample is drawn with a random generator seeded by (seed, department, the pulse's local day), so the same seed
picks the same people. Staff, anonymous requesters and anyone in the department's rating cooldown are never asked;
each question waits for its person's daytime. Answers are survey rows of kind "pulse" (scores 1-5), beside the
ratings after a fix.
"""
from __future__ import annotations

import logging
import random
from datetime import date, datetime, time, timedelta

from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.daytime import DAYTIME, Daytime
from bot.digest import plan_department_timers, zone_of
from bot.messages import SurveyMessages
from bot.oncall import local_instant
from bot.outbox import Outbox
from bot.people import LANGUAGES, language_of_locale
from bot.requests import RequestStore
from bot.surveys import DEFAULT_SEED
from bot.words import FEEDBACK_SOURCE, TimerKind
from kb import Department
from storage import digest_queries as dq
from storage import feedback_queries as fq
from storage import people_queries

log = logging.getLogger(__name__)
EPOCH = date(2024, 1, 1)  # a Monday: pulse days are counted from it, so a weekly pulse comes on Mondays
PULSE_TIME = time(10)     # in the department's zone; each question then waits for its person's daytime


def next_due(department: Department, after: datetime) -> datetime:
    """The first pulse time strictly after `after`: every `pulse_days` local days from EPOCH, at PULSE_TIME."""
    every, zone = department.feedback.pulse_days, zone_of(department)
    assert every is not None
    day = after.astimezone(zone).date()
    day += timedelta(days=-(day - EPOCH).days % every)  # the first pulse day on or after `after`'s local day
    while (at := local_instant(day, PULSE_TIME, zone)) <= after:
        day += timedelta(days=every)
    return at


class Pulse:
    """Plans each department's pulse timer, asks the pulse when it is due and takes the answers."""

    def __init__(self, store: RequestStore, outbox: Outbox, say: SurveyMessages, clock: Clock,
                 seed: str = DEFAULT_SEED, default_language: str = LANGUAGES[0], daytime: Daytime = DAYTIME) -> None:
        self.store, self.outbox, self.say, self.clock, self.seed = store, outbox, say, clock, seed
        self.default_language = default_language
        self.daytime = daytime  # each question waits for its person's daytime (bot.daytime)

    def plan(self) -> int:
        """Tick: give every department with a pulse its next timer (and drop or move those whose setting changed);
        returns how many were planned."""
        now = self.clock.now()
        wanted = {d.id: next_due(d, now) for d in self.store.kb().departments.values() if d.feedback.pulse_days}
        if not wanted:  # no write transaction every tick; a row left from a switched-off pulse ends when due
            return 0
        return plan_department_timers(self.store.sessions, TimerKind.PULSE, wanted, now)

    def send(self, timer_id: int, _request_id: int | None = None) -> bool:
        """Timer: ask the department's sample and plan its next pulse, in one transaction."""
        now = self.clock.now()
        with self.store.sessions.begin() as session:
            timer = dq.get_timer(session, timer_id)
            if timer is None:
                return False
            due, attempts = timer.due_at, timer.attempts
            department = self.store.kb().departments.get(timer.subject or "")
            if not dq.finish_held(session, timer_id, attempts, now):
                return False  # the lease ran out and another worker took it: it asks this pulse
            if department is None or not department.feedback.pulse_days:
                return False  # switched off after it was planned: the row ends, nobody is asked
            asked = self._ask(session, department, due, now)
            dq.plan(session, TimerKind.PULSE, department.id, next_due(department, max(now, due)), now)
        log.info("pulse survey of %s: %d asked", department.id, asked)
        return True

    def _ask(self, session: Session, department: Department, due: datetime, now: datetime) -> int:
        settings = department.feedback
        since = now - timedelta(days=settings.pulse_lookback_days)
        cooldown = now - timedelta(days=settings.cooldown_days)
        people = [user for user in fq.recent_requesters(session, department.id, since, FEEDBACK_SOURCE)
                  if user not in department.staff
                  and not (settings.cooldown_days and fq.asked_since(session, user, cooldown))]
        day = due.astimezone(zone_of(department)).date().isoformat()
        chosen = sorted(random.Random(f"{self.seed}:{department.id}:{day}")  # noqa: S311
                        .sample(people, min(settings.pulse_sample, len(people))))
        for user in chosen:
            survey = fq.save_survey(session, None, fq.PULSE, department_id=department.id, staff_id=None,
                                    user_id=user, sampled=True, skipped=None, asked_at=now)
            self.outbox.add(session, self.say.pulse_question(user, department.name, survey.id,
                                                             self._language(session, user)), now,
                            not_before=self.daytime.due(session, user, department, now))
        return len(chosen)

    def _language(self, session: Session, user_id: str) -> str:
        # The person's Slack language as last cached (a timer never calls Slack), else the default.
        record = people_queries.get_person(session, user_id)
        return (language_of_locale(record.locale) if record else None) or self.default_language

    def answer(self, survey_id: int, user_id: str, score: int) -> str | None:
        """Someone answers their pulse question; returns the department's name, or None if it was not theirs."""
        now = self.clock.now()
        with self.store.sessions.begin() as session:
            survey = fq.get_survey(session, survey_id)
            if survey is None or survey.kind != fq.PULSE or survey.user_id != user_id or not 1 <= score <= 5:
                return None
            fq.answer_survey(session, survey_id, score=score, answered_at=now)
            return self.store.department(survey.department_id).name
