"""The conversation goes through the request: relay both ways, notes, edits, one request per conversation.

Signed requests into the real app, the fake Slack Web API over HTTP; what people would see is asserted.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.words import Direction, Status
from handlers.action_ids import ActionId
from storage import conversation_queries as talk
from storage.models import HeldMessage, Request
from tests.flows import (EMPLOYEE, EMPLOYEE_DM, IT_STAFF, IT_TRIAGE, claimed, click, escalate, reload, request_for,
                         resolve, resolved, text_of, wait_call, wait_recorded)
from tests.harness import running
from tests.socket import dispatch_envelope

ANNA = IT_STAFF[0]


@pytest.fixture
def h(sqlite_url):
    with running(sqlite_url) as harness:
        yield harness


def staff_says(h, request, text: str, user: str = ANNA, **kw):
    """Someone writes in the request's triage thread."""
    return h.sim.message(user, text, request.triage_channel, channel_type="channel",
                         thread_ts=request.triage_ts, **kw)


def _messages(h, request_id: int):
    with h.app.sessions.begin() as session:
        return [(m.direction, m.author_id, m.text) for m in talk.messages_of(session, request_id)]


def test_a_staff_reply_in_the_triage_thread_reaches_the_employee_attributed(database_url):
    with running(database_url) as h:
        request = claimed(h, escalate(h))
        mark = len(h.slack.calls())
        staff_says(h, request, "Can you send me a screenshot of the error? See <https://kb.example.com/vpn|the guide>")
        relayed = wait_call(h, mark, "chat.postMessage", EMPLOYEE_DM, "Can you send me a screenshot")
        assert f"<@{ANNA}> (IT):" in text_of(relayed) and "the guide (https://kb.example.com/vpn)" in text_of(relayed)
        assert "<https://" not in relayed.args["text"]  # the link is shown, never a disguised one
        assert _messages(h, request.id)[0][:2] == (Direction.TO_REQUESTER, ANNA)
        assert reload(h, request.id).first_human_reply_at is not None


def test_the_employee_replies_in_the_dm_thread_and_staff_read_it_in_the_triage_thread(h):
    request = claimed(h, escalate(h))
    mark = len(h.slack.calls())
    staff_says(h, request, "Which room is it?")
    relayed = wait_call(h, mark, "chat.postMessage", EMPLOYEE_DM, "Which room")
    h.sim.message(EMPLOYEE, "The Saigon room, second floor", EMPLOYEE_DM, thread_ts=relayed.response["ts"])
    back = wait_call(h, mark, "chat.postMessage", IT_TRIAGE, "Saigon room")
    assert back.args["thread_ts"] == request.triage_ts and f"<@{EMPLOYEE}>:" in text_of(back)
    assert [d for d, _, _ in _messages(h, request.id)] == [Direction.TO_REQUESTER, Direction.TO_STAFF]


def test_an_internal_note_stays_in_the_triage_thread(h):
    request = claimed(h, escalate(h))
    mark = len(h.slack.calls())
    note = staff_says(h, request, "// probably the HDMI extender, ordering one")
    reaction = wait_call(h, mark, "reactions.add")
    assert reaction.args["name"] == "lock" and reaction.args["timestamp"] == note.ts
    h.app.inbox.wait_idle()
    h.app.dispatcher.run_due()
    assert not [c for c in h.slack.calls()[mark:] if c.args.get("channel") == EMPLOYEE_DM]
    assert _messages(h, request.id)[0][0] == Direction.INTERNAL


def test_a_reply_while_unclaimed_claims_the_request_for_the_replier(h):
    request = escalate(h)
    mark = len(h.slack.calls())
    staff_says(h, request, "Looking into it now", user=IT_STAFF[1])
    wait_call(h, mark, "chat.postMessage", EMPLOYEE_DM, "Looking into it now")
    assert reload(h, request.id).claimed_by == IT_STAFF[1]
    assert reload(h, request.id).status == Status.CLAIMED


def test_edits_and_deletions_of_a_relayed_message_are_mirrored(h):
    request = claimed(h, escalate(h))
    mark = len(h.slack.calls())
    said = staff_says(h, request, "Restart the laptop")
    copy = wait_call(h, mark, "chat.postMessage", EMPLOYEE_DM, "Restart the laptop")
    h.sim.message_changed(ANNA, request.triage_channel, said.ts, "Restart the laptop and the dock",
                          channel_type="channel", thread_ts=request.triage_ts)
    edit = wait_call(h, mark, "chat.update", EMPLOYEE_DM, "and the dock")
    assert edit.args["ts"] == copy.response["ts"]
    h.sim.message_deleted(request.triage_channel, said.ts, channel_type="channel")
    gone = wait_call(h, mark, "chat.delete", EMPLOYEE_DM)
    assert gone.args["ts"] == copy.response["ts"]


