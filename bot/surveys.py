"""Ratings after a confirmed fix, with survey-fatigue controls, and the later "Is it still fixed?" re-check.

Whether someone is asked for a rating is decided when they confirm a fix, deterministically: staff never
rate their own requests; a department's `sample_rate` keeps a fixed share of requests (chosen by a
hash of a seed and the request id, so the same request always gets the same answer and tests can
predict it); someone asked within `cooldown_days` is not asked again. A request keeps one survey row,
so one reopened and resolved again is rated once, on its final outcome.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.daytime import DAYTIME, Daytime, defer
from bot.messages import SurveyMessages
from bot.moves import requester_of
from bot.outbox import Outbox
from bot.records import Outcome, Refusal, RequestView
from bot.requests import RequestStore, audit
from bot.words import ANONYMOUS_ACTOR, BOT_ACTOR, FEEDBACK_SOURCE, Action, Resolution, Status, TimerKind
from kb import Department
from storage import feedback_queries as fq
from storage import queries
from storage.models import Request, Survey

COMMENT_CHARS = 2000
DEFAULT_SEED = "helploop"


class Skip:
    """Why someone was not asked for a rating (stored on the survey row)."""

    OWN = "own"                  # the requester is staff of the department, or resolved it themselves
    NOT_SAMPLED = "not_sampled"  # outside the department's sample_rate
    COOLDOWN = "cooldown"        # asked for another rating within cooldown_days


def sampled(seed: str, request_id: int, rate: float) -> bool:
    """True when the request falls in the sampled share `rate` (0..1); the same inputs give the same answer."""
    if rate >= 1:
        return True
    if rate <= 0:
        return False
    digest = hashlib.sha256(f"{seed}:{request_id}".encode()).hexdigest()
    return int(digest[:12], 16) / float(16 ** 12) < rate


class Surveys:
    """Asks for a rating after a confirmed fix, takes the rating and the comment, runs the re-check."""

    def __init__(self, store: RequestStore, outbox: Outbox, say: SurveyMessages, clock: Clock,
                 seed: str = DEFAULT_SEED, daytime: Daytime = DAYTIME) -> None:
        self.store, self.outbox, self.say, self.clock, self.seed = store, outbox, say, clock, seed
        self.daytime = daytime  # the re-check waits for the requester's daytime (bot.daytime)

    # --- inside the confirmation's transaction ------------------------------------------------

    def after_confirm(self, session: Session, view: RequestView, now: datetime) -> None:
        """The requester confirmed the fix: maybe ask for a rating; schedule the re-check if the department has one."""
        if view.source == FEEDBACK_SOURCE:
            return  # feedback about a department is neither rated nor re-checked
        department = self.store.department(view.department_id)
        queries.cancel_timers(session, view.id, [TimerKind.RECHECK], now)
        if department.feedback.recheck_days:
            due = self.daytime.due(session, view.user_id, department,
                                   now + timedelta(days=department.feedback.recheck_days))
            queries.schedule_timer(session, view.id, TimerKind.RECHECK, due, now)
        request = queries.get_request(session, view.id)
        requester = requester_of(session, request)
        skip = self._skip(session, request, requester, department, now)
        fq.save_survey(session, view.id, fq.RATING, department_id=view.department_id,
                       staff_id=view.resolved_by or view.claimed_by,
                       user_id=None if request.anonymous else requester, sampled=skip is None, skipped=skip,
                       asked_at=now, score=None, comment=None, answered_at=None)
        if skip is None:  # the decision is kept in the survey row (asked_at, skipped); answers are audited
            self.outbox.add(session, self.say.rating_prompt(view), now, view.id)

    def _skip(self, session: Session, request: Request, requester: str, department: Department,
              now: datetime) -> str | None:
        if requester in department.staff or requester in (request.claimed_by, request.resolved_by):
            return Skip.OWN
        if not sampled(self.seed, request.id, department.feedback.sample_rate):
            return Skip.NOT_SAMPLED
        cooldown = department.feedback.cooldown_days
        if cooldown and fq.asked_since(session, requester, now - timedelta(days=cooldown), request.id):
            return Skip.COOLDOWN
        return None

    # --- the requester answers ----------------------------------------------------------------

    def rate(self, request_id: int, user_id: str, score: int) -> Outcome:
        """One click: the requester rates the help 1-5 (a second click changes the rating)."""
        if not 1 <= score <= 5:
            return Outcome.refused(Refusal.NOT_FOUND)
        return self._answer(request_id, user_id, score=score)

    def comment(self, request_id: int, user_id: str, text: str) -> Outcome:
        """The requester's optional comment on the help they got."""
        text = text.strip()[:COMMENT_CHARS]
        return self._answer(request_id, user_id, comment=text) if text else Outcome.refused(Refusal.NOT_FOUND)

    def may_answer(self, request_id: int, user_id: str) -> Outcome:
        """Whether `user_id` may rate or comment now (checked before the comment form opens)."""
        with self.store.sessions.begin() as session:
            request, survey, refusal = self._open_survey(session, request_id, user_id)
            view = self.store.view(request) if request else None
        return Outcome.refused(refusal, view) if refusal else Outcome(ok=True, request=view)

    def _answer(self, request_id: int, user_id: str, **answer: int | str) -> Outcome:
        now = self.clock.now()
        with self.store.sessions.begin() as session:
            request, survey, refusal = self._open_survey(session, request_id, user_id)
            if refusal:
                return Outcome.refused(refusal, self.store.view(request) if request else None)
            fq.answer_survey(session, survey.id, answered_at=survey.answered_at or now, **answer)
            session.refresh(survey)
            actor = ANONYMOUS_ACTOR if request.anonymous else user_id
            if "score" in answer:
                audit(session, request_id, now, actor, Action.RATED, request.status, request.status,
                      score=answer["score"])
            else:  # the comment's words stay in the survey row, not in the audit trail
                audit(session, request_id, now, actor, Action.COMMENTED, request.status, request.status,
                      chars=len(str(answer["comment"])))
            view = self.store.view(request)
            self.outbox.add(session, self.say.rating_recorded(view, survey.score, bool(survey.comment)), now,
                            request_id)
        return Outcome(ok=True, request=view)

    def _open_survey(self, session: Session, request_id: int,
                     user_id: str) -> tuple[Request | None, Survey | None, Refusal | None]:
        request = queries.get_request(session, request_id)
        if request is None:
            return None, None, Refusal.NOT_FOUND
        if requester_of(session, request) != user_id:
            return request, None, Refusal.NOT_REQUESTER
        survey = fq.survey_of(session, request_id, fq.RATING)
        confirmed = request.status == Status.CLOSED and request.resolution == Resolution.CONFIRMED
        if survey is None or not survey.sampled or not confirmed:
            return request, survey, Refusal.ALREADY_DONE  # reopened since, or never asked
        return request, survey, None

    # --- the re-check -------------------------------------------------------------------------

    def recheck(self, timer_id: int, request_id: int) -> bool:
        """Timer: days after a confirmed fix, ask "Is it still fixed?" (if it is still closed as fixed), in the
        requester's daytime."""
        now = self.clock.now()
        with self.store.sessions.begin() as session:
            request = queries.get_request(session, request_id)
            if request is None or request.status != Status.CLOSED or request.resolution != Resolution.CONFIRMED:
                queries.finish_timer(session, timer_id, now)
                return False
            if defer(session, self.daytime, timer_id, request.user_id, self.store.department(request.department_id),
                     now):
                return False
            queries.finish_timer(session, timer_id, now)
            audit(session, request_id, now, BOT_ACTOR, Action.RECHECK_ASKED, request.status, request.status)
            self.outbox.add(session, self.say.recheck_question(self.store.view(request)), now, request_id)
        return True

    def still_fixed(self, request_id: int, user_id: str) -> Outcome:
        """The re-check answered "yes, still fixed": noted, the question edited; nothing else changes."""
        now = self.clock.now()
        with self.store.sessions.begin() as session:
            request = queries.get_request(session, request_id)
            if request is None:
                return Outcome.refused(Refusal.NOT_FOUND)
            view = self.store.view(request)
            if requester_of(session, request) != user_id:
                return Outcome.refused(Refusal.NOT_REQUESTER, view)
            if request.status != Status.CLOSED:
                return Outcome.refused(Refusal.ALREADY_DONE, view)
            actor = ANONYMOUS_ACTOR if request.anonymous else user_id
            audit(session, request_id, now, actor, Action.STILL_FIXED, request.status, request.status)
            self.outbox.add(session, self.say.recheck_answered(view, True), now, request_id)
        return Outcome(ok=True, request=view)
