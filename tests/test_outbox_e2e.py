"""Every kind of Slack write survives a failing Web API: retried after the backoff or the Retry-After, exactly
once, in order, and given up visibly. Signed HTTP into the real app, LocalSlack over HTTP, a manual clock."""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from bot.delivery import MAX_ATTEMPTS
from bot.words import Action, Status
from handlers.action_ids import ActionId
from localslack.webapi import Call, render_message
from storage import delivery_queries, queries
from storage.models import DeliveryState
from tests.flows import (EMPLOYEE, EMPLOYEE_DM, IT_STAFF, IT_TRIAGE, OUTSIDER, UNANSWERABLE, claimed, click,
                         escalate, kb_phrasing, reload, request_for, resolve, resolved, text_of, wait_call)
from tests.harness import Harness, running

ADMIN = "C0HLADMIN"
Match = Callable[[Call], bool]


@dataclass(frozen=True)
class Fault:
    """How Slack refuses a write, and how long the bot must leave it alone before trying again."""

    kwargs: dict[str, Any]
    wait: float        # the first backoff (5 s) or the Retry-After Slack asked for
    quiet: float       # advancing this far must not bring a retry yet


HTTP_500 = Fault({"http_status": 500}, wait=5, quiet=4)
RATE_LIMITED = Fault({"error": "ratelimited", "retry_after": 30}, wait=30, quiet=25)
FAULTS = [pytest.param(HTTP_500, id="http500"), pytest.param(RATE_LIMITED, id="429-retry-after-30")]


# --- what a person sees ----------------------------------------------------------------------------------------


def _posts(method: str, channel: str | None = None, contains: str = "") -> Match:
    return lambda c: c.method == method and (channel is None or c.args.get("channel") == channel) \
        and contains in text_of(c)


def _ok(h: Harness, match: Match, after: int = 0) -> list[Call]:
    return [c for c in h.slack.calls()[after:] if c.ok and match(c)]


def _index(h: Harness, call: Call) -> int:
    return next(i for i, c in enumerate(h.slack.calls()) if c is call)


def _only(h: Harness, match: Match, what: str) -> Call:
    """The one successful call matching; fails when Slack saw it twice or never."""
    seen = _ok(h, match)
    assert len(seen) == 1, f"{what}: expected exactly one delivery, Slack saw {len(seen)}:\n" + _transcript(h)
    return seen[0]


def _no_stray_replies(h: Harness) -> None:
    """Nobody was told "already claimed" / "already moved on": each click was carried out once."""
    assert h.slack.calls("response_url") == [], _transcript(h)


def _transcript(h: Harness) -> str:
    return "\n".join(h.slack.transcript())


def _conversation(h: Harness, channel: str) -> dict[str, list[str]]:
    """What `channel` shows now: each bot message (by ts) as last posted or edited, rendered."""
    shown: dict[str, list[str]] = {}
    for c in h.slack.calls():
        if not c.ok or c.method not in ("chat.postMessage", "chat.update"):
            continue
        if (c.response.get("channel") or c.args.get("channel")) != channel:
            continue
        shown[c.response["ts"]] = render_message(c.args)
    return shown


def _shown(h: Harness, channel: str, ts: str) -> str:
    return "\n".join(_conversation(h, channel)[ts])


# --- driving the failure ---------------------------------------------------------------------------------------


def _advance(h: Harness, **delta: float) -> int:
    """h.advance, once the app has finished with every Slack request it acked.

    An inbox item is marked done a moment after its effects commit; a manual clock jumped past the inbox
    lease (20 s) before that would hand the click to a second worker, as if the first had died."""
    assert h.app.inbox.wait_idle(10)
    return h.advance(**delta)


def _settle(h: Harness, *failing: Match) -> None:
    """Wait until each of these writes has failed once and the dispatcher has put the row back."""
    for match in failing:
        h.slack.wait_for(lambda c, m=match: m(c) and not c.ok)
    h.app.inbox.wait_idle(10)
    h.app.dispatcher.run_due()


def _through(h: Harness, fault: Fault, *targets: Match) -> None:
    """Nothing is retried while Slack asked us to wait; moving past the wait delivers."""
    mark = len(h.slack.calls())
    _advance(h, seconds=fault.quiet)
    early = [c for c in h.slack.calls()[mark:] if any(t(c) for t in targets)]
    assert not early, f"retried before the backoff / Retry-After was over: {[c.method for c in early]}"
    _advance(h, seconds=fault.wait - fault.quiet + 1)


