"""Ratings after a confirmed fix: sampling, cooldown, own requests, once on the final outcome; the re-check; pulse."""
from __future__ import annotations

import copy
import dataclasses
import json
import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.records import Refusal
from bot.surveys import Skip, sampled
from bot.words import ANONYMOUS_ACTOR, Action, Resolution, Status, TimerKind
from kb.schema import Feedback
from storage import feedback_queries as fq
from storage.models import Survey, Timer
from bot.pulse import Pulse
from bot.timers import TimerRunner
from tests.service.conftest import ANNA, EMPLOYEE, EMPLOYEE_DM, IT_TRIAGE, KASIA, UNANSWERABLE, question

OTHER, OTHER_DM = "U0HLOTHER", "D0HLOTHER"
PULSE_MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # weekly pulses: Mondays 10:00 in Warsaw (IT's zone)


def with_feedback(service, department: str = "it", **settings) -> None:
    """Serve the example KB with `feedback:` settings on one department."""
    kb = copy.copy(service.kb)
    kb.departments = {**kb.departments,
                      department: kb.departments[department].model_copy(update={"feedback": Feedback(**settings)})}
    service.kb = kb


def confirmed(service, *, user: str = EMPLOYEE, channel: str = EMPLOYEE_DM, by: str = ANNA, text: str = UNANSWERABLE):
    """A request asked by `user`, claimed and resolved by `by`, asked about 24 h later and confirmed fixed."""
    view = service.ask(text, user=user, channel=channel)
    assert service.lifecycle.claim(view.id, by).ok and service.lifecycle.resolve(view.id, by).ok
    service.advance(hours=24)
    outcome = service.followups.verdict(view.id, user, True)
    assert outcome.ok
    return outcome.request


def prompts(service, request_id: int) -> int:
    return service.said(request_id).count("rating_prompt")


def survey(service, request_id: int) -> Survey | None:
    with service.sessions.begin() as session:
        row = fq.survey_of(session, request_id)
        if row is not None:
            session.expunge(row)
        return row


# --- sampling --------------------------------------------------------------------------------------

def test_sampling_is_a_pure_function_of_seed_request_and_rate():
    assert all(sampled("s", n, 1.0) for n in range(100)) and not any(sampled("s", n, 0.0) for n in range(100))
    picks = [sampled("seed", n, 0.3) for n in range(2000)]
    assert picks == [sampled("seed", n, 0.3) for n in range(2000)]  # same inputs, same answers
    assert 0.27 < sum(picks) / len(picks) < 0.33
    assert picks != [sampled("other seed", n, 0.3) for n in range(2000)]
    assert all(sampled("seed", n, 0.6) for n in range(2000) if picks[n])  # a higher rate keeps everyone sampled


def test_yes_asks_for_a_rating_by_default_and_the_rating_and_comment_are_stored_and_audited(service):
    view = confirmed(service)
    assert service.said(view.id)[-1] == "rating_prompt"
    assert service.writes(view.id)[-1]["channel"] == EMPLOYEE_DM
    row = survey(service, view.id)
    assert (row.sampled, row.skipped, row.user_id, row.staff_id, row.department_id, row.score) == (
        True, None, EMPLOYEE, ANNA, "it", None)

    service.clock.advance(timedelta(minutes=5))
    assert service.followups.surveys.rate(view.id, EMPLOYEE, 4).ok
    assert service.writes(view.id)[-1] == {"what": "rating_recorded", "request": view.id, "status": "closed",
                                           "score": 4, "commented": False}
    assert service.followups.surveys.comment(view.id, EMPLOYEE, "  Quick and friendly, thanks!  ").ok
    assert service.writes(view.id)[-1]["commented"] is True
    row = survey(service, view.id)
    assert (row.score, row.comment, row.answered_at) == (4, "Quick and friendly, thanks!", service.clock.now())
    assert [a[:2] for a in service.audit(view.id)[-2:]] == [(Action.RATED, EMPLOYEE), (Action.COMMENTED, EMPLOYEE)]
    assert service.audit_details(view.id, Action.RATED) == [{"score": 4}]
    assert "friendly" not in json.dumps(service.audit_details(view.id, Action.COMMENTED))  # words stay in the row


def test_only_the_requester_rates_and_only_from_1_to_5(service):
    view = confirmed(service)
    assert service.followups.surveys.rate(view.id, ANNA, 5).refusal is Refusal.NOT_REQUESTER
    assert not service.followups.surveys.rate(view.id, EMPLOYEE, 6).ok
    assert not service.followups.surveys.comment(view.id, EMPLOYEE, "   ").ok
    assert survey(service, view.id).score is None


def test_a_sample_rate_asks_exactly_the_requests_the_seeded_hash_picks(service):
    with_feedback(service, sample_rate=0.5)
    views = [confirmed(service, text=f"{UNANSWERABLE} {n}") for n in range(8)]
    expected = [sampled("helploop", v.id, 0.5) for v in views]
    assert [prompts(service, v.id) == 1 for v in views] == expected
    assert 0 < sum(expected) < 8  # the seed picks some, not all: the test would see a broken rate
    skipped = [survey(service, v.id).skipped for v in views]
    assert skipped == [None if e else Skip.NOT_SAMPLED for e in expected]
    unasked = next(v for v, e in zip(views, expected, strict=True) if not e)
    assert service.followups.surveys.rate(unasked.id, EMPLOYEE, 5).refusal is Refusal.ALREADY_DONE


