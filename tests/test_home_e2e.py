"""The App Home, the request form and KB search, end to end: signed requests into the real app, the fake
Slack over HTTP records views.publish / views.open, and we read what a person would see."""
from __future__ import annotations

import time
from typing import Any

import pytest

from bot.oncall import on_call
from handlers.action_ids import ActionId, CallbackId
from sqlalchemy import select

from localslack.webapi import render_message
from storage.models import Request
from tests.flows import EMPLOYEE, IT_STAFF, IT_TRIAGE, escalate, reload, wait_call, wait_recorded
from tests.harness import Harness, running

HR_TRIAGE = "C0HLHRTRIAGE"
STAFF = IT_STAFF[0]
HOME = {"type": "view", "view_id": "VHOME"}


@pytest.fixture
def h(database_url):
    with running(database_url) as harness:
        yield harness


def home_lines(h: Harness, user: str, contains: str = "", timeout: float = 5.0) -> str:
    """The user's published Home as text, once it contains `contains`."""
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        h.app.dispatcher.run_due()
        view = h.slack.home_view(user)
        text = "\n".join(render_message(view)).replace("*", "") if view else ""  # bold marks aside
        if view and contains in text:
            return text
        time.sleep(0.02)
    raise AssertionError(f"{user}'s Home never showed {contains!r}; last:\n{text}")


def open_home(h: Harness, user: str) -> None:
    response = h.sim.event(h.sim.envelope({"type": "app_home_opened", "user": user, "channel": "D0HOME",
                                           "tab": "home", "event_ts": h.sim.new_ts()}))
    assert response.status == 200, response.body


def home_click(h: Harness, user: str, action: ActionId, value: str) -> int:
    mark = len(h.slack.calls())
    response = h.sim.block_action(user, str(action), value, None, None, container=HOME)
    assert response.status == 200, response.body
    return mark


def opened_view(h: Harness, after: int, callback: str) -> dict[str, Any]:
    call = wait_call(h, after, "views.open")
    deadline = time.monotonic() + 5
    while call.args["view"].get("callback_id") != callback and time.monotonic() < deadline:
        call = wait_call(h, after + 1, "views.open")
    assert call.args["view"]["callback_id"] == callback
    return call.args["view"]


def submit_form(h: Harness, user: str, text: str, department: str | None = None, urgent: bool = False,
                anonymous: bool = False) -> None:
    values: dict[str, Any] = {
        "question": {"value": {"type": "plain_text_input", "value": text}},
        "department": {"value": {"type": "static_select", "selected_option": {"value": department or "auto"}}},
        "urgency": {"value": {"type": "radio_buttons",
                              "selected_option": {"value": "blocking" if urgent else "normal"}}},
        "anonymous": {"value": {"type": "checkboxes",
                                "selected_options": [{"value": "yes"}] if anonymous else []}},
    }
    response = h.sim.view_submission(user, str(CallbackId.REQUEST_FORM), values)
    assert response.status == 200, response.body


def form_request(h: Harness, text: str, timeout: float = 5.0) -> Request:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with h.app.sessions.begin() as session:
            found = session.scalars(select(Request).where(Request.text == text)).one_or_none()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError(f"no request for {text!r}")


# --- App Home ------------------------------------------------------------------------------------------------
def test_home_shows_an_employee_their_request_and_who_handles_what(h):
    request = escalate(h)
    open_home(h, EMPLOYEE)
    text = home_lines(h, EMPLOYEE, f"#{request.id}")
    assert "Your requests" in text
    assert f"#{request.id} · IT · waiting for someone from IT to take it" in text
    assert "[Add a message]" in text
    assert "Who handles what" in text and "People & HR" in text and "Working hours: Mon–Fri 09:00–17:30" in text
    assert "Team queue" not in text  # not staff


def test_staff_home_shows_the_queue_and_both_homes_update_after_a_claim_from_the_home(h):
    request = escalate(h)
    open_home(h, EMPLOYEE)
    open_home(h, STAFF)
    staff = home_lines(h, STAFF, "Unclaimed (1)")
    assert f"#{request.id} · IT · <@{EMPLOYEE}> · waiting 0 min" in staff and "[Claim]" in staff
    assert "Mine (0)" in staff and "primary" in staff  # who is on call now and next

    home_click(h, STAFF, ActionId.CLAIM, str(request.id))
    assert wait_recorded(h, request.id, "claimed_by").claimed_by == STAFF
    staff = home_lines(h, STAFF, "Mine (1)")
    assert "Unclaimed (0)" in staff and "[Resolve]" in staff
    employee = home_lines(h, EMPLOYEE, f"<@{STAFF}> is on it")
    assert f"#{request.id} · IT · <@{STAFF}> is on it" in employee


