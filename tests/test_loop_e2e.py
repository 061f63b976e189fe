"""The closed loop end to end: signed Slack requests into the real app, a fake Web API over HTTP."""
from __future__ import annotations

import json

import pytest

from handlers.action_ids import ActionId
from storage import queries
from bot.words import Resolution, Status, TimerKind
from tests.flows import (EMPLOYEE, EMPLOYEE_DM, IT_STAFF, IT_TRIAGE, OUTSIDER, UNANSWERABLE, ask_dm,
                         claimed, click, escalate, kb_phrasing, reload, request_for, resolved, text_of,
                         wait_call, wait_recorded)
from tests.harness import running


@pytest.fixture
def h(sqlite_url):
    with running(sqlite_url) as harness:
        yield harness


def test_kb_answer_in_the_dm_with_buttons_and_solved_closes_as_self_served(h):
    request = ask_dm(h, kb_phrasing(h, "it-vpn-password-reset"))
    answer = wait_call(h, 0, "chat.postMessage", EMPLOYEE_DM)
    assert "thread_ts" not in answer.args  # in a DM the answer goes to the DM itself
    assert h.app.kb.entries["it-vpn-password-reset"].answer.strip()[:40] in text_of(answer)
    assert "[That solved it]" in text_of(answer) and "[I still need help]" in text_of(answer)
    assert request.status == Status.ANSWERED

    mark = click(h, EMPLOYEE, ActionId.SOLVED, request, EMPLOYEE_DM, request.answer_ts)
    edited = wait_call(h, mark, "chat.update", EMPLOYEE_DM)
    assert edited.args["ts"] == request.answer_ts
    assert "Glad it helped" in text_of(edited) and "[That solved it]" not in text_of(edited)
    done = reload(h, request.id)
    assert (done.status, done.resolution) == (Status.CLOSED, Resolution.SELF_SERVED)
    assert h.slack.calls("chat.postMessage")[1:] == []  # nobody in a triage channel was bothered


def test_still_need_help_escalates_with_department_and_on_call(h):
    request = ask_dm(h, kb_phrasing(h, "it-vpn-password-reset"))
    mark = click(h, EMPLOYEE, ActionId.NEED_HELP, request, EMPLOYEE_DM, request.answer_ts)
    notice = wait_call(h, mark, "chat.postMessage", EMPLOYEE_DM, "passed your request to *IT*")
    triage = wait_call(h, mark, "chat.postMessage", IT_TRIAGE, "[Claim]")
    request = reload(h, request.id)
    assert request.status == Status.ESCALATED and request.oncall_user_id in IT_STAFF + ("U0HLMINH",)
    assert f"<@{request.oncall_user_id}>" in text_of(notice)
    assert f"<@{request.oncall_user_id}>" in text_of(triage)
    assert f"<@{EMPLOYEE}>" in text_of(triage) and "in a direct message" in text_of(triage)
    assert "Passed to *IT*" in text_of(wait_call(h, mark, "chat.update", EMPLOYEE_DM))


def test_unanswerable_question_escalates_at_once_to_the_triage_channel(h):
    request = escalate(h)
    notice = wait_call(h, 0, "chat.postMessage", EMPLOYEE_DM)
    assert "couldn't find a confident answer" in text_of(notice)
    triage = wait_call(h, 0, "chat.postMessage", request.triage_channel)
    assert UNANSWERABLE in text_of(triage)
    # Staff cannot open the bot's DM with the employee, so the post says where it was asked instead of a
    # link that would not open (a question asked in a channel links to it: test_mention_…_links_to_it).
    assert "archives/" not in json.dumps(triage.args["blocks"]) and "in a direct message" in text_of(triage)
    assert request.triage_channel == h.app.kb.departments[request.department_id].triage_channel


