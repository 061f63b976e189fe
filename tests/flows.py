"""Steps of the closed loop as Slack would drive them, shared by the end-to-end tests."""
from __future__ import annotations

import time

from localslack.webapi import Call, render_message
from handlers.action_ids import ActionId, CallbackId
from storage import queries
from storage.models import Request
from tests.harness import Harness

EMPLOYEE = "U0HLEMP"
EMPLOYEE_DM = "D0HLEMP"
IT_TRIAGE = "C0HLITTRIAGE"
IT_STAFF = ("U0HLANNA", "U0HLPIOTR")
OUTSIDER = "U0HLMAGDA"  # HR staff: not a member of IT
UNANSWERABLE = "The projector in the boardroom makes a weird buzzing sound during calls"


def kb_phrasing(h: Harness, entry_id: str) -> str:
    """A phrasing the KB certainly answers."""
    return h.app.kb.entries[entry_id].questions[0]


def ask_dm(h: Harness, text: str, user: str = EMPLOYEE, channel: str = EMPLOYEE_DM) -> Request:
    """DM the bot a question the KB answers; wait until the answer is posted and recorded."""
    response = h.sim.message(user, text, channel)
    assert response.status == 200, response.body
    return wait_recorded(h, request_for(h, channel, response.ts).id, "answer_ts")


def request_for(h: Harness, channel: str, root_ts: str, timeout: float = 5.0) -> Request:
    """The stored request for a Slack message (listeners run after the ack, so wait for it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with h.app.sessions.begin() as session:
            request = queries.find_request(session, channel, root_ts)
        if request is not None:
            return request
        time.sleep(0.01)
    raise AssertionError(f"no request for {channel}/{root_ts}")


def reload(h: Harness, request_id: int) -> Request:
    """The request's current row."""
    with h.app.sessions.begin() as session:
        return queries.get_request(session, request_id)


def click(h: Harness, user: str, action: ActionId, request: Request, channel: str | None,
          message_ts: str | None) -> int:
    """Click a button on one of the bot's messages; returns the call index to wait from."""
    mark = len(h.slack.calls())
    response = h.sim.block_action(user, str(action), str(request.id), channel, message_ts)
    assert response.status == 200, response.body
    return mark


def wait_call(h: Harness, after: int, method: str, channel: str | None = None, contains: str = "",
              timeout: float = 5.0) -> Call:
    """The first Web API call after index `after` of this method (and channel, and text)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for call in h.slack.calls()[after:]:
            if call.method == method and (channel is None or call.args.get("channel") == channel) \
                    and contains in text_of(call):
                return call
        time.sleep(0.01)
    seen = "\n".join(f"  {c.method} {c.args.get('channel')}: {text_of(c)[:100]!r}" for c in h.slack.calls()[after:])
    raise AssertionError(f"no {method} to {channel} containing {contains!r}; saw:\n{seen}")


def text_of(call: Call) -> str:
    """Everything a person would read in a call (text and rendered blocks)."""
    return "\n".join(render_message(call.args))


def escalate(h: Harness, text: str = UNANSWERABLE) -> Request:
    """An employee asks something the KB cannot answer; returns the escalated request."""
    result = h.app.kb.match(text)
    assert result.entry is None and not result.choices, "precondition: the KB must neither answer nor offer"
    response = h.sim.message(EMPLOYEE, text, EMPLOYEE_DM)
    assert response.status == 200, response.body
    return wait_recorded(h, request_for(h, EMPLOYEE_DM, response.ts).id, "triage_ts")


def claimed(h: Harness, request: Request, user: str = IT_STAFF[0]) -> Request:
    """Claim an escalated request as `user` and wait until the employee is told."""
    mark = click(h, user, ActionId.CLAIM, request, request.triage_channel, request.triage_ts)
    wait_call(h, mark, "chat.postMessage", request.channel_id, "is on it")
    return reload(h, request.id)


def resolve(h: Harness, user: str, request: Request, done: str | None = None, self_help: str | None = None,
            save_answer: bool = False) -> int:
    """Click Resolve as `user` and submit the resolution form it opens; returns the call index to wait from."""
    mark = click(h, user, ActionId.RESOLVE, request, request.triage_channel, request.triage_ts)
    wait_call(h, mark, "views.open")
    values = {"done": {"value": {"type": "plain_text_input", "value": done}},
              "self_help": {"value": {"type": "plain_text_input", "value": self_help}}}
    if save_answer:  # the "Save as answer" checkbox, ticked
        values["save_answer"] = {"value": {"type": "checkboxes", "selected_options": [{"value": "save_answer"}]}}
    response = h.sim.view_submission(user, str(CallbackId.RESOLVE), values, private_metadata=str(request.id))
    assert response.status == 200, response.body
    return mark


def resolved(h: Harness, request: Request, user: str = IT_STAFF[0]) -> Request:
    """Resolve a claimed request as `user` (through the form) and wait until the employee is told."""
    mark = resolve(h, user, request)
    wait_call(h, mark, "chat.postMessage", request.channel_id, "marked your request as resolved")
    return reload(h, request.id)


def wait_recorded(h: Harness, request_id: int, column: str, timeout: float = 5.0) -> Request:
    """Wait until the request has a value in `column` (written after the Slack call returned)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        request = reload(h, request_id)
        if getattr(request, column):
            return request
        time.sleep(0.02)
    raise AssertionError(f"request {request_id}: {column} never recorded")
