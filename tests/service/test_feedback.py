"""Feedback about a department (anonymous or named) and the ratings summary measures read, on SQLite and PostgreSQL."""
from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select

from bot.feedback import Feedback, FeedbackBox
from bot.records import Refusal
from bot.words import FEEDBACK_SOURCE, Action, Status
from storage import feedback_queries as fq
from storage.models import DepartmentFeedback, Survey, Timer
from tests.service.conftest import EMPLOYEE, EMPLOYEE_DM, IT_TRIAGE


def box(service) -> FeedbackBox:
    return FeedbackBox(service.store, service.outbox, service.say, service.clock)


def test_anonymous_feedback_is_stored_and_posted_without_anyone_named(any_service):
    outcome = box(any_service).submit(Feedback("it", "  The VPN answers are always copy-pasted.  "))
    assert outcome.ok and outcome.request is None
    with any_service.sessions.begin() as session:
        [row] = session.scalars(select(DepartmentFeedback)).all()
        assert (row.department_id, row.text, row.anonymous, row.request_id) == (
            "it", "The VPN answers are always copy-pasted.", True, None)
    [post] = [json.loads(d.args) for d in any_service.deliveries()]
    assert post == {"what": "department_feedback", "department": "IT", "channel": IT_TRIAGE,
                    "text": "The VPN answers are always copy-pasted."}


def test_named_feedback_becomes_a_request_staff_can_answer_but_nobody_is_paged(any_service):
    outcome = box(any_service).submit(Feedback("hr", "Thanks for the quick payslip fix!", EMPLOYEE, EMPLOYEE_DM,
                                               "fb-1"))
    request = outcome.request
    assert (request.source, request.status, request.user_id, request.channel_id, request.department_id) == (
        FEEDBACK_SOURCE, Status.ESCALATED, EMPLOYEE, EMPLOYEE_DM, "hr")
    assert any_service.said(request.id) == ["triage", "feedback_received"]
    assert any_service.audit(request.id) == [(Action.CREATED, EMPLOYEE, None, Status.ESCALATED)]
    with any_service.sessions.begin() as session:
        assert session.scalars(select(Timer).where(Timer.request_id == request.id)).all() == []  # no paging
        assert session.scalars(select(DepartmentFeedback.request_id)).all() == [request.id]
    again = box(any_service).submit(Feedback("hr", "Thanks for the quick payslip fix!", EMPLOYEE, EMPLOYEE_DM,
                                             "fb-1"))
    assert again.refusal is Refusal.ALREADY_DONE  # the same submission processed twice makes one request


def test_feedback_for_an_unknown_department_or_without_words_is_refused(any_service):
    assert box(any_service).submit(Feedback("nope", "hello")).refusal is Refusal.UNKNOWN_DEPARTMENT
    assert not box(any_service).submit(Feedback("it", "   ")).ok
    assert any_service.deliveries() == []


def _rating(session, department: str, staff: str | None, score: int, at: datetime, kind: str = fq.RATING) -> None:
    session.add(Survey(kind=kind, request_id=None, department_id=department, staff_id=staff, user_id=None,
                       sampled=True, skipped=None, asked_at=at, score=score, answered_at=at))


def test_rating_summary_per_department_staff_and_week(any_service):
    mon, wed = datetime(2026, 11, 23, 9, tzinfo=UTC), datetime(2026, 11, 25, 23, 30, tzinfo=UTC)
    next_mon = datetime(2026, 11, 30, 0, 5, tzinfo=UTC)
    with any_service.sessions.begin() as session:
        _rating(session, "it", "A", 5, mon)
        _rating(session, "it", "A", 4, wed)
        _rating(session, "it", "B", 1, next_mon)
        _rating(session, "hr", "C", 3, wed)
        _rating(session, "it", "A", 2, wed, kind=fq.PULSE)  # pulse answers are counted only when asked for
        session.add(Survey(kind=fq.RATING, request_id=None, department_id="it", staff_id="A", user_id=None,
                           sampled=True, skipped=None, asked_at=wed))  # asked, never answered
    with any_service.sessions.begin() as session:
        overall = fq.rating_summary(session)
        weekly = fq.rating_summary(session, department_id="it", by_staff=True, period="week")
        monthly = fq.rating_summary(session, period="month", kinds=(fq.RATING, fq.PULSE))
        since = fq.rating_summary(session, since=wed, until=next_mon)
    assert [(s.department_id, s.count, s.mean, s.distribution) for s in overall] == [
        ("hr", 1, 3.0, {1: 0, 2: 0, 3: 1, 4: 0, 5: 0}),
        ("it", 3, 3.3333, {1: 1, 2: 0, 3: 0, 4: 1, 5: 1})]
    assert [(s.staff_id, s.period, s.count, s.mean) for s in weekly] == [
        ("A", "2026-11-23", 2, 4.5), ("B", "2026-11-30", 1, 1.0)]
    assert [(s.department_id, s.period, s.count, s.mean) for s in monthly] == [
        ("hr", "2026-11", 1, 3.0), ("it", "2026-11", 4, 3.0)]
    assert [(s.department_id, s.count) for s in since] == [("hr", 1), ("it", 1)]
