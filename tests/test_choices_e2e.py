"""'Did you mean …?': when two or three KB entries are close, the employee picks one or asks a human."""
from __future__ import annotations

import pytest

from handlers.action_ids import ActionId
from bot.words import Resolution, Status
from tests.flows import (EMPLOYEE, EMPLOYEE_DM, IT_TRIAGE, click, reload, request_for, text_of, wait_call,
                         wait_recorded)
from tests.harness import running

AMBIGUOUS = "vpn"


@pytest.fixture
def h(sqlite_url):
    with running(sqlite_url) as harness:
        yield harness


def _offered(h):
    result = h.app.kb.match(AMBIGUOUS)
    assert result.entry is None and len(result.choices) >= 2, "precondition: 'vpn' is ambiguous in the KB"
    response = h.sim.message(EMPLOYEE, AMBIGUOUS, EMPLOYEE_DM)
    request = wait_recorded(h, request_for(h, EMPLOYEE_DM, response.ts).id, "answer_ts")
    message = wait_call(h, 0, "chat.postMessage", EMPLOYEE_DM, "Did you mean")
    return result, request, message


def test_picking_a_choice_shows_its_answer_with_the_usual_buttons(h):
    result, request, message = _offered(h)
    assert request.status == Status.SUGGESTED
    buttons = message.args["blocks"][1]["elements"]
    assert [b["value"].split("|")[1] for b in buttons[:-1]] == [c.entry.id for c in result.choices]
    assert buttons[-1]["action_id"] == ActionId.NONE_OF_THESE and len({b["action_id"] for b in buttons}) == len(buttons)

    chosen = result.choices[1].entry
    mark = len(h.slack.calls())
    assert h.sim.block_action("U0HLLAN", buttons[1]["action_id"], buttons[1]["value"], EMPLOYEE_DM,
                              request.answer_ts).status == 200
    assert "Only <@U0HLEMP>" in text_of(wait_call(h, mark, "response_url"))
    h.sim.block_action(EMPLOYEE, buttons[1]["action_id"], buttons[1]["value"], EMPLOYEE_DM, request.answer_ts)
    shown = wait_call(h, mark, "chat.update", EMPLOYEE_DM, "[That solved it]")
    assert shown.args["ts"] == request.answer_ts and chosen.answer.strip()[:30] in text_of(shown)
    picked = reload(h, request.id)
    assert (picked.status, picked.kb_entry_id, picked.department_id) == (Status.ANSWERED, chosen.id, chosen.department)

    mark = click(h, EMPLOYEE, ActionId.SOLVED, picked, EMPLOYEE_DM, picked.answer_ts)
    wait_call(h, mark, "chat.update", EMPLOYEE_DM, "Glad it helped")
    done = reload(h, request.id)
    assert (done.status, done.resolution) == (Status.CLOSED, Resolution.SELF_SERVED)


def test_none_of_these_escalates_to_a_human(h):
    _, request, _ = _offered(h)
    mark = click(h, EMPLOYEE, ActionId.NONE_OF_THESE, request, EMPLOYEE_DM, request.answer_ts)
    assert "None of those fit" in text_of(wait_call(h, mark, "chat.update", EMPLOYEE_DM))
    wait_call(h, mark, "chat.postMessage", IT_TRIAGE, "[Claim]")
    assert reload(h, request.id).status == Status.ESCALATED
