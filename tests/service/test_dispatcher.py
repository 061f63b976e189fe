"""The dispatcher with a recording transport: where messages land, retries, give-ups, skips and lanes."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.delivery import FIRST_RETRY, LONGEST_RETRY, MAX_ATTEMPTS
from bot.outbox import SlackWrite
from bot.words import BOT_ACTOR, Action, Purpose
from storage.models import DeliveryState
from tests.service.conftest import (ALERTS, ANNA, ANSWERABLE, EMPLOYEE, EMPLOYEE_DM, IT_TRIAGE, KASIA,
                                    UNANSWERABLE)
from tests.service.recording import RecordingMessages, what

BACKOFFS = [5, 10, 20, 40, 80, 160, 320, 600, 600, 600, 600]  # seconds after failed tries 1..11


def _posted(transport, name):
    [outgoing] = [o for o in transport.tries(what(name)) if o.method == "chat.postMessage"]
    return outgoing


# --- where sent messages land -------------------------------------------------------------------------------------


def _answered(service):
    return service.ask(ANSWERABLE)


def _escalated(service):
    return service.escalated()


def _quoted(service):
    return service.ask(UNANSWERABLE, source="command", quote=True)


def _followed_up(service):
    view = service.resolved(ANNA)
    service.advance(hours=24)
    return view


def _paged(service):
    view = service.escalated()
    service.advance(minutes=15)
    return view


LANDINGS = [  # scenario, the write, the request's (channel column, ts column) it is recorded in
    (_answered, "answer", (None, "answer_ts")),
    (_escalated, "triage", ("triage_channel", "triage_ts")),
    (_quoted, "question_quote", ("channel_id", "message_ts")),
    (_followed_up, "followup_question", ("followup_channel", "followup_ts")),
    (_paged, "escalation_status", (None, "escalation_ts")),
]


@pytest.mark.parametrize(("scenario", "name", "columns"), LANDINGS, ids=[row[1] for row in LANDINGS])
def test_a_sent_post_is_recorded_on_the_request_under_its_purpose(any_service, dispatcher, transport, scenario,
                                                                  name, columns):
    view = scenario(any_service)
    dispatcher.run_due()
    posted = _posted(transport, name)
    landed = transport.landed[posted.id].ts
    row = any_service.row(view.id)
    channel_column, ts_column = columns
    assert getattr(row, ts_column) == landed and landed.startswith("1800000000.")
    if channel_column:
        assert getattr(row, channel_column) == posted.args["channel"]
    delivery = next(d for d in any_service.deliveries(view.id) if d.id == posted.id)
    assert (delivery.state, delivery.attempts, delivery.result_ts, delivery.last_error) == (
        DeliveryState.SENT, 1, landed, None)


def test_edits_replies_and_links_point_at_the_messages_that_landed(any_service, dispatcher, transport):
    view = any_service.escalated()
    any_service.advance(minutes=15)
    assert any_service.lifecycle.claim(view.id, ANNA).ok
    dispatcher.run_due()
    row = any_service.row(view.id)
    triage = (IT_TRIAGE, row.triage_ts)
    assert _posted(transport, "triage").link is None  # asked in a DM: staff could not open a link to it
    page = _posted(transport, "page")
    assert (page.args["channel"], page.link) == (KASIA, triage)
    assert _posted(transport, "escalation_status").args["thread_ts"] == row.triage_ts
    [edit] = transport.tries(what("refresh"))
    assert (edit.method, edit.target, edit.link) == ("chat.update", triage, None)
    assert all(d.state == DeliveryState.SENT for d in any_service.deliveries(view.id))


def _lane(service, transport, request_id, lane):
    """What the transport was asked to send (tries included) in one lane of the request, in order."""
    keys = {d.id: d.order_key for d in service.deliveries(request_id)}
    return [o.args["what"] for o in transport.sent if keys.get(o.id) == f"request:{request_id}:{lane}"]


def test_each_lane_goes_out_in_the_order_it_was_queued(any_service, dispatcher, transport):
    view = any_service.ask(ANSWERABLE)
    assert any_service.lifecycle.still_need_help(view.id, EMPLOYEE).ok
    assert any_service.lifecycle.claim(view.id, ANNA).ok
    dispatcher.run_due()
    assert _lane(any_service, transport, view.id, "requester") == ["answer", "refresh", "escalation_notice",
                                                                   "notice"]
    assert _lane(any_service, transport, view.id, "staff") == ["triage", "refresh"]


# --- retries ----------------------------------------------------------------------------------------------------


def test_backoff_doubles_from_five_seconds_up_to_ten_minutes(any_service, dispatcher, transport):
    assert (FIRST_RETRY, LONGEST_RETRY, MAX_ATTEMPTS) == (timedelta(seconds=5), timedelta(minutes=10), 12)
    transport.fail(what("answer"), "boom")
    view = any_service.ask(ANSWERABLE)
    waited = []
    for tries in range(1, MAX_ATTEMPTS):
        dispatcher.run_due()
        [delivery] = any_service.deliveries(view.id)
        assert (delivery.state, delivery.attempts, delivery.last_error) == (DeliveryState.PENDING, tries, "boom")
        waited.append((delivery.due_at - any_service.clock.now()).total_seconds())
        any_service.clock.advance(delivery.due_at - any_service.clock.now() - timedelta(seconds=1))
        assert dispatcher.run_due() == 0 and len(transport.tries(what("answer"))) == tries  # not yet due
        any_service.clock.advance(timedelta(seconds=1))
    assert waited == BACKOFFS


@pytest.mark.parametrize(("retry_after", "waited"), [(None, 5), (2.0, 5), (5.0, 5), (30.0, 30), (3600.0, 3600)])
def test_retry_after_is_honoured_when_longer_than_the_backoff(any_service, dispatcher, transport, retry_after,
                                                               waited):
    transport.fail(what("answer"), "ratelimited", times=1, retry_after=retry_after)
    view = any_service.ask(ANSWERABLE)
    dispatcher.run_due()
    [delivery] = any_service.deliveries(view.id)
    assert (delivery.due_at - any_service.clock.now()).total_seconds() == waited
    any_service.clock.advance(timedelta(seconds=waited))
    assert dispatcher.run_due() == 1
    assert any_service.row(view.id).answer_ts == "1800000000.000001"  # the first post that landed


@pytest.mark.parametrize(("failures", "looked_first"), [
    ([], [False]),
    ([True], [False, True]),
    ([True, False], [False, True, True]),
    ([False], [False, True]),  # a retry after a clean failure looks too (a lost sender leaves no outcome)
])
def test_a_retry_after_an_ambiguous_failure_looks_before_posting(any_service, dispatcher, transport, failures,
                                                               looked_first):
    for ambiguous in failures:
        transport.fail(what("answer"), "timeout" if ambiguous else "internal_error", times=1, ambiguous=ambiguous)
    view = any_service.ask(ANSWERABLE)
    for _ in failures:
        dispatcher.run_due()
        any_service.clock.advance(timedelta(minutes=1))
    dispatcher.run_due()
    assert [o.look_first for o in transport.tries(what("answer"))] == looked_first
    [delivery] = any_service.deliveries(view.id)
    assert (delivery.state, delivery.ambiguous) == (DeliveryState.SENT, any(failures))


def _fail_until_given_up(service, dispatcher, transport, name):
    for _ in range(MAX_ATTEMPTS):
        dispatcher.run_due()
        service.clock.advance(LONGEST_RETRY)
    dispatcher.run_due()
    assert len(transport.tries(what(name))) == MAX_ATTEMPTS


def test_after_max_attempts_a_delivery_fails_is_audited_and_the_admins_are_told(any_service, dispatcher,
                                                                                transport):
    transport.fail(what("answer"), "channel_not_found")
    view = any_service.ask(ANSWERABLE)
    _fail_until_given_up(any_service, dispatcher, transport, "answer")
    [answer] = any_service.deliveries(view.id)
    assert (answer.state, answer.attempts, answer.last_error) == (DeliveryState.FAILED, 12, "channel_not_found")
    assert any_service.audit(view.id)[-1] == (Action.DELIVERY_GAVE_UP, BOT_ACTOR, None, None)
    assert any_service.audit_details(view.id, Action.DELIVERY_GAVE_UP) == [
        {"delivery": answer.id, "method": "chat.postMessage", "error": "channel_not_found"}]
    [alert] = [d for d in any_service.deliveries() if d.request_id is None]
    assert (alert.order_key, alert.state, json.loads(alert.args)) == (
        f"to:{ALERTS}", DeliveryState.SENT,
        {"channel": ALERTS, "text": ":warning: A Slack message could not be delivered after 12 tries "
                                    f"(chat.postMessage, request #{view.id}): channel_not_found"})
    assert any_service.row(view.id).answer_ts is None


def test_a_failing_alert_is_not_alerted_about(any_service, dispatcher, transport):
    transport.fail(what("alert"), "not_in_channel")
    any_service.outbox.send(RecordingMessages().alert(ALERTS, "the KB did not load"))
    _fail_until_given_up(any_service, dispatcher, transport, "alert")
    assert [(d.state, d.attempts) for d in any_service.deliveries()] == [(DeliveryState.FAILED, 12)]


# --- skips --------------------------------------------------------------------------------------------------------


def test_an_edit_of_an_answer_that_never_landed_is_skipped(any_service, dispatcher, transport):
    transport.fail(what("answer"), "is_archived")
    view = any_service.ask(ANSWERABLE)
    _fail_until_given_up(any_service, dispatcher, transport, "answer")
    assert any_service.lifecycle.solved(view.id, EMPLOYEE).ok
    dispatcher.run_due()
    answer, refresh = any_service.deliveries(view.id)
    assert (refresh.edit_of, refresh.state, refresh.last_error, refresh.attempts) == (
        Purpose.ANSWER, DeliveryState.SKIPPED, "no message to edit or reply under", 1)
    assert transport.tries(what("refresh")) == []


@pytest.mark.parametrize("relation", ["edit_of", "thread_of"])
def test_a_write_relating_to_a_message_never_posted_is_skipped(any_service, dispatcher, transport, relation):
    view = any_service.ask(ANSWERABLE)
    dispatcher.run_due()
    write = SlackWrite("chat.update" if relation == "edit_of" else "chat.postMessage",
                       {"what": "orphan", "channel": EMPLOYEE_DM}, **{relation: Purpose.FOLLOWUP})
    with any_service.sessions.begin() as session:
        any_service.outbox.add(session, write, any_service.clock.now(), view.id)
    dispatcher.run_due()
    orphan = any_service.deliveries(view.id)[-1]
    assert (orphan.state, orphan.finished_at) == (DeliveryState.SKIPPED, any_service.clock.now())
    assert transport.tries(what("orphan")) == []


# --- lanes --------------------------------------------------------------------------------------------------------


def test_a_failing_requester_lane_does_not_hold_up_the_staff_lane(any_service, dispatcher, transport):
    transport.fail(what("escalation_notice"), "ratelimited", retry_after=3600)
    view = any_service.escalated()
    dispatcher.run_due()
    assert any_service.lifecycle.claim(view.id, ANNA).ok
    dispatcher.run_due()
    states = {json.loads(d.args)["what"]: d.state for d in any_service.deliveries(view.id)}
    assert states == {"escalation_notice": DeliveryState.PENDING, "triage": DeliveryState.SENT,
                      "refresh": DeliveryState.SENT, "notice": DeliveryState.PENDING}
    assert _lane(any_service, transport, view.id, "staff") == ["triage", "refresh"]
    assert _lane(any_service, transport, view.id, "requester") == ["escalation_notice"]  # the notice waits
    any_service.clock.advance(timedelta(hours=1))
    transport.heal()
    dispatcher.run_due()
    assert _lane(any_service, transport, view.id, "requester") == ["escalation_notice", "escalation_notice",
                                                                   "notice"]
    assert {d.state for d in any_service.deliveries(view.id)} == {DeliveryState.SENT}