def test_mention_in_a_channel_is_answered_in_its_thread(h):
    question = kb_phrasing(h, "it-vpn-password-reset")
    response = h.sim.app_mention(EMPLOYEE, f"<@U0HLBOT> {question}", "C0HLGENERAL")
    request = wait_recorded(h, request_for(h, "C0HLGENERAL", response.ts).id, "answer_ts")
    answer = wait_call(h, 0, "chat.postMessage", "C0HLGENERAL")
    assert answer.args["thread_ts"] == response.ts
    assert request.text == question  # the mention itself is not part of the question


def test_an_escalated_mention_links_staff_to_the_original_message(h):
    text = "The projector in the boardroom makes a weird buzzing sound during calls"
    response = h.sim.app_mention(EMPLOYEE, f"<@U0HLBOT> {text}", "C0HLGENERAL")
    triage = wait_call(h, 0, "chat.postMessage", IT_TRIAGE, "[Claim]")
    assert f"archives/C0HLGENERAL/p{response.ts.replace('.', '')}" in json.dumps(triage.args["blocks"])


def test_empty_mention_gets_a_polite_prompt_and_no_request(h):
    response = h.sim.app_mention(EMPLOYEE, "<@U0HLBOT>", "C0HLGENERAL")
    reply = wait_call(h, 0, "chat.postMessage", "C0HLGENERAL", "Tell me what you need help with")
    assert reply.args["thread_ts"] == response.ts
    with h.app.sessions.begin() as session:
        assert queries.count_requests_by(session, "status") == {}


@pytest.mark.parametrize("kwargs", [
    {"subtype": "message_changed"},
    {"subtype": "channel_join"},
    {"bot_id": "B0HLBOT"},
    {"user": "U0HLBOT", "bot_id": "B0HLSELF"},
    {"thread_ts": "1700000000.000100"},
])
def test_edits_bots_joins_and_thread_replies_are_ignored(h, kwargs):
    user = kwargs.pop("user", EMPLOYEE)
    response = h.sim.message(user, kb_phrasing(h, "it-vpn-password-reset"), EMPLOYEE_DM, **kwargs)
    assert response.status == 200
    # A real message afterwards is handled, so the ignored one had its chance to be processed first.
    ask_dm(h, kb_phrasing(h, "it-printer"))
    with h.app.sessions.begin() as session:
        assert queries.count_requests_by(session, "status") == {Status.ANSWERED: 1}
    assert len(h.slack.calls("chat.postMessage")) == 1


def test_slack_retry_of_the_same_event_makes_one_request_and_one_reply(h):
    first = h.sim.message(EMPLOYEE, kb_phrasing(h, "it-printer"), EMPLOYEE_DM)
    request = wait_recorded(h, request_for(h, EMPLOYEE_DM, first.ts).id, "answer_ts")
    retry = h.sim.message(EMPLOYEE, kb_phrasing(h, "it-printer"), EMPLOYEE_DM, ts=first.ts,
                          event_id=first.event_id, retry_num=1, retry_reason="http_timeout")
    assert retry.status == 200
    ask_dm(h, kb_phrasing(h, "it-vpn-password-reset"))  # a later message, processed after the retry
    with h.app.sessions.begin() as session:
        assert queries.count_requests_by(session, "status") == {Status.ANSWERED: 2}
    replies = [c for c in h.slack.calls("chat.postMessage") if request.answer_ts == c.response.get("ts")]
    assert len(replies) == 1 and len(h.slack.calls("chat.postMessage")) == 2


def test_bad_signature_and_stale_timestamp_are_rejected(h):
    body = json.dumps(h.sim.message_payload(EMPLOYEE, "hello", EMPLOYEE_DM)).encode()
    assert h.sim.raw(body, "application/json", signature="v0=" + "0" * 64).status == 401
    stale = int(h.sim.clock()) - 10 * 60
    assert h.sim.raw(body, "application/json", timestamp=stale).status == 401
    with h.app.sessions.begin() as session:
        assert queries.count_requests_by(session, "status") == {}
    assert h.slack.calls("chat.postMessage") == []