def _wait_rows(h: Harness, request_id: int, method: str, count: int = 1, timeout: float = 5.0) -> None:
    """Wait until the request has `count` deliveries of `method` (clicks are processed after the ack)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with h.app.sessions.begin() as session:
            if len([d for d in delivery_queries.deliveries_of(session, request_id) if d.method == method]) >= count:
                return
        time.sleep(0.02)
    raise AssertionError(f"request {request_id}: fewer than {count} {method} deliveries")


def _rows(h: Harness, request_id: int | None = None) -> list[Any]:
    with h.app.sessions.begin() as session:
        return list(delivery_queries.deliveries_of(session, request_id))


def _advance_until(h: Harness, done: Callable[[], bool], step: float = 60, limit: float = 3 * 3600) -> float:
    """Move the clock `step` seconds at a time until `done()`; returns the seconds it took."""
    moved = 0.0
    while not done():
        assert moved < limit, f"still not done after {moved:.0f} s of retries:\n" + _transcript(h)
        _advance(h, seconds=step)
        moved += step
    return moved


# --- 1. every kind of write: failed, retried once after the wait, in order ---------------------------------------


@pytest.mark.parametrize("fault", FAULTS)
def test_kb_answer_is_posted_once_after_the_wait(database_url, fault):
    with running(database_url) as h:
        h.slack.fail("chat.postMessage", **fault.kwargs)
        response = h.sim.message(EMPLOYEE, kb_phrasing(h, "it-printer"), EMPLOYEE_DM)
        request = request_for(h, EMPLOYEE_DM, response.ts)
        answer = _posts("chat.postMessage", EMPLOYEE_DM, "[That solved it]")
        _settle(h, answer)
        assert reload(h, request.id).answer_ts is None
        _through(h, fault, answer)
        posted = _only(h, answer, "the KB answer")
        assert reload(h, request.id).answer_ts == posted.response["ts"]
        assert [d.state for d in _rows(h, request.id)] == [DeliveryState.SENT]


@pytest.mark.parametrize("fault", FAULTS)
def test_escalation_notice_and_triage_post_arrive_once_and_a_claim_meanwhile_edits_the_post_after_it(
        database_url, fault):
    with running(database_url) as h:
        h.slack.fail("chat.postMessage", times=2, **fault.kwargs)  # both lanes: the notice and the triage post
        response = h.sim.message(EMPLOYEE, UNANSWERABLE, EMPLOYEE_DM)
        request = request_for(h, EMPLOYEE_DM, response.ts)
        notice = _posts("chat.postMessage", EMPLOYEE_DM, "passed your request")
        triage = _posts("chat.postMessage", IT_TRIAGE, "[Claim]")
        _settle(h, notice, triage)
        # Someone claims from another view of the request (e.g. a second replica's post) while both are waiting:
        # the edit of the triage post and the "is on it" notice must queue behind what they follow.
        assert h.sim.block_action(IT_STAFF[0], str(ActionId.CLAIM), str(request.id), IT_TRIAGE, None).status == 200
        _wait_rows(h, request.id, "chat.update")
        h.app.dispatcher.run_due()
        on_it = _posts("chat.postMessage", EMPLOYEE_DM, "is on it")
        update = _posts("chat.update", IT_TRIAGE)
        assert not _ok(h, on_it) and not h.slack.calls("chat.update")
        _through(h, fault, notice, triage, on_it, update)

        told, post = _only(h, notice, "escalation notice"), _only(h, triage, "triage post")
        claimed_notice, edit = _only(h, on_it, "claimed notice"), _only(h, update, "triage update")
        assert _index(h, told) < _index(h, claimed_notice)
        assert _index(h, post) < _index(h, edit) and edit.args["ts"] == post.response["ts"]
        request = reload(h, request.id)
        assert (request.status, request.triage_ts) == (Status.CLAIMED, post.response["ts"])
        shown = _shown(h, IT_TRIAGE, post.response["ts"])
        assert f"Claimed by <@{IT_STAFF[0]}>" in shown and "[Claim]" not in shown and "[Resolve]" in shown
        _no_stray_replies(h)


@pytest.mark.parametrize("fault", FAULTS)
def test_is_on_it_notice_arrives_once_and_the_resolved_notice_waits_behind_it(database_url, fault):
    with running(database_url) as h:
        request = escalate(h)
        h.slack.fail("chat.postMessage", **fault.kwargs)
        mark = click(h, IT_STAFF[0], ActionId.CLAIM, request, IT_TRIAGE, request.triage_ts)
        on_it = _posts("chat.postMessage", EMPLOYEE_DM, "is on it")
        _settle(h, on_it)
        wait_call(h, mark, "chat.update", IT_TRIAGE, "Claimed by")  # the staff lane is not held up
        mark = resolve(h, IT_STAFF[0], request)
        wait_call(h, mark, "chat.update", IT_TRIAGE, "Resolved by")
        h.app.dispatcher.run_due()
        done = _posts("chat.postMessage", EMPLOYEE_DM, "marked your request as resolved")
        assert not _ok(h, done)  # it follows the notice that has not arrived yet
        _through(h, fault, on_it, done)
        assert _index(h, _only(h, on_it, "claimed notice")) < _index(h, _only(h, done, "resolved notice"))
        _no_stray_replies(h)


@pytest.mark.parametrize("fault", FAULTS)
def test_triage_update_after_a_claim_arrives_once_and_the_post_loses_its_claim_button(database_url, fault):
    with running(database_url) as h:
        request = escalate(h)
        h.slack.fail("chat.update", **fault.kwargs)
        mark = click(h, IT_STAFF[1], ActionId.CLAIM, request, IT_TRIAGE, request.triage_ts)
        update = _posts("chat.update", IT_TRIAGE)
        _settle(h, update)
        wait_call(h, mark, "chat.postMessage", EMPLOYEE_DM, "is on it")  # the requester lane is not held up
        assert "[Claim]" in _shown(h, IT_TRIAGE, request.triage_ts)
        _through(h, fault, update)
        edit = _only(h, update, "triage update")
        assert edit.args["ts"] == request.triage_ts
        shown = _shown(h, IT_TRIAGE, request.triage_ts)
        assert f"Claimed by <@{IT_STAFF[1]}>" in shown and "[Claim]" not in shown
        _no_stray_replies(h)


@pytest.mark.parametrize("fault", FAULTS)
def test_resolved_notice_arrives_once(database_url, fault):
    with running(database_url) as h:
        request = claimed(h, escalate(h))
        h.slack.fail("chat.postMessage", **fault.kwargs)
        mark = resolve(h, IT_STAFF[0], request)
        done = _posts("chat.postMessage", EMPLOYEE_DM, "marked your request as resolved")
        _settle(h, done)
        wait_call(h, mark, "chat.update", IT_TRIAGE, "Resolved by")
        _through(h, fault, done)
        _only(h, done, "resolved notice")
        assert _index(h, _only(h, _posts("chat.postMessage", EMPLOYEE_DM, "is on it"), "claimed")) < \
            _index(h, _only(h, done, "resolved notice"))
        _no_stray_replies(h)


@pytest.mark.parametrize("fault", FAULTS)
def test_refusal_of_an_outsiders_click_arrives_once(database_url, fault):
    with running(database_url) as h:
        request = escalate(h)
        h.slack.fail("response_url", **fault.kwargs)
        click(h, OUTSIDER, ActionId.CLAIM, request, IT_TRIAGE, request.triage_ts)
        refusal = _posts("response_url", contains="Only members of IT")
        _settle(h, refusal)
        _through(h, fault, refusal)
        answer = _only(h, refusal, "refusal")
        assert answer.args["response_type"] == "ephemeral" and len(_ok(h, _posts("response_url"))) == 1
        assert reload(h, request.id).status == Status.ESCALATED


@pytest.mark.parametrize("fault", FAULTS)
def test_page_after_the_ack_timeout_arrives_once_before_the_status_line(database_url, fault):
    with running(database_url) as h:
        request = escalate(h)
        h.slack.fail("chat.postMessage", **fault.kwargs)
        mark = len(h.slack.calls())
        assert _advance(h, minutes=15, seconds=1) == 1  # nobody claimed: the escalation step pages
        page = _posts("chat.postMessage", contains="has not been claimed yet")
        status = _posts("chat.postMessage", IT_TRIAGE, "Not claimed yet")
        _settle(h, page)
        assert not _ok(h, page, mark) and not _ok(h, status, mark)  # the status line waits behind the page
        _through(h, fault, page, status)
        with h.app.sessions.begin() as session:
            paged = [u for a in queries.audit_trail(session, request.id) if a.action == Action.ESCALATION_STEP
                     for u in json.loads(a.detail)["notified"]]
        assert paged
        pages = _ok(h, page, mark)
        assert sorted(c.args["channel"] for c in pages) == sorted(paged)  # each paged person exactly once
        line = _only(h, status, "escalation status line")
        assert line.args["thread_ts"] == request.triage_ts
        assert max(_index(h, c) for c in pages) < _index(h, line)


@pytest.mark.parametrize("fault", FAULTS)
def test_follow_up_question_arrives_once(database_url, fault):
    with running(database_url) as h:
        request = resolved(h, claimed(h, escalate(h)))
        h.slack.fail("chat.postMessage", **fault.kwargs)
        assert _advance(h, hours=24, minutes=1) == 1
        question = _posts("chat.postMessage", EMPLOYEE_DM, "really fixed?")
        _settle(h, question)
        assert reload(h, request.id).followup_ts is None
        _through(h, fault, question)
        asked = _only(h, question, "follow-up question")
        assert "[Yes, it's fixed]" in text_of(asked)
        assert reload(h, request.id).followup_ts == asked.response["ts"]


# --- 2. a short Retry-After is honoured in place -----------------------------------------------------------------


@dataclass
class Write:
    """One kind of write, how to bring it about, and how to recognise it."""

    method: str
    match: Match
    before: Callable[[Harness], Any] = lambda h: None
    trigger: Callable[[Harness, Any], Any] = lambda h, before: None
    extra: dict[str, Any] = field(default_factory=dict)


SHORT_WAIT = [
    pytest.param(Write("chat.postMessage", _posts("chat.postMessage", EMPLOYEE_DM, "[That solved it]"),
                       trigger=lambda h, _: h.sim.message(EMPLOYEE, kb_phrasing(h, "it-printer"), EMPLOYEE_DM)),
                 id="kb-answer"),
    pytest.param(Write("chat.update", _posts("chat.update", IT_TRIAGE, "Claimed by"), before=escalate,
                       trigger=lambda h, r: click(h, IT_STAFF[0], ActionId.CLAIM, r, IT_TRIAGE, r.triage_ts)),
                 id="triage-update"),
    pytest.param(Write("response_url", _posts("response_url", contains="Only members of IT"), before=escalate,
                       trigger=lambda h, r: click(h, OUTSIDER, ActionId.CLAIM, r, IT_TRIAGE, r.triage_ts)),
                 id="refusal"),
]


@pytest.mark.parametrize("write", SHORT_WAIT)
def test_a_one_second_retry_after_is_waited_out_in_place_without_the_clock_moving(sqlite_url, write):
    with running(sqlite_url) as h:
        before = write.before(h)
        h.slack.fail(write.method, error="ratelimited", retry_after=1)
        started = time.monotonic()
        write.trigger(h, before)
        h.slack.wait_for(lambda c: write.match(c) and c.ok, timeout=6)
        assert time.monotonic() - started < 6
        h.app.dispatcher.run_due()
        assert len([c for c in h.slack.calls() if write.match(c) and not c.ok]) == 1
        _only(h, write.match, write.method)
        sent = [d for d in _rows(h) if d.method == write.method]
        assert [(d.state, d.attempts) for d in sent][-1] == (DeliveryState.SENT, 1)  # not an outbox retry


# --- 3. an edit waits for the post it edits ----------------------------------------------------------------------


def test_solved_click_while_the_answer_is_failing_edits_the_answer_after_it_is_posted(database_url):
    with running(database_url) as h:
        h.slack.fail("chat.postMessage", http_status=500)
        response = h.sim.message(EMPLOYEE, kb_phrasing(h, "it-printer"), EMPLOYEE_DM)
        request = request_for(h, EMPLOYEE_DM, response.ts)
        answer = _posts("chat.postMessage", EMPLOYEE_DM, "[That solved it]")
        _settle(h, answer)
        assert h.sim.block_action(EMPLOYEE, str(ActionId.SOLVED), str(request.id), EMPLOYEE_DM, None).status == 200
        _wait_rows(h, request.id, "chat.update")
        h.app.dispatcher.run_due()
        assert h.slack.calls("chat.update") == []  # nothing to edit yet: the edit waits
        assert reload(h, request.id).status == Status.CLOSED
        _advance(h, seconds=6)
        post = _only(h, answer, "the KB answer")
        edit = _only(h, _posts("chat.update", EMPLOYEE_DM), "the edit after 'solved'")
        assert _index(h, post) < _index(h, edit) and edit.args["ts"] == post.response["ts"]
        shown = _shown(h, EMPLOYEE_DM, post.response["ts"])
        assert "Marked as solved" in shown and "[That solved it]" not in shown
        _no_stray_replies(h)


# --- 4. give-up: audited, reported once, and the lane goes on ------------------------------------------------------


def test_a_write_that_keeps_failing_is_given_up_audited_reported_and_the_lane_moves_on(database_url):
    with running(database_url, admin_channel=ADMIN) as h:
        request = escalate(h)
        h.slack.fail("chat.postMessage", http_status=500, times=20)
        click(h, IT_STAFF[0], ActionId.CLAIM, request, IT_TRIAGE, request.triage_ts)
        on_it = _posts("chat.postMessage", EMPLOYEE_DM, "is on it")
        _settle(h, on_it)
        mark = resolve(h, IT_STAFF[0], request)
        wait_call(h, mark, "chat.update", IT_TRIAGE, "Resolved by")  # the staff lane is not held up
        h.app.dispatcher.run_due()
        notice_row = next(d for d in _rows(h, request.id) if d.method == "chat.postMessage" and "is on it" in d.args)

        _advance_until(h, lambda: _row(h, notice_row.id).state == DeliveryState.FAILED)
        failed = [c for c in h.slack.calls() if on_it(c) and not c.ok]
        assert len(failed) == MAX_ATTEMPTS and not _ok(h, on_it)
        assert _row(h, notice_row.id).attempts == MAX_ATTEMPTS
        with h.app.sessions.begin() as session:
            gave_up = [json.loads(a.detail) for a in queries.audit_trail(session, request.id)
                       if a.action == Action.DELIVERY_GAVE_UP]
        assert gave_up == [{"delivery": notice_row.id, "method": "chat.postMessage", "error": gave_up[0]["error"]}]

        # The resolved notice queued behind it goes out (it and the alert wear out Slack's last 8 failures).
        done = _posts("chat.postMessage", EMPLOYEE_DM, "marked your request as resolved")
        alert = _posts("chat.postMessage", ADMIN)
        _advance_until(h, lambda: bool(_ok(h, done)) and bool(_ok(h, alert)))
        _only(h, done, "resolved notice")
        assert _index(h, failed[-1]) < min(_index(h, c) for c in h.slack.calls() if done(c))  # not tried before
        report = text_of(_only(h, alert, "admin alert"))
        assert "chat.postMessage" in report and f"request #{request.id}" in report and f"{MAX_ATTEMPTS} tries" in report
        assert {d.state for d in _rows(h) if d.id != notice_row.id} <= {DeliveryState.SENT}
        _no_stray_replies(h)


def _row(h: Harness, delivery_id: int) -> Any:
    with h.app.sessions.begin() as session:
        return delivery_queries.get_delivery(session, delivery_id)


# --- 5. an edit of a message that never got posted is skipped ----------------------------------------------------


def test_an_edit_of_an_answer_that_was_given_up_is_skipped_not_sent(database_url):
    with running(database_url) as h:
        h.slack.fail("chat.postMessage", http_status=500, times=20)
        response = h.sim.message(EMPLOYEE, kb_phrasing(h, "it-printer"), EMPLOYEE_DM)
        request = request_for(h, EMPLOYEE_DM, response.ts)
        answer = _posts("chat.postMessage", EMPLOYEE_DM, "[That solved it]")
        _settle(h, answer)
        assert h.sim.block_action(EMPLOYEE, str(ActionId.SOLVED), str(request.id), EMPLOYEE_DM, None).status == 200
        _wait_rows(h, request.id, "chat.update")
        _advance_until(h, lambda: all(d.state not in ("pending", "sending") for d in _rows(h, request.id)))
        states = {d.method: d.state for d in _rows(h, request.id)}
        assert states == {"chat.postMessage": DeliveryState.FAILED, "chat.update": DeliveryState.SKIPPED}
        assert h.slack.calls("chat.update") == [] and not _ok(h, answer)
        assert len([c for c in h.slack.calls() if answer(c)]) == MAX_ATTEMPTS
        assert reload(h, request.id).answer_ts is None
        _no_stray_replies(h)
