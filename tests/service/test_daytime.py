"""Unasked messages wait for the requester's daytime: the follow-up, the re-check and pulse questions are sent
09:00-18:00 on a weekday in the requester's zone (people cache, else the department's), never at night."""
from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from bot.daytime import ANY_TIME
from bot.followups import Followups
from bot.lifecycle import Lifecycle
from bot.outbox import SlackWrite
from bot.pulse import Pulse
from bot.timers import TimerRunner
from bot.words import TimerKind
from storage import people_queries
from tests.service.conftest import ANNA, EMPLOYEE, MONDAY_MORNING, UNANSWERABLE, question
from tests.service.test_surveys import with_feedback

T0 = MONDAY_MORNING                     # Monday 09:30 UTC: 01:30 in Los Angeles, 16:30 in Hanoi, 10:30 in Warsaw
LOS_ANGELES, HANOI = "America/Los_Angeles", "Asia/Ho_Chi_Minh"
LA_TUESDAY_NINE = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)   # 09:00 PST
PULSE_MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # a week after T0, 10:00 in Warsaw


def cache_zone(service, user_id: str, tz: str) -> None:
    """What the people directory would have cached from users.info."""
    with service.sessions.begin() as session:
        people_queries.save_person(session, user_id, name="Employee", locale="en-US", tz=tz, fetched_at=T0)


def resolved_at_t0(service) -> int:
    view = service.ask(UNANSWERABLE)
    assert service.lifecycle.claim(view.id, ANNA).ok and service.lifecycle.resolve(view.id, ANNA).ok
    return view.id


def test_a_followup_due_at_night_in_the_requesters_zone_waits_for_their_morning(service):
    cache_zone(service, EMPLOYEE, LOS_ANGELES)
    request = resolved_at_t0(service)  # IT's delay is 24 h: Tuesday 01:30 in Los Angeles
    assert service.pending_timers(request) == [(TimerKind.FOLLOWUP, LA_TUESDAY_NINE)]
    assert service.advance(hours=31, minutes=29) == 0  # Tuesday 08:59 there: still waiting
    assert "followup_question" not in service.said(request)
    assert service.advance(minutes=1) == 1
    assert service.said(request)[-1] == "followup_question"
    assert service.pending_timers(request) == [(TimerKind.FOLLOWUP_EXPIRY, LA_TUESDAY_NINE + timedelta(hours=72))]


def test_the_same_delay_ending_in_daytime_is_not_moved(service):
    cache_zone(service, EMPLOYEE, HANOI)
    request = resolved_at_t0(service)  # Tuesday 16:30 in Hanoi
    assert service.pending_timers(request) == [(TimerKind.FOLLOWUP, T0 + timedelta(hours=24))]


def test_a_zone_learnt_after_the_resolve_is_honoured_when_the_timer_comes_due(service):
    request = resolved_at_t0(service)  # zone unknown: IT's, Warsaw, where Tuesday 10:30 is daytime
    assert service.pending_timers(request) == [(TimerKind.FOLLOWUP, T0 + timedelta(hours=24))]
    cache_zone(service, EMPLOYEE, LOS_ANGELES)  # they asked something else meanwhile: now it is known
    assert service.advance(hours=24) == 0  # due, but 01:30 there: put back, nothing said
    assert "followup_question" not in service.said(request)
    assert service.pending_timers(request) == [(TimerKind.FOLLOWUP, LA_TUESDAY_NINE)]
    assert service.advance(hours=7, minutes=30) == 1
    assert service.said(request)[-1] == "followup_question"


def test_a_timer_that_runs_late_at_night_waits_for_the_morning_too(service):
    request = resolved_at_t0(service)
    service.clock.advance(timedelta(hours=37, minutes=30))  # the bot was down: Tuesday 23:00 in Warsaw
    assert service.timers.run_due() == 0
    assert service.pending_timers(request) == [(TimerKind.FOLLOWUP, datetime(2026, 11, 25, 8, 0, tzinfo=UTC))]


def test_an_anonymous_requester_gets_the_departments_daytime(service):
    cache_zone(service, EMPLOYEE, LOS_ANGELES)  # known from earlier, named questions
    view = service.lifecycle.ask(dataclasses.replace(question(UNANSWERABLE), anonymous=True))
    assert service.lifecycle.claim(view.id, ANNA).ok and service.lifecycle.resolve(view.id, ANNA).ok
    assert service.pending_timers(view.id) == [(TimerKind.FOLLOWUP, T0 + timedelta(hours=24))]  # Warsaw's 10:30


