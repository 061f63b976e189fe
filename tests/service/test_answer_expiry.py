"""A KB answer nobody clicks closes after the department's answer_expiry_days as unconfirmed self-service."""
from __future__ import annotations

from bot.measures import compute_report
from storage import queries
from storage.measure_queries import Selection
from tests.service.conftest import AMBIGUOUS, ANSWERABLE


def test_an_unclicked_answer_closes_as_unconfirmed_self_service_after_seven_days(service):
    view = service.ask(ANSWERABLE)
    assert view.status == "answered"
    service.advance(days=6, hours=23)
    assert service.store.load(view.id).status == "answered"  # still open the day before
    service.advance(hours=1)
    closed = service.store.load(view.id)
    assert (closed.status, closed.resolution) == ("closed", "answer_expired")
    report = compute_report(service.sessions, service.kb.departments, Selection(), service.clock.now())
    assert report.overall.counts["answer_expired"] == 1
    assert (report.overall.counts["open"], report.overall.counts["self_served"]) == (0, 0)


def test_unpicked_choices_expire_too_and_a_clicked_answer_is_left_alone(service):
    offered = service.ask(AMBIGUOUS)
    solved = service.ask(ANSWERABLE)
    assert offered.status == "suggested"
    assert service.lifecycle.solved(solved.id, solved.user_id).ok
    service.advance(days=7, minutes=1)
    assert service.store.load(offered.id).resolution == "answer_expired"
    assert service.store.load(solved.id).resolution == "self_served"  # the timer found nothing to do
    with service.sessions.begin() as session:
        assert list(queries.pending_timers(session, solved.id)) == []
