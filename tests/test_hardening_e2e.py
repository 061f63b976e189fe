"""Hostile input, replays and who-did-it, through signed requests into the real app and the fake Slack."""
from __future__ import annotations

import json
import logging

import pytest

from bot.words import Status
from handlers.action_ids import ActionId
from storage import queries
from tests.flows import (EMPLOYEE, EMPLOYEE_DM, IT_STAFF, IT_TRIAGE, claimed, escalate, reload, request_for,
                         resolve, text_of, wait_call)
from tests.harness import running

HOSTILE = "Projector buzzing <!channel> <!here> <@U0HLBOSS> <https://evil.example|id.example.com> & more"


@pytest.fixture
def h(sqlite_url):
    with running(sqlite_url) as harness:
        yield harness


def test_markup_in_a_question_pings_nobody_and_shows_as_typed(h):
    # What Slack sends for that text typed by a person: special characters arrive as entities.
    typed = HOSTILE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    response = h.sim.message(EMPLOYEE, typed, EMPLOYEE_DM)
    request = request_for(h, EMPLOYEE_DM, response.ts)
    assert request.text == HOSTILE  # stored as the person typed it
    triage = wait_call(h, 0, "chat.postMessage", IT_TRIAGE, "[Claim]")
    raw = json.dumps(triage.args)
    for markup in ("<!channel>", "<!here>", "<@U0HLBOSS>", "<https://evil.example"):
        assert markup not in raw
    assert HOSTILE in text_of(triage)  # rendered by Slack exactly as typed


def test_a_nul_byte_does_not_stop_the_question_being_taken(database_url):
    with running(database_url) as h:
        response = h.sim.message(EMPLOYEE, "VPN\x00 keeps dropping every hour", EMPLOYEE_DM)
        assert response.status == 200
        assert request_for(h, EMPLOYEE_DM, response.ts).text == "VPN keeps dropping every hour"


def test_emoji_only_message_gets_the_how_to_ask_prompt_not_a_ticket(h):
    h.sim.message(EMPLOYEE, ":pray: :pray:", EMPLOYEE_DM)
    wait_call(h, 0, "chat.postMessage", EMPLOYEE_DM, "Tell me what you need help with")
    with h.app.sessions.begin() as session:
        assert queries.count_requests_by(session, "status") == {}


def test_a_25_digit_button_value_is_ignored_without_an_error(h):
    response = h.sim.block_action(EMPLOYEE, str(ActionId.CLAIM), "9" * 25, IT_TRIAGE, "1.1")
    assert response.status == 200
    h.app.inbox.wait_idle()
    with h.app.sessions.begin() as session:
        assert queries.count_requests_by(session, "status") == {}
    assert not [c for c in h.slack.calls() if c.method != "auth.test"]


def test_a_replayed_click_changes_nothing(h):
    request = escalate(h)
    payload = h.sim.block_action_payload(IT_STAFF[0], str(ActionId.CLAIM), str(request.id), IT_TRIAGE,
                                         request.triage_ts, None, None, None, "actions")
    first = h.sim._interactive(payload)
    second = h.sim._interactive(payload)  # the very same click again (a replay within Slack's window)
    assert first.status == second.status == 200
    wait_call(h, 0, "chat.postMessage", EMPLOYEE_DM, "is on it")
    h.app.inbox.wait_idle()
    h.app.dispatcher.run_due()
    assert len([c for c in h.slack.calls("chat.postMessage") if "is on it" in text_of(c)]) == 1
    assert not h.slack.calls("response_url")  # no "already claimed" noise for the replay either


def test_the_employee_is_told_who_actually_resolved(h):
    request = claimed(h, escalate(h), IT_STAFF[0])
    mark = resolve(h, IT_STAFF[1], request)
    told = wait_call(h, mark, "chat.postMessage", EMPLOYEE_DM, "marked your request as resolved")
    assert f"<@{IT_STAFF[1]}>" in text_of(told) and f"<@{IT_STAFF[0]}>" not in text_of(told)
    done = reload(h, request.id)
    assert done.status == Status.RESOLVED and done.resolved_by == IT_STAFF[1]
    edited = wait_call(h, mark, "chat.update", IT_TRIAGE, "Resolved by")
    assert f"Resolved by <@{IT_STAFF[1]}>" in text_of(edited)


def test_request_log_lines_carry_no_text_and_rejected_bodies_are_never_logged(h, caplog):
    caplog.set_level(logging.INFO)
    secret_question = "my salary is 12345 and my password is hunter2"
    h.sim.message(EMPLOYEE, secret_question, EMPLOYEE_DM)
    forged = b'{"type":"event_callback","event":{"type":"message","text":"forged\\nINFO fake line"}}'
    assert h.sim.raw(forged, "application/json", signature="v0=forged").status == 401
    h.app.inbox.wait_idle()
    lines = [r.getMessage() + " " + json.dumps({k: str(v) for k, v in vars(r).items()}) for r in caplog.records]
    assert any("slack request stored" in line for line in lines)
    assert any("slack request bad_signature" in line for line in lines)
    assert not [line for line in lines if "hunter2" in line or "forged" in line]


def test_the_status_command_is_for_admins_only(sqlite_url):
    with running(sqlite_url, admins=("U0HLADMIN",)) as h:
        escalate(h)
        h.sim.slash_command(EMPLOYEE, "/helploop", "status", "C0HLGENERAL")
        refused = wait_call(h, 0, "response_url", contains="Only helploop admins")
        assert "Slack writes" not in text_of(refused)
        h.sim.slash_command("U0HLADMIN", "/helploop", "status", "C0HLGENERAL")
        status = wait_call(h, 0, "response_url", contains="helploop status")
        assert "Slack writes:" in text_of(status) and "sent" in text_of(status)