def test_claim_updates_the_post_in_place_and_tells_the_employee(h):
    request = escalate(h)
    mark = click(h, IT_STAFF[0], ActionId.CLAIM, request, IT_TRIAGE, request.triage_ts)
    told = wait_call(h, mark, "chat.postMessage", EMPLOYEE_DM, "is on it")
    assert f"<@{IT_STAFF[0]}>" in text_of(told)
    update = wait_call(h, mark, "chat.update", IT_TRIAGE)
    assert update.args["ts"] == request.triage_ts
    assert f"Claimed by <@{IT_STAFF[0]}>" in text_of(update)
    assert "[Resolve]" in text_of(update) and "[Unclaim]" in text_of(update) and "[Claim]" not in text_of(update)


def test_non_member_and_late_claims_get_ephemeral_refusals(h):
    request = escalate(h)
    mark = click(h, OUTSIDER, ActionId.CLAIM, request, IT_TRIAGE, request.triage_ts)
    refusal = wait_call(h, mark, "response_url")
    assert "Only members of IT" in text_of(refusal) and refusal.args["response_type"] == "ephemeral"
    request = claimed(h, request, IT_STAFF[0])
    mark = click(h, IT_STAFF[1], ActionId.CLAIM, request, IT_TRIAGE, request.triage_ts)
    late = wait_call(h, mark, "response_url")
    assert f"already claimed by <@{IT_STAFF[0]}>" in text_of(late)
    assert reload(h, request.id).claimed_by == IT_STAFF[0]


def test_unclaim_puts_it_back_in_the_queue(h):
    request = claimed(h, escalate(h))
    mark = click(h, IT_STAFF[1], ActionId.UNCLAIM, request, IT_TRIAGE, request.triage_ts)
    assert "Only <@U0HLANNA>" in text_of(wait_call(h, mark, "response_url"))
    mark = click(h, IT_STAFF[0], ActionId.UNCLAIM, request, IT_TRIAGE, request.triage_ts)
    assert "[Claim]" in text_of(wait_call(h, mark, "chat.update", IT_TRIAGE))
    assert reload(h, request.id).status == Status.ESCALATED


def test_resolve_then_follow_up_yes_closes_the_loop(h):
    request = resolved(h, claimed(h, escalate(h)))
    assert request.status == Status.RESOLVED
    assert h.advance(hours=23) == 0  # IT's follow-up delay is 24 h
    mark = len(h.slack.calls())
    assert h.advance(hours=1, minutes=1) == 1
    question = wait_call(h, mark, "chat.postMessage", EMPLOYEE_DM, "really fixed?")
    assert "[Yes, it's fixed]" in text_of(question) and "[No, still broken]" in text_of(question)
    request = reload(h, request.id)
    mark = click(h, EMPLOYEE, ActionId.FIXED_YES, request, EMPLOYEE_DM, request.followup_ts)
    assert "Glad it's fixed" in text_of(wait_call(h, mark, "chat.update", EMPLOYEE_DM))
    assert "confirmed" in text_of(wait_call(h, mark, "chat.update", IT_TRIAGE))
    done = reload(h, request.id)
    assert (done.status, done.resolution) == (Status.CLOSED, Resolution.CONFIRMED)
    assert h.advance(days=5) == 0  # the expiry was cancelled: nothing else happens


def test_follow_up_no_reopens_and_the_next_resolve_asks_again(h):
    request = resolved(h, claimed(h, escalate(h)))
    h.advance(hours=24, minutes=1)
    request = wait_recorded(h, request.id, "followup_ts")
    mark = click(h, EMPLOYEE, ActionId.FIXED_NO, request, EMPLOYEE_DM, request.followup_ts)
    ping = wait_call(h, mark, "chat.postMessage", IT_TRIAGE, "is not fixed")
    assert ping.args["thread_ts"] == request.triage_ts and f"<@{IT_STAFF[0]}>" in text_of(ping)
    assert "Reopened" in text_of(wait_call(h, mark, "chat.update", IT_TRIAGE))
    reopened = reload(h, request.id)
    assert (reopened.status, reopened.claimed_by, reopened.reopen_count) == (Status.REOPENED, IT_STAFF[0], 1)

    resolved(h, reopened)
    mark = len(h.slack.calls())
    assert h.advance(hours=24, minutes=1) == 1
    wait_call(h, mark, "chat.postMessage", EMPLOYEE_DM, "really fixed?")