def test_a_relay_that_slack_refuses_with_500_is_sent_once_later(h):
    request = claimed(h, escalate(h))
    h.slack.fail("chat.postMessage", http_status=500)
    staff_says(h, request, "Please try the new driver")
    h.slack.wait_for(lambda c: c.method == "chat.postMessage" and not c.ok)
    h.advance(seconds=10)
    h.slack.wait_for(lambda c: c.method == "chat.postMessage" and c.ok and "new driver" in text_of(c))
    delivered = [c for c in h.slack.calls("chat.postMessage") if c.ok and "new driver" in text_of(c)]
    assert len(delivered) == 1


def test_a_second_dm_while_a_request_is_open_asks_once_which_it_is(h):
    request = claimed(h, escalate(h))
    mark = len(h.slack.calls())
    h.sim.message(EMPLOYEE, "it's the VPN client, error 809", EMPLOYEE_DM)
    prompt = wait_call(h, mark, "chat.postMessage", EMPLOYEE_DM, "Is this about your open request")
    assert "[Add to it]" in text_of(prompt) and "[New question]" in text_of(prompt)
    add = next(e for e in prompt.args["blocks"][1]["elements"] if e["action_id"] == ActionId.ADD_TO_REQUEST)
    h.sim.block_action(EMPLOYEE, str(ActionId.ADD_TO_REQUEST), add["value"], EMPLOYEE_DM, prompt.response["ts"])
    relayed = wait_call(h, mark, "chat.postMessage", IT_TRIAGE, "error 809")
    assert relayed.args["thread_ts"] == request.triage_ts
    assert "Added to your request" in text_of(wait_call(h, mark, "response_url"))
    with h.app.sessions.begin() as session:
        assert len(session.execute(__import__("sqlalchemy").text("select id from requests")).all()) == 1


def test_new_question_from_the_prompt_makes_a_new_request(h):
    claimed(h, escalate(h))
    mark = len(h.slack.calls())
    sent = h.sim.message(EMPLOYEE, "How do I reset my VPN password?", EMPLOYEE_DM)
    prompt = wait_call(h, mark, "chat.postMessage", EMPLOYEE_DM, "Is this about your open request")
    new = next(e for e in prompt.args["blocks"][1]["elements"] if e["action_id"] == ActionId.NEW_QUESTION)
    h.sim.block_action(EMPLOYEE, str(ActionId.NEW_QUESTION), new["value"], EMPLOYEE_DM, prompt.response["ts"])
    assert request_for(h, EMPLOYEE_DM, sent.ts).text == "How do I reset my VPN password?"


def test_a_thanks_in_the_dm_is_relayed_not_a_new_ticket(h):
    request = claimed(h, escalate(h))
    mark = len(h.slack.calls())
    h.sim.message(EMPLOYEE, "dzięki!", EMPLOYEE_DM)
    wait_call(h, mark, "chat.postMessage", IT_TRIAGE, "dzięki")
    assert _messages(h, request.id)[-1][0] == Direction.TO_STAFF


def test_a_second_mention_in_the_same_thread_gets_a_visible_answer(h):
    question = "The projector in the boardroom makes a weird buzzing sound during calls"
    first = h.sim.app_mention(EMPLOYEE, f"<@U0HLBOT> {question}", "C0HLGENERAL")
    request = wait_recorded(h, request_for(h, "C0HLGENERAL", first.ts).id, "triage_ts")
    mark = len(h.slack.calls())
    h.sim.app_mention(EMPLOYEE, "<@U0HLBOT> any news?", "C0HLGENERAL", thread_ts=first.ts)
    told = wait_call(h, mark, "chat.postMessage", "C0HLGENERAL", "I'm already on this")
    assert told.args["thread_ts"] == first.ts and f"#{request.id}" in text_of(told)