def test_a_weekend_is_skipped(service):
    service.clock.advance(timedelta(days=4))  # Friday 10:30 in Warsaw; 24 h later is Saturday
    request = resolved_at_t0(service)
    assert service.pending_timers(request) == [(TimerKind.FOLLOWUP, datetime(2026, 11, 30, 8, 0, tzinfo=UTC))]


def test_requester_hours_off_sends_at_any_time(service):
    service.lifecycle = Lifecycle(service.store, service.outbox, service.say, service.chain, service.clock,
                                  daytime=ANY_TIME)
    service.followups = Followups(service.store, service.outbox, service.say, service.chain, service.clock,
                                  daytime=ANY_TIME)
    service.timers = TimerRunner(service.store, service.outbox, service.say, service.chain, service.followups,
                                 service.clock)
    cache_zone(service, EMPLOYEE, LOS_ANGELES)
    request = resolved_at_t0(service)
    assert service.pending_timers(request) == [(TimerKind.FOLLOWUP, T0 + timedelta(hours=24))]
    assert service.advance(hours=24) == 1


def test_the_recheck_is_asked_in_the_requesters_daytime(service):
    with_feedback(service, recheck_days=7)
    cache_zone(service, EMPLOYEE, LOS_ANGELES)
    request = resolved_at_t0(service)
    service.advance(hours=31, minutes=30)  # the follow-up, Tuesday 09:00 there
    service.clock.advance(timedelta(hours=14))  # Tuesday 23:00 there: "yes, it's fixed"
    assert service.followups.verdict(request, EMPLOYEE, True).ok
    recheck = datetime(2026, 12, 2, 17, 0, tzinfo=UTC)  # 7 days later is 23:00 again: Wednesday 09:00 instead
    assert service.pending_timers(request) == [(TimerKind.RECHECK, recheck)]
    assert service.advance(days=7, hours=9, minutes=59) == 0
    assert service.advance(minutes=1) == 1
    assert service.said(request)[-1] == "recheck_question"


def test_a_recheck_whose_requester_moved_zones_waits_again(service):
    with_feedback(service, recheck_days=7)
    request = resolved_at_t0(service)
    service.advance(hours=24)
    assert service.followups.verdict(request, EMPLOYEE, True).ok  # Tuesday 10:30 Warsaw: recheck a week later
    cache_zone(service, EMPLOYEE, LOS_ANGELES)
    assert service.advance(days=7) == 0  # 01:30 in Los Angeles
    assert service.pending_timers(request) == [(TimerKind.RECHECK, datetime(2026, 12, 1, 17, 0, tzinfo=UTC))]


@pytest.mark.usefixtures("dispatcher")
def test_a_pulse_question_waits_for_each_persons_morning(any_service, transport):
    service = any_service
    with_feedback(service, pulse_days=7, pulse_sample=2)
    sleeper, awake = ("U0HLSLEEPER", "D0HLSLEEPER"), ("U0HLAWAKE", "D0HLAWAKE")
    for user, dm in (sleeper, awake):
        service.ask(UNANSWERABLE + user, user=user, channel=dm)
    cache_zone(service, sleeper[0], LOS_ANGELES)
    cache_zone(service, awake[0], HANOI)

    def pulses() -> list[str]:
        return [o.args["channel"] for o in transport.sent if o.args.get("what") == "pulse_question"]

    pulse = Pulse(service.store, service.outbox, service.say, service.clock)
    runner = TimerRunner(service.store, service.outbox, service.say, service.chain, service.followups,
                         service.clock, pulses=pulse)
    runner.run_due()
    service.settle()
    service.clock.advance(PULSE_MONDAY - T0)  # the weekly pulse: Monday 10:00 in Warsaw, IT's zone
    runner.run_due()
    service.settle()
    assert pulses() == [awake[0]]  # 16:00 in Hanoi; 01:00 in Los Angeles
    # Other writes to the sleeper that concern no request (an App Home publish, a reply) are not held up.
    service.outbox.send(SlackWrite("views.publish", {"what": "home", "user_id": sleeper[0]}))
    service.settle()
    assert [o.args for o in transport.sent if o.method == "views.publish"] == [{"what": "home", "user_id": sleeper[0]}]
    service.clock.advance(LA_TUESDAY_NINE + timedelta(days=6) - service.clock.now() - timedelta(minutes=1))  # Monday 08:59 there
    service.settle()
    assert pulses() == [awake[0]]
    service.clock.advance(timedelta(minutes=1))
    service.settle()
    assert pulses() == [awake[0], sleeper[0]]