def test_no_answer_to_the_follow_up_closes_it_unconfirmed(h):
    request = resolved(h, claimed(h, escalate(h)))
    h.advance(hours=24, minutes=1)
    wait_recorded(h, request.id, "followup_ts")
    assert h.advance(hours=71) == 0
    mark = len(h.slack.calls())
    assert h.advance(hours=1) == 1
    assert "No answer" in text_of(wait_call(h, mark, "chat.update", EMPLOYEE_DM))
    done = reload(h, request.id)
    assert (done.status, done.resolution) == (Status.CLOSED, Resolution.UNCONFIRMED)


def test_only_the_requester_answers_the_follow_up(h):
    request = resolved(h, claimed(h, escalate(h)))
    h.advance(hours=25)
    request = wait_recorded(h, request.id, "followup_ts")
    mark = click(h, IT_STAFF[0], ActionId.FIXED_YES, request, EMPLOYEE_DM, request.followup_ts)
    assert f"Only <@{EMPLOYEE}>" in text_of(wait_call(h, mark, "response_url"))
    assert reload(h, request.id).status == Status.RESOLVED


def test_every_transition_is_audited(h):
    request = resolved(h, claimed(h, escalate(h)))
    h.advance(hours=25)
    request = wait_recorded(h, request.id, "followup_ts")
    mark = click(h, EMPLOYEE, ActionId.FIXED_YES, request, EMPLOYEE_DM, request.followup_ts)
    wait_call(h, mark, "chat.update", IT_TRIAGE)
    with h.app.sessions.begin() as session:
        trail = [(a.actor, a.action, a.from_status, a.to_status) for a in queries.audit_trail(session, request.id)]
    assert trail == [
        (EMPLOYEE, "created", None, "escalated"),
        (IT_STAFF[0], "claimed", "escalated", "claimed"),
        (IT_STAFF[0], "resolved", "claimed", "resolved"),
        ("helploop", "followup_asked", "resolved", "resolved"),
        (EMPLOYEE, "confirmed", "resolved", "closed"),
    ]


def test_timers_are_rows_with_due_times(h):
    request = resolved(h, claimed(h, escalate(h)))
    with h.app.sessions.begin() as session:
        [timer] = queries.pending_timers(session, request.id)
    assert timer.kind == TimerKind.FOLLOWUP
    assert timer.due_at == request.resolved_at + __import__("datetime").timedelta(hours=24)


def test_health_endpoint(h):
    import urllib.request

    with urllib.request.urlopen(f"{h.server.url}/health", timeout=5) as response:
        assert response.status == 200 and json.loads(response.read()) == {"status": "ok", "database": "ok"}


def test_an_answer_offers_related_entries_and_a_click_shows_one(h):
    request = ask_dm(h, kb_phrasing(h, "it-vpn-password-reset"))
    answer = wait_call(h, 0, "chat.postMessage", EMPLOYEE_DM, "also asked")
    related = answer.args["blocks"][-1]["elements"][0]
    assert related["value"] == f"{request.id}|it-vpn-cannot-connect"
    mark = len(h.slack.calls())
    h.sim.block_action(EMPLOYEE, related["action_id"], related["value"], EMPLOYEE_DM, request.answer_ts)
    shown = wait_call(h, mark, "chat.postMessage", EMPLOYEE_DM)
    assert h.app.kb.entries["it-vpn-cannot-connect"].answer.strip()[:30] in text_of(shown)
    assert reload(h, request.id).status == Status.ANSWERED  # nothing else changed
