"""The other ways to ask: a help channel, an emoji on a message, a message shortcut, `/helploop <question>`."""
from __future__ import annotations

import pytest

from wiring.settings import Settings
from handlers.action_ids import CallbackId
from storage import queries
from tests.flows import EMPLOYEE, kb_phrasing, request_for, text_of, wait_call, wait_recorded
from tests.harness import running

HELP = "C0HLHELPDESK"


@pytest.fixture
def h(sqlite_url):
    with running(sqlite_url, help_channels=(HELP,)) as harness:
        yield harness


def test_a_top_level_message_in_a_help_channel_is_a_request_answered_in_its_thread(h):
    question = kb_phrasing(h, "it-printer")
    sent = h.sim.message(EMPLOYEE, question, HELP, channel_type="channel")
    request = wait_recorded(h, request_for(h, HELP, sent.ts).id, "answer_ts")
    answer = wait_call(h, 0, "chat.postMessage", HELP)
    assert answer.args["thread_ts"] == sent.ts and request.source == "channel"
    # A reply in that thread, or a message in another channel, is conversation: no new request.
    h.sim.message(EMPLOYEE, "thanks, trying now", HELP, channel_type="channel", thread_ts=sent.ts)
    h.sim.message(EMPLOYEE, question, "C0HLRANDOM", channel_type="channel")
    later = h.sim.message(EMPLOYEE, kb_phrasing(h, "it-vpn-password-reset"), HELP, channel_type="channel")
    wait_recorded(h, request_for(h, HELP, later.ts).id, "answer_ts")
    with h.app.sessions.begin() as session:
        assert sum(queries.count_requests_by(session, "status").values()) == 2


def test_an_sos_emoji_turns_someones_message_into_their_request(h):
    h.slack.add_message("C0HLRANDOM", "U0HLLAN", kb_phrasing(h, "it-vpn-password-reset"), ts="1795000000.000100")
    assert h.sim.reaction_added("U0HLANNA", "thumbsup", "C0HLRANDOM", "1795000000.000100").status == 200
    assert h.sim.reaction_added("U0HLANNA", "sos", "C0HLRANDOM", "1795000000.000100", "U0HLLAN").status == 200
    request = wait_recorded(h, request_for(h, "C0HLRANDOM", "1795000000.000100").id, "answer_ts")
    assert (request.user_id, request.source) == ("U0HLLAN", "emoji")  # the author asked, not the reactor
    answer = wait_call(h, 0, "chat.postMessage", "C0HLRANDOM")
    assert answer.args["thread_ts"] == "1795000000.000100"
    with h.app.sessions.begin() as session:
        assert sum(queries.count_requests_by(session, "status").values()) == 1  # thumbsup did nothing


def test_the_ask_helploop_message_shortcut(h):
    message = {"type": "message", "user": "U0HLLAN", "ts": "1795000000.000200",
               "text": kb_phrasing(h, "it-printer")}
    response = h.sim.message_shortcut("U0HLANNA", str(CallbackId.ASK), "C0HLRANDOM", message["ts"], message)
    assert response.status == 200
    request = wait_recorded(h, request_for(h, "C0HLRANDOM", message["ts"]).id, "answer_ts")
    assert (request.user_id, request.source) == ("U0HLLAN", "shortcut")


def test_slash_command_question_is_answered_in_the_dm(h):
    question = kb_phrasing(h, "it-vpn-password-reset")
    response = h.sim.slash_command(EMPLOYEE, "/helploop", question, "C0HLRANDOM")
    assert response.status == 200
    ack = wait_call(h, 0, "response_url", contains="answer you in our direct messages")
    assert ack.args["response_type"] == "ephemeral"
    quoted = wait_call(h, 0, "chat.postMessage", f"D{EMPLOYEE}", "You asked")
    request = wait_recorded(h, request_for(h, f"D{EMPLOYEE}", quoted.response["ts"]).id, "answer_ts")
    assert request.source == "command" and request.kb_entry_id == "it-vpn-password-reset"
    assert "[That solved it]" in text_of(wait_call(h, 0, "chat.postMessage", f"D{EMPLOYEE}", "Did this answer"))


def test_help_channels_and_reactions_come_from_the_environment():
    settings = Settings.from_env({"HELP_CHANNELS": "C1, C2", "HELP_REACTIONS": ":sos:,ticket"})
    assert settings.help_channels == ("C1", "C2") and settings.help_reactions == ("sos", "ticket")
    assert Settings.from_env({}).help_reactions == ("sos",)