def test_add_a_message_from_the_home_reaches_the_triage_thread(h):
    request = escalate(h)
    mark = home_click(h, EMPLOYEE, ActionId.ADD_MESSAGE, str(request.id))
    view = opened_view(h, mark, str(CallbackId.ADD_MESSAGE))
    assert view["private_metadata"] == str(request.id)
    values = {"message": {"value": {"type": "plain_text_input", "value": "It also happens on the TV in room 4"}}}
    response = h.sim.view_submission(EMPLOYEE, str(CallbackId.ADD_MESSAGE), values, private_metadata=str(request.id))
    assert response.status == 200
    relayed = wait_call(h, mark, "chat.postMessage", IT_TRIAGE, "It also happens on the TV in room 4")
    assert relayed.args["thread_ts"] == request.triage_ts
    open_home(h, EMPLOYEE)
    assert "Last message · You" in home_lines(h, EMPLOYEE, "It also happens on the TV")


def test_home_search_box_opens_matching_answers(h):
    mark = home_click(h, EMPLOYEE, ActionId.SEARCH, "payslip")
    view = opened_view(h, mark, str(CallbackId.SEARCH_RESULTS))
    text = "\n".join(render_message(view))
    entry = h.app.kb.entries["hr-payslip"]
    assert "People & HR" in text and entry.questions[0] in text


# --- /helploop search --------------------------------------------------------------------------------------------
def test_slash_search_returns_entries_with_their_answers_by_department(h):
    mark = len(h.slack.calls())
    h.sim.slash_command(EMPLOYEE, "/helploop", "search vpn", "C0HLGENERAL")
    reply = wait_call(h, mark, "response_url")
    text = "\n".join(render_message(reply.args))
    vpn = h.app.kb.entries["it-vpn-cannot-connect"]
    assert "Answers for “vpn”" in text and "IT" in text
    assert vpn.questions[0] in text and vpn.answer.split("\n")[0].strip()[:40] in text
    with h.app.sessions.begin() as session:
        assert session.scalars(select(Request)).first() is None  # a search creates no request


# --- the request form ----------------------------------------------------------------------------------------------
def test_slash_command_alone_and_the_shortcut_open_the_form(h):
    mark = len(h.slack.calls())
    h.sim.slash_command(EMPLOYEE, "/helploop", "", "C0HLGENERAL")
    view = opened_view(h, mark, str(CallbackId.REQUEST_FORM))
    blocks = {b.get("block_id") for b in view["blocks"]}
    assert {"question", "department", "urgency", "anonymous"} <= blocks
    mark = len(h.slack.calls())
    h.sim.shortcut(EMPLOYEE, str(CallbackId.ASK_FOR_HELP))
    assert opened_view(h, mark, str(CallbackId.REQUEST_FORM))["title"]["text"] == "Ask for help"


def test_the_form_creates_a_request_routed_to_the_chosen_department(h):
    text = "Something odd about my contract paperwork that nobody explained"
    mark = len(h.slack.calls())
    submit_form(h, EMPLOYEE, text, department="hr")
    triage = wait_call(h, mark, "chat.postMessage", HR_TRIAGE, "contract paperwork")
    request = form_request(h, text)
    assert request.department_id == "hr" and request.source == "form" and not request.urgent
    assert "Urgent" not in "\n".join(render_message(triage.args))
    assert wait_call(h, mark, "chat.postMessage", contains="You asked")  # quoted in the DM, like the command


def test_an_urgent_form_request_pages_the_on_call_at_once_and_is_marked_in_triage(h):
    text = "The projector in the boardroom makes a weird buzzing sound during calls"
    mark = len(h.slack.calls())
    submit_form(h, EMPLOYEE, text, urgent=True)
    triage = wait_call(h, mark, "chat.postMessage", IT_TRIAGE, "projector")
    assert "Urgent: blocking their work" in "\n".join(render_message(triage.args))
    oncall = on_call(h.app.kb.departments["it"], h.clock.now())
    page = wait_call(h, mark, "chat.postMessage", oncall, "Urgent")
    assert "is blocking their work" in "\n".join(render_message(page.args))
    request = form_request(h, text)
    assert request.urgent and request.status == "escalated"


def test_urgent_comes_first_in_the_staff_queue(h):
    first = escalate(h)
    text = "The projector in the small room flickers and then turns itself off"
    submit_form(h, EMPLOYEE, text, urgent=True, department="it")
    urgent = wait_recorded(h, form_request(h, text).id, "triage_ts")
    open_home(h, STAFF)
    home = home_lines(h, STAFF, "Unclaimed (2)")
    assert home.index(f"#{urgent.id} ") < home.index(f"#{first.id} ")
    assert "urgent" in home.split(f"#{urgent.id} ")[1].split("\n")[0]
    assert reload(h, first.id).status == "escalated"


def test_anonymous_form_request_hides_the_asker_from_staff(h):
    text = "I want to report something about my manager confidentially please"
    mark = len(h.slack.calls())
    submit_form(h, EMPLOYEE, text, department="hr", anonymous=True)
    triage = wait_call(h, mark, "chat.postMessage", HR_TRIAGE, "confidentially")
    assert EMPLOYEE not in str(triage.args)
    open_home(h, EMPLOYEE)
    assert "confidentially" in home_lines(h, EMPLOYEE, "#")
