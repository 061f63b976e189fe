"""The pulse survey: every `pulse_days`, a department asks a seeded sample of its recent requesters how it is doing.

Off unless a department sets `feedback.pulse_days`. The sample is drawn with a random generator seeded
by (seed, department, day), so the same clock and seed pick the same people. Staff, anonymous
requesters and anyone in the department's rating cooldown are never asked. Answers are stored as
survey rows of kind "pulse" (scores 1-5), beside the ratings after a fix.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.daytime import DAYTIME, Daytime
from bot.messages import SurveyMessages
from bot.outbox import Outbox
from bot.people import LANGUAGES, language_of_locale
from bot.requests import RequestStore
from bot.surveys import DEFAULT_SEED
from bot.words import FEEDBACK_SOURCE
from kb import Department
from storage import feedback_queries as fq
from storage import people_queries


class Pulse:
    """Sends due pulse questions and takes their answers."""

    def __init__(self, store: RequestStore, outbox: Outbox, say: SurveyMessages, clock: Clock,
                 seed: str = DEFAULT_SEED, default_language: str = LANGUAGES[0], daytime: Daytime = DAYTIME) -> None:
        self.store, self.outbox, self.say, self.clock, self.seed = store, outbox, say, clock, seed
        self.default_language = default_language
        self.daytime = daytime  # each question waits for its person's daytime (bot.daytime)

    def run(self) -> int:
        """Scheduler tick: ask every department's due pulse; returns how many people were asked."""
        now = self.clock.now()
        return sum(self._department(department, now) for department in self.store.kb().departments.values()
                   if department.feedback.pulse_days)

    def _department(self, department: Department, now: datetime) -> int:
        settings = department.feedback
        with self.store.sessions.begin() as session:
            last = fq.last_pulse(session, department.id)
            if last is not None and now - last < timedelta(days=settings.pulse_days or 0):
                return 0
            since = now - timedelta(days=settings.pulse_lookback_days)
            cooldown = now - timedelta(days=settings.cooldown_days)
            people = [user for user in fq.recent_requesters(session, department.id, since, FEEDBACK_SOURCE)
                      if user not in department.staff
                      and not (settings.cooldown_days and fq.asked_since(session, user, cooldown))]
            chosen = sorted(random.Random(f"{self.seed}:{department.id}:{now.date().isoformat()}")  # noqa: S311
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