def test_a_rate_of_zero_never_asks(service):
    with_feedback(service, sample_rate=0)
    view = confirmed(service)
    assert prompts(service, view.id) == 0 and survey(service, view.id).skipped == Skip.NOT_SAMPLED


def test_someone_asked_recently_is_not_asked_again_within_the_cooldown(service):
    with_feedback(service, cooldown_days=7)
    first = confirmed(service, text=f"{UNANSWERABLE} one")          # confirmed at day 1
    second = confirmed(service, text=f"{UNANSWERABLE} two")         # day 2: within 7 days
    other = confirmed(service, user=OTHER, channel=OTHER_DM, text=f"{UNANSWERABLE} three")  # someone else
    service.clock.advance(timedelta(days=5))
    third = confirmed(service, text=f"{UNANSWERABLE} four")         # day 8: 7 days after the first ask
    assert [prompts(service, v.id) for v in (first, second, other, third)] == [1, 0, 1, 1]
    assert survey(service, second.id).skipped == Skip.COOLDOWN


def test_staff_never_rate_their_own_requests(service):
    view = confirmed(service, user=KASIA, channel="D0HLKASIA")  # IT staff asking IT, resolved by a colleague
    assert prompts(service, view.id) == 0 and survey(service, view.id).skipped == Skip.OWN


def test_a_reopened_then_resolved_request_is_asked_once_on_its_final_outcome(service):
    view = service.resolved(ANNA)
    service.advance(hours=24)
    assert service.followups.verdict(view.id, EMPLOYEE, False).ok    # "No, still broken": not rated
    assert prompts(service, view.id) == 0
    assert service.lifecycle.resolve(view.id, ANNA).ok
    service.advance(hours=24)
    assert service.followups.verdict(view.id, EMPLOYEE, True).ok
    assert prompts(service, view.id) == 1
    with service.sessions.begin() as session:
        assert len(session.scalars(select(Survey).where(Survey.request_id == view.id)).all()) == 1


def test_a_rated_request_that_comes_back_keeps_one_rating_of_its_final_outcome(service):
    view = confirmed(service)
    assert service.followups.surveys.rate(view.id, EMPLOYEE, 5).ok
    assert service.followups.revive(view.id, EMPLOYEE).ok              # broken again after all
    assert service.followups.surveys.rate(view.id, EMPLOYEE, 5).refusal is Refusal.ALREADY_DONE
    assert service.lifecycle.claim(view.id, ANNA).ok and service.lifecycle.resolve(view.id, ANNA).ok
    service.advance(hours=24)
    assert service.followups.verdict(view.id, EMPLOYEE, True).ok
    assert prompts(service, view.id) == 2 and survey(service, view.id).score is None  # the new outcome is asked
    assert service.followups.surveys.rate(view.id, EMPLOYEE, 2).ok
    assert survey(service, view.id).score == 2


def test_an_anonymous_requesters_rating_carries_no_id_and_is_audited_anonymously(service):
    view = service.lifecycle.ask(dataclasses.replace(question(UNANSWERABLE), anonymous=True))
    assert service.lifecycle.claim(view.id, ANNA).ok and service.lifecycle.resolve(view.id, ANNA).ok
    service.advance(hours=24)
    assert service.followups.verdict(view.id, EMPLOYEE, True).ok
    assert survey(service, view.id).user_id is None
    assert service.followups.surveys.rate(view.id, EMPLOYEE, 3).ok
    assert service.audit(view.id)[-1][:2] == (Action.RATED, ANONYMOUS_ACTOR)


# --- the re-check --------------------------------------------------------------------------------

def test_there_is_no_recheck_unless_the_department_asks_for_one(service):
    view = confirmed(service)
    assert service.pending_timers(view.id) == []


def test_the_recheck_asks_days_later_and_yes_changes_nothing(service):
    with_feedback(service, recheck_days=7)
    view = confirmed(service)
    assert service.pending_timers(view.id) == [(TimerKind.RECHECK, service.clock.now() + timedelta(days=7))]
    assert service.advance(days=6, hours=23) == 0
    assert service.advance(hours=1) == 1
    assert service.said(view.id)[-1] == "recheck_question"
    assert service.audit(view.id)[-1][0] == Action.RECHECK_ASKED
    assert service.followups.surveys.still_fixed(view.id, EMPLOYEE).ok
    assert service.writes(view.id)[-1] == {"what": "recheck_answered", "request": view.id, "status": "closed",
                                           "still_fixed": True}
    row = service.row(view.id)
    assert (row.status, row.resolution, service.audit(view.id)[-1][0]) == (
        Status.CLOSED, Resolution.CONFIRMED, Action.STILL_FIXED)


