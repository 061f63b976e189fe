"""Lifecycle: ask, pick, solved, still need help, claim, unclaim, resolve — on a real database."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.records import Refusal
from bot.states import MOVES, Verb
from bot.words import Action, Purpose, Resolution, Status, TimerKind
from tests.service.conftest import (AMBIGUOUS, ANNA, ANSWERABLE, EMPLOYEE, EMPLOYEE_DM, IT_TRIAGE, MINH,
                                    MONDAY_MORNING, OUTSIDER, PIOTR, STRANGER, UNANSWERABLE, question)

T0 = MONDAY_MORNING


# --- ask ----------------------------------------------------------------------------------------------------


def test_the_example_kb_answers_offers_and_escalates_the_questions_these_tests_ask(example_kb):
    answered, offered, unanswered = (example_kb.match(t) for t in (ANSWERABLE, AMBIGUOUS, UNANSWERABLE))
    assert answered.entry.id == "it-vpn-password-reset"
    assert offered.entry is None
    assert sorted(c.entry.id for c in offered.choices) == ["it-vpn-cannot-connect", "it-vpn-password-reset"]
    assert (unanswered.entry, unanswered.choices) == (None, [])
    assert example_kb.default_department == "it"


@pytest.mark.parametrize(("text", "status", "said"), [
    (ANSWERABLE, Status.ANSWERED, ["answer"]),
    (AMBIGUOUS, Status.SUGGESTED, ["choices"]),
    (UNANSWERABLE, Status.ESCALATED, ["escalation_notice", "triage"]),
])
def test_ask_sets_the_status_and_queues_the_first_reply(service, example_kb, text, status, said):
    best = example_kb.match(text).best  # the closest entry is kept even when it was not good enough
    view = service.ask(text)
    assert (view.status, view.department_id, view.kb_entry_id) == (status, "it", best.id if best else None)
    assert service.row(view.id).status == status
    assert service.said(view.id) == said
    assert service.audit(view.id) == [(Action.CREATED, EMPLOYEE, None, status)]


def test_ask_answered_queues_the_entrys_answer_in_the_dm(service, example_kb):
    view = service.ask(ANSWERABLE)
    [answer] = service.deliveries(view.id)
    [written] = service.writes(view.id)
    assert (answer.method, answer.purpose, answer.edit_of, answer.thread_of, answer.order_key, answer.state) == (
        "chat.postMessage", Purpose.ANSWER, None, None, f"request:{view.id}:requester", "pending")
    assert written == {"what": "answer", "request": view.id, "status": "answered", "channel": EMPLOYEE_DM,
                       "entry": "it-vpn-password-reset", "related": ["it-vpn-cannot-connect"],
                       "answer": example_kb.entries["it-vpn-password-reset"].answer}
    assert service.row(view.id).first_response_at == T0
    assert service.pending_timers(view.id) == [(TimerKind.ANSWER_EXPIRY, T0 + timedelta(days=7))]  # unclicked: closes


def test_ask_with_choices_offers_the_close_entries_in_the_matchers_order(service, example_kb):
    view = service.ask(AMBIGUOUS)
    assert service.writes(view.id)[0]["choices"] == [c.entry.id for c in example_kb.match(AMBIGUOUS).choices]
    assert service.pending_timers(view.id) == [(TimerKind.ANSWER_EXPIRY, T0 + timedelta(days=7))]


def test_ask_escalated_tells_the_requester_posts_to_triage_and_starts_the_chain(service):
    view = service.ask(UNANSWERABLE)
    notice, triage = service.deliveries(view.id)
    assert (notice.order_key, notice.purpose, triage.order_key, triage.purpose) == (
        f"request:{view.id}:requester", None, f"request:{view.id}:staff", Purpose.TRIAGE)
    assert service.writes(view.id) == [
        {"what": "escalation_notice", "request": view.id, "status": "escalated", "channel": EMPLOYEE_DM,
         "department": "it", "oncall": MINH, "reply_expected_from": None},
        {"what": "triage", "request": view.id, "status": "escalated", "channel": IT_TRIAGE, "department": "it",
         "oncall": MINH, "history": []},
    ]
    row = service.row(view.id)
    assert (row.oncall_user_id, row.escalated_at, row.first_response_at) == (MINH, T0, None)
    assert service.pending_timers(view.id) == [(TimerKind.ESCALATION_STEP, T0 + timedelta(minutes=15))]


def test_ask_by_command_quotes_the_question_first(service):
    view = service.ask(UNANSWERABLE, source="command", quote=True)
    assert service.said(view.id) == ["question_quote", "escalation_notice", "triage"]
    assert service.deliveries(view.id)[0].purpose == Purpose.QUESTION


def test_ask_in_a_channel_replies_in_the_messages_thread(service):
    view = service.ask(ANSWERABLE, channel="C0HLGENERAL", ts="1764000000.555555", source="mention")
    assert view.reply_thread_ts == "1764000000.555555"
    assert service.writes(view.id)[0]["thread_ts"] == "1764000000.555555"


@pytest.mark.parametrize("again", ["same message", "reply in its thread"])
def test_duplicate_message_returns_none_and_writes_nothing(any_service, again):
    first = any_service.ask(UNANSWERABLE, ts="1764000000.000001")
    before = (any_service.deliveries(), any_service.audit(first.id), any_service.pending_timers(first.id))
    if again == "same message":
        repeat = question(UNANSWERABLE, ts="1764000000.000001")
    else:
        repeat = question("any news?", ts="1764000000.000002", thread_ts="1764000000.000001")
    assert any_service.lifecycle.ask(repeat) is None
    after = (any_service.deliveries(), any_service.audit(first.id), any_service.pending_timers(first.id))
    assert [d.id for d in after[0]] == [d.id for d in before[0]] and after[1:] == before[1:]


# --- the employee's verdicts ----------------------------------------------------------------------------------


def test_pick_shows_the_picked_entrys_answer(service):
    view = service.ask(AMBIGUOUS)
    outcome = service.lifecycle.pick(view.id, EMPLOYEE, "it-vpn-password-reset")
    assert outcome.ok and outcome.request.status == Status.ANSWERED
    row = service.row(view.id)
    assert (row.status, row.kb_entry_id, row.department_id) == (Status.ANSWERED, "it-vpn-password-reset", "it")
    [edit] = service.deliveries(view.id)[1:]
    assert (edit.method, edit.edit_of, edit.order_key) == ("chat.update", Purpose.ANSWER,
                                                           f"request:{view.id}:requester")
    assert service.writes(view.id, 1) == [{"what": "refresh", "request": view.id, "status": "answered",
                                           "posted": "answer"}]
    assert service.audit_details(view.id, Action.PICKED) == [{"entry": "it-vpn-password-reset"}]


def test_pick_of_an_unknown_entry_is_not_found(service):
    view = service.ask(AMBIGUOUS)
    outcome = service.lifecycle.pick(view.id, EMPLOYEE, "no-such-entry")
    assert (outcome.ok, outcome.refusal) == (False, Refusal.NOT_FOUND)
    assert service.row(view.id).status == Status.SUGGESTED and service.said(view.id) == ["choices"]


def test_solved_closes_as_self_served(service):
    view = service.ask(ANSWERABLE)
    service.clock.advance(timedelta(minutes=3))
    assert service.lifecycle.solved(view.id, EMPLOYEE).ok
    row = service.row(view.id)
    minutes3 = T0 + timedelta(minutes=3)
    assert (row.status, row.resolution, row.closed_at, row.resolved_at) == (
        Status.CLOSED, Resolution.SELF_SERVED, minutes3, minutes3)
    assert service.writes(view.id, 1) == [{"what": "refresh", "request": view.id, "status": "closed",
                                           "posted": "answer"}]


@pytest.mark.parametrize(("text", "posted"), [(ANSWERABLE, "answer"), (AMBIGUOUS, "choices")])
def test_still_need_help_escalates_and_edits_what_was_offered(service, text, posted):
    view = service.ask(text)
    service.clock.advance(timedelta(minutes=2))
    assert service.lifecycle.still_need_help(view.id, EMPLOYEE).ok
    row = service.row(view.id)
    assert (row.status, row.escalated_at, row.oncall_user_id) == (Status.ESCALATED, T0 + timedelta(minutes=2), MINH)
    assert service.said(view.id, 1) == ["refresh", "escalation_notice", "triage"]
    assert service.writes(view.id, 1)[0]["posted"] == posted
    assert service.pending_timers(view.id) == [(TimerKind.ESCALATION_STEP, T0 + timedelta(minutes=17))]


# --- staff ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("first", "second"), [(ANNA, PIOTR), (PIOTR, ANNA)])
def test_of_two_claimers_exactly_one_wins(any_service, first, second):
    view = any_service.escalated()
    won = any_service.lifecycle.claim(view.id, first)
    lost = any_service.lifecycle.claim(view.id, second)
    assert (won.ok, won.request.claimed_by) == (True, first)
    assert (lost.ok, lost.refusal, lost.request.claimed_by, lost.request.status) == (
        False, Refusal.ALREADY_CLAIMED, first, Status.CLAIMED)
    assert [a for a in any_service.audit(view.id) if a[0] == Action.CLAIMED] == [
        (Action.CLAIMED, first, Status.ESCALATED, Status.CLAIMED)]
    assert any_service.said(view.id).count("notice") == 1


def test_claim_tells_the_requester_edits_triage_and_watches_for_staleness(service):
    view = service.escalated()
    service.clock.advance(timedelta(minutes=5))
    assert service.lifecycle.claim(view.id, PIOTR).ok
    row = service.row(view.id)
    now = T0 + timedelta(minutes=5)
    assert (row.claimed_by, row.claimed_at, row.first_response_at) == (PIOTR, now, now)
    assert service.writes(view.id, 2) == [
        {"what": "refresh", "request": view.id, "status": "claimed", "posted": "triage"},
        {"what": "notice", "request": view.id, "status": "claimed", "channel": EMPLOYEE_DM, "notice": "claimed",
         "claimer": PIOTR},
    ]
    assert [d.order_key.rsplit(":", 1)[1] for d in service.deliveries(view.id)[2:]] == ["staff", "requester"]
    assert service.pending_timers(view.id) == [(TimerKind.STALE_CLAIM, now + timedelta(hours=4))]


def test_unclaim_by_the_claimer_puts_it_back_and_restarts_the_chain(service):
    view = service.claimed(ANNA)
    service.clock.advance(timedelta(minutes=10))
    assert service.lifecycle.unclaim(view.id, ANNA).ok
    row = service.row(view.id)
    assert (row.status, row.claimed_by, row.claimed_at, row.escalation_level) == (Status.ESCALATED, None, None, 0)
    assert service.said(view.id)[-1] == "refresh"
    assert service.pending_timers(view.id) == [(TimerKind.ESCALATION_STEP, T0 + timedelta(minutes=25))]


def test_unclaim_by_another_staff_member_is_refused_as_not_claimer(service):
    view = service.claimed(ANNA)
    written = len(service.deliveries(view.id))
    outcome = service.lifecycle.unclaim(view.id, PIOTR)
    assert (outcome.ok, outcome.refusal, outcome.request.claimed_by) == (False, Refusal.NOT_CLAIMER, ANNA)
    assert service.row(view.id).status == Status.CLAIMED and len(service.deliveries(view.id)) == written


@pytest.mark.parametrize(("department", "text", "staff", "due"), [
    ("it", UNANSWERABLE, ANNA, T0 + timedelta(hours=25)),  # 24 h later: 11:30 in Warsaw, daytime
    # 4 h later is 21:30 in Ho Chi Minh City (the requester's zone is unknown: the department's): 09:00 next day
    ("facilities", "How do I book a desk?", "U0HLTHAO", datetime(2026, 11, 24, 2, 0, tzinfo=UTC)),
])
def test_resolve_schedules_the_followup_after_the_departments_delay(service, department, text, staff, due):
    view = service.ask(text)
    if view.status != Status.ESCALATED:
        assert service.lifecycle.still_need_help(view.id, EMPLOYEE).ok
    assert service.lifecycle.claim(view.id, staff).ok
    service.clock.advance(timedelta(hours=1))
    outcome = service.lifecycle.resolve(view.id, staff)
    assert (outcome.ok, outcome.request.department_id) == (True, department)
    row = service.row(view.id)
    now = T0 + timedelta(hours=1)
    assert (row.status, row.resolved_at, row.resolution) == (Status.RESOLVED, now, None)
    assert service.pending_timers(view.id) == [(TimerKind.FOLLOWUP, due)]  # the daytime rule: bot/daytime.py
    assert service.said(view.id)[-2:] == ["refresh", "notice"]
    assert service.writes(view.id)[-1]["notice"] == "resolved"


# --- outsiders and late clicks ----------------------------------------------------------------------------------

REFUSALS = [
    # (how the request is set up, the call, who, refusal)
    ("escalated", "claim", OUTSIDER, Refusal.NOT_STAFF),
    ("escalated", "claim", STRANGER, Refusal.NOT_STAFF),
    ("claimed", "unclaim", OUTSIDER, Refusal.NOT_STAFF),
    ("claimed", "resolve", OUTSIDER, Refusal.NOT_STAFF),
    ("answered", "solved", STRANGER, Refusal.NOT_REQUESTER),
    ("answered", "still_need_help", ANNA, Refusal.NOT_REQUESTER),
    ("suggested", "pick", STRANGER, Refusal.NOT_REQUESTER),
    ("resolved", "verdict_yes", ANNA, Refusal.NOT_REQUESTER),
    ("resolved", "verdict_no", STRANGER, Refusal.NOT_REQUESTER),
    ("escalated", "solved", EMPLOYEE, Refusal.ALREADY_DONE),
    ("answered", "resolve", ANNA, Refusal.ALREADY_DONE),
    ("claimed", "still_need_help", EMPLOYEE, Refusal.ALREADY_DONE),
    ("escalated", "verdict_yes", EMPLOYEE, Refusal.ALREADY_DONE),
]


def _setup(service, how):
    if how == "answered":
        return service.ask(ANSWERABLE)
    if how == "suggested":
        return service.ask(AMBIGUOUS)
    return {"escalated": service.escalated, "claimed": service.claimed, "resolved": service.resolved}[how]()


def _call(service, name, request_id, who):
    calls = {
        "claim": lambda: service.lifecycle.claim(request_id, who),
        "unclaim": lambda: service.lifecycle.unclaim(request_id, who),
        "resolve": lambda: service.lifecycle.resolve(request_id, who),
        "solved": lambda: service.lifecycle.solved(request_id, who),
        "still_need_help": lambda: service.lifecycle.still_need_help(request_id, who),
        "pick": lambda: service.lifecycle.pick(request_id, who, "it-vpn-password-reset"),
        "verdict_yes": lambda: service.followups.verdict(request_id, who, True),
        "verdict_no": lambda: service.followups.verdict(request_id, who, False),
    }
    return calls[name]()


@pytest.mark.parametrize(("how", "call", "who", "refusal"), REFUSALS)
def test_a_refused_action_changes_nothing(service, how, call, who, refusal):
    view = _setup(service, how)
    before = (service.row(view.id).status, service.audit(view.id), len(service.deliveries(view.id)),
              service.pending_timers(view.id))
    outcome = _call(service, call, view.id, who)
    assert (outcome.ok, outcome.refusal, outcome.request.id) == (False, refusal, view.id)
    assert (service.row(view.id).status, service.audit(view.id), len(service.deliveries(view.id)),
            service.pending_timers(view.id)) == before


def test_an_unknown_request_is_not_found(service):
    outcome = service.lifecycle.claim(404, ANNA)
    assert (outcome.ok, outcome.refusal, outcome.request) == (False, Refusal.NOT_FOUND, None)


# --- every transition writes exactly one audit row ---------------------------------------------------------------

PATHS = {
    "self-served": [("ask", ANSWERABLE), (Verb.SOLVE, EMPLOYEE)],
    "picked then escalated": [("ask", AMBIGUOUS), (Verb.PICK, EMPLOYEE), (Verb.NEED_HELP, EMPLOYEE),
                              (Verb.CLAIM, ANNA), (Verb.RESOLVE, ANNA), (Verb.CONFIRM, EMPLOYEE)],
    "handed back and reopened": [("ask", UNANSWERABLE), (Verb.CLAIM, ANNA), (Verb.UNCLAIM, ANNA),
                                 (Verb.CLAIM, PIOTR), (Verb.RESOLVE, PIOTR), (Verb.REOPEN, EMPLOYEE),
                                 (Verb.UNCLAIM, PIOTR), (Verb.CLAIM, ANNA), (Verb.RESOLVE, ANNA),
                                 (Verb.EXPIRE, "helploop")],
    "transferred": [("ask", UNANSWERABLE), (Verb.CLAIM, ANNA), (Verb.TRANSFER, ANNA), (Verb.CLAIM, "U0HLMAREK"),
                    (Verb.RESOLVE, "U0HLMAREK"), (Verb.CONFIRM, EMPLOYEE)],
}


def _do(service, verb, request_id, actor):
    if verb in (Verb.CONFIRM, Verb.REOPEN, Verb.EXPIRE):
        service.advance(hours=24)  # the follow-up question is asked first
    mark = len(service.audit(request_id))
    if verb is Verb.EXPIRE:
        assert service.advance(hours=72) == 1
        return mark
    outcome = {
        Verb.PICK: lambda: service.lifecycle.pick(request_id, actor, "it-vpn-password-reset"),
        Verb.SOLVE: lambda: service.lifecycle.solved(request_id, actor),
        Verb.NEED_HELP: lambda: service.lifecycle.still_need_help(request_id, actor),
        Verb.CLAIM: lambda: service.lifecycle.claim(request_id, actor),
        Verb.UNCLAIM: lambda: service.lifecycle.unclaim(request_id, actor),
        Verb.RESOLVE: lambda: service.lifecycle.resolve(request_id, actor),
        Verb.TRANSFER: lambda: service.transfers.transfer(request_id, actor, "finance", "invoices"),
        Verb.CONFIRM: lambda: service.followups.verdict(request_id, actor, True),
        Verb.REOPEN: lambda: service.followups.verdict(request_id, actor, False),
    }[verb]()
    assert outcome.ok, (verb, outcome.refusal)
    return mark


@pytest.mark.parametrize("path", PATHS)
def test_every_transition_writes_one_audit_row_matching_the_table(service, path):
    (_, text), *steps = PATHS[path]
    view = service.ask(text)
    status = view.status
    for verb, actor in steps:
        mark = _do(service, verb, view.id, actor)
        move = MOVES[verb]
        assert service.audit(view.id, mark) == [(move.action, actor, status, move.target)], verb
        status = move.target
        assert service.row(view.id).status == status
    assert status == Status.CLOSED