def test_the_resolution_note_reaches_the_employee_with_the_follow_up(h):
    request = claimed(h, escalate(h))
    mark = resolve(h, ANNA, request, done="Replaced the HDMI extender", self_help="Unplug and replug the dock")
    told = wait_call(h, mark, "chat.postMessage", EMPLOYEE_DM, "marked your request as resolved")
    assert "Replaced the HDMI extender" in text_of(told) and "Unplug and replug" in text_of(told)
    assert reload(h, request.id).resolution_note == "Replaced the HDMI extender"
    mark = len(h.slack.calls())
    h.advance(hours=24, minutes=1)
    asked = wait_call(h, mark, "chat.postMessage", EMPLOYEE_DM, "really fixed?")
    assert "Replaced the HDMI extender" in text_of(asked)


def test_still_broken_asks_what_is_wrong_and_the_answer_reaches_the_claimer(h):
    request = resolved(h, claimed(h, escalate(h)))
    h.advance(hours=24, minutes=1)
    request = wait_recorded(h, request.id, "followup_ts")
    mark = click(h, EMPLOYEE, ActionId.FIXED_NO, request, EMPLOYEE_DM, request.followup_ts)
    wait_call(h, mark, "chat.postMessage", EMPLOYEE_DM, "What is still wrong?")
    h.sim.message(EMPLOYEE, "It still buzzes at the start of every call", EMPLOYEE_DM)
    wait_call(h, mark, "chat.postMessage", IT_TRIAGE, "still buzzes")
    assert reload(h, request.id).status == Status.REOPENED


def test_a_closed_request_can_be_reopened_by_its_requester(h):
    request = resolved(h, claimed(h, escalate(h)))
    h.advance(hours=24, minutes=1)
    request = wait_recorded(h, request.id, "followup_ts")
    mark = click(h, EMPLOYEE, ActionId.FIXED_YES, request, EMPLOYEE_DM, request.followup_ts)
    closed = wait_call(h, mark, "chat.update", EMPLOYEE_DM, "[Reopen]")
    assert reload(h, request.id).status == Status.CLOSED
    h.advance(days=2)
    mark = click(h, EMPLOYEE, ActionId.REOPEN, request, EMPLOYEE_DM, closed.args["ts"])
    wait_call(h, mark, "chat.postMessage", IT_TRIAGE, "reopened request")
    again = reload(h, request.id)
    assert again.status == Status.ESCALATED and again.reopen_count == 1
    h.advance(days=10)
    mark = click(h, EMPLOYEE, ActionId.FIXED_YES, again, EMPLOYEE_DM, again.followup_ts)  # stale button
    assert "moved on" in text_of(wait_call(h, mark, "response_url"))


def test_a_closed_request_cannot_be_reopened_after_the_window(h):
    request = resolved(h, claimed(h, escalate(h)))
    h.advance(hours=24, minutes=1)
    request = wait_recorded(h, request.id, "followup_ts")
    click(h, EMPLOYEE, ActionId.FIXED_YES, request, EMPLOYEE_DM, request.followup_ts)
    h.advance(days=8)  # IT keeps the default 7-day reopen window
    mark = click(h, EMPLOYEE, ActionId.REOPEN, request, EMPLOYEE_DM, None)
    assert "too long ago" in text_of(wait_call(h, mark, "response_url"))
    assert reload(h, request.id).status == Status.CLOSED


def test_a_staff_reply_over_socket_mode_reaches_the_employee(h):
    request = claimed(h, escalate(h))
    mark = len(h.slack.calls())
    payload = h.sim.message_payload(ANNA, "Over the socket: please reboot", request.triage_channel, "channel",
                                    thread_ts=request.triage_ts)
    assert dispatch_envelope(h.app, h.sim.socket_mode_envelope("events_api", payload)).status == 200
    wait_call(h, mark, "chat.postMessage", EMPLOYEE_DM, "please reboot")


def test_the_question_itself_processed_again_is_not_taken_for_a_second_message(h):
    """A restart can process a stored DM again after its request was made (killed between the two
    commits): it is the same message, so nothing is held and nobody is asked "is this about…?"."""
    request = claimed(h, escalate(h))
    mark = len(h.slack.calls())
    again = h.sim.message(EMPLOYEE, request.text, EMPLOYEE_DM, ts=request.message_ts)  # another event id
    assert again.status == 200
    h.advance(seconds=1)
    assert [c for c in h.slack.calls()[mark:] if c.method == "chat.postMessage"] == []
    with h.app.sessions.begin() as session:
        assert list(session.scalars(select(Request.id))) == [request.id]
        assert list(session.scalars(select(HeldMessage.id))) == []