def test_recheck_no_reopens_it_to_the_person_who_fixed_it(service):
    with_feedback(service, recheck_days=7)
    view = confirmed(service, by=ANNA)
    service.advance(days=7)
    assert service.followups.surveys.still_fixed(view.id, ANNA).refusal is Refusal.NOT_REQUESTER
    mark = len(service.deliveries(view.id))
    outcome = service.followups.recheck_failed(view.id, EMPLOYEE)
    row = service.row(view.id)
    assert (outcome.ok, row.status, row.claimed_by, row.reopen_count, row.closed_at, row.resolution) == (
        True, Status.REOPENED, ANNA, 1, None, None)
    said = service.writes(view.id, mark)
    assert [w["what"] for w in said] == ["recheck_answered", "refresh", "refresh", "notice", "what_is_wrong"]
    assert (said[3]["channel"], said[3]["claimer"]) == (IT_TRIAGE, ANNA)
    assert service.audit(view.id)[-1] == (Action.REOPENED, EMPLOYEE, Status.CLOSED, Status.REOPENED)
    assert TimerKind.STALE_CLAIM in [kind for kind, _ in service.pending_timers(view.id)]


def test_a_recheck_due_after_the_request_came_back_asks_nothing(service):
    with_feedback(service, recheck_days=7)
    view = confirmed(service)
    assert service.followups.revive(view.id, EMPLOYEE).ok
    assert TimerKind.RECHECK not in [kind for kind, _ in service.pending_timers(view.id)]
    service.advance(days=8)
    assert "recheck_question" not in service.said(view.id)


# --- the pulse survey ----------------------------------------------------------------------------

def pulse_runner(service, seed: str = "helploop") -> tuple[Pulse, TimerRunner]:
    """A pulse and a timer runner that plans and asks it (as `helploop run` wires them)."""
    pulse = Pulse(service.store, service.outbox, service.say, service.clock, seed=seed)
    return pulse, TimerRunner(service.store, service.outbox, service.say, service.chain, service.followups,
                              service.clock, pulses=pulse)


def pulse_questions(service) -> list[str]:
    """Who was sent a pulse question (the DM's user id), in order."""
    return [json.loads(d.args)["channel"] for d in service.deliveries()
            if json.loads(d.args).get("what") == "pulse_question"]


def test_a_pulse_asks_a_seeded_sample_of_recent_requesters_once_per_period(service):
    with_feedback(service, pulse_days=7, pulse_sample=2)
    people = [(f"U0HLP{n}", f"D0HLP{n}") for n in range(4)]
    for n, (user, dm) in enumerate(people):
        service.ask(f"{UNANSWERABLE} {n}", user=user, channel=dm)
    service.ask(f"{UNANSWERABLE} staff", user=KASIA, channel="D0HLKASIA")  # staff are never asked
    pulse, runner = pulse_runner(service, seed="pulse-seed")
    runner.run_due()
    assert pulse_questions(service) == []  # Monday 10:30 in Warsaw: the weekly pulse is next Monday 10:00
    service.clock.advance(PULSE_MONDAY - service.clock.now())
    runner.run_due()
    asked = sorted(pulse_questions(service))
    assert len(asked) == 2 and set(asked) <= {user for user, _ in people}
    _, again = pulse_runner(service, seed="pulse-seed")
    again.run_due()
    assert sorted(pulse_questions(service)) == asked  # this week's pulse is done
    with service.sessions.begin() as session:
        surveys = {s.user_id: s.id for s in session.scalars(select(Survey).where(Survey.kind == fq.PULSE))}
    assert sorted(surveys) == asked
    assert pulse.answer(surveys[asked[0]], asked[1], 5) is None  # not theirs
    assert pulse.answer(surveys[asked[0]], asked[0], 4) == "IT"
    service.clock.advance(timedelta(days=6, hours=23))
    runner.run_due()
    assert len(pulse_questions(service)) == 2
    service.clock.advance(timedelta(hours=1))
    runner.run_due()
    assert len(pulse_questions(service)) == 4


def test_the_same_seed_and_day_pick_the_same_people(service):
    with_feedback(service, pulse_days=7, pulse_sample=2)
    for n in range(6):
        service.ask(f"{UNANSWERABLE} {n}", user=f"U0HLP{n}", channel=f"D0HLP{n}")
    _, runner = pulse_runner(service, seed="s")
    people = [f"U0HLP{n}" for n in range(6)]
    expected = sorted(random.Random(f"s:it:{PULSE_MONDAY.date().isoformat()}").sample(people, 2))
    runner.run_due()
    service.clock.advance(PULSE_MONDAY - service.clock.now() + timedelta(hours=3))  # late: the pulse's day counts
    runner.run_due()
    with service.sessions.begin() as session:
        assert sorted(session.scalars(select(Survey.user_id).where(Survey.kind == fq.PULSE))) == expected


def test_no_pulse_by_default(service):
    service.ask(UNANSWERABLE)
    _, runner = pulse_runner(service)
    runner.run_due()
    service.clock.advance(timedelta(days=60))
    runner.run_due()
    assert pulse_questions(service) == []
    with service.sessions.begin() as session:
        assert session.scalars(select(Timer).where(Timer.kind == TimerKind.PULSE)).all() == []
