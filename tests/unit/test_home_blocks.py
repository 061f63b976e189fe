"""The App Home, request form and search builders: what a person sees, within Block Kit's limits."""
from __future__ import annotations

from datetime import timedelta

import pytest

from bot.home import HomeData, HomeItem, LastMessage, Queue
from bot.search import search
from handlers import home_blocks as hb
from handlers.action_ids import ActionId, CallbackId
from handlers.request_form import ANY_DEPARTMENT, request_modal, request_submission
from kb import load_kb
from localslack.webapi import render_message
from tests.unit.support import AT, CLAIMER, EMPLOYEE, STATES, buttons, home_problems, modal_problems, view_in
from tests.unit.test_block_limits import TEXTS
from wiring.settings import EXAMPLE_KB_DIR


@pytest.fixture(scope="module")
def kb():
    return load_kb(EXAMPLE_KB_DIR)


def _text(view: dict) -> str:
    return "\n".join(render_message(view)).replace("*", "")  # bold marks aside


def _queue(kb, n: int, text: str) -> Queue:
    items = tuple(HomeItem(view_in("escalated", id=100 + i, text=text, urgent=i % 3 == 0),
                           LastMessage(EMPLOYEE, text, False, AT), frontline=i % 2 == 0,
                           waiting_since=AT - timedelta(minutes=i * 7)) for i in range(n))
    mine = tuple(HomeItem(view_in("claimed", id=300 + i, text=text), quiet_since=AT) for i in range(n))
    return Queue((kb.departments["it"],), items, mine, mine)


@pytest.mark.parametrize("name", list(TEXTS))
def test_a_crowded_home_stays_within_block_kit_limits(kb, name):
    text = TEXTS[name]
    own = tuple(HomeItem(view_in(state, id=i + 1, text=text), LastMessage(CLAIMER, text, True, AT), can_reopen=True)
                for i, state in enumerate(STATES * 5))
    many = tuple(d.model_copy(update={"id": f"d{n}", "name": f"{text[:60]} {n}"})
                 for n, d in enumerate(list(kb.departments.values()) * 10))
    home = hb.home_view(HomeData(CLAIMER, AT, own, many, _queue(kb, 40, text)))
    assert home_problems(home) == []
    assert len(home["blocks"]) <= 100
    shown = _text(home)
    assert "…and 42 more." in shown and "…and 32 more in the triage channel." in shown


def test_an_employee_home_says_where_each_request_stands_with_the_buttons_that_fit(kb):
    own = tuple(HomeItem(view_in(state, id=i + 1), can_reopen=state == "closed_confirmed")
                for i, state in enumerate(STATES))
    home = hb.home_view(HomeData(EMPLOYEE, AT, own, tuple(kb.departments.values()), None))
    by_request: dict[str, list[str]] = {}
    for _label, action, value in buttons(home["blocks"]):
        by_request.setdefault(value, []).append(action)
    assert by_request[str(STATES.index("answered") + 1)] == [ActionId.SOLVED, ActionId.NEED_HELP]
    assert by_request[str(STATES.index("escalated") + 1)] == [ActionId.ADD_MESSAGE]
    assert by_request[str(STATES.index("resolved") + 1)] == [ActionId.FIXED_YES, ActionId.FIXED_NO,
                                                             ActionId.ADD_MESSAGE]
    assert by_request[str(STATES.index("closed_confirmed") + 1)] == [ActionId.REOPEN]
    assert str(STATES.index("closed_unconfirmed") + 1) not in by_request  # past the reopen window
    shown = _text(home)
    assert f"<@{CLAIMER}> is on it" in shown and "Team queue" not in shown
    assert "Covers: laptop, computer, vpn" in shown and "Working hours: Mon–Fri 09:00–17:30 (Europe/Warsaw)" in shown


def test_the_staff_queue_lists_unclaimed_urgent_and_front_line_with_age_and_claim(kb):
    queue = _queue(kb, 2, "Printer on fire")
    shown = _text(hb.home_view(HomeData(CLAIMER, AT, (), (), queue)))
    assert "Team queue: IT" in shown and "Unclaimed (2), oldest first" in shown
    assert "#100 · IT · <@U0EMPLOYEE> · waiting 0 min · :rotating_light: urgent · :star: front line" in shown
    assert "#101 · IT · <@U0EMPLOYEE> · waiting 7 min\n“Printer on fire”" in shown
    assert "[Claim]" in shown and "[Resolve]" in shown and "primary" in shown  # on call now and next


def test_user_text_is_escaped_everywhere_on_the_home(kb):
    evil = "<!channel> <https://evil.example|bank>"
    own = (HomeItem(view_in("claimed", text=evil), LastMessage(CLAIMER, evil, True, AT)),)
    home = hb.home_view(HomeData(CLAIMER, AT, own, (), _queue(kb, 1, evil)))
    raw = str(home)
    assert "<!channel>" not in raw and "&lt;!channel&gt;" in raw


@pytest.mark.parametrize("elapsed, shown", [(timedelta(seconds=59), "0 min"), (timedelta(minutes=65), "1 h 5 min"),
                                            (timedelta(days=3, hours=4, minutes=9), "3 d 4 h")])
def test_age(elapsed, shown):
    assert hb.age(elapsed) == shown


def test_the_request_form_is_a_valid_modal_and_its_submission_parses(kb):
    modal = request_modal(kb.departments.values())
    assert modal_problems(modal) == [] and modal["callback_id"] == CallbackId.REQUEST_FORM
    values = {"question": {"value": {"type": "plain_text_input", "value": "  My badge\x00 does not open doors "}},
              "department": {"value": {"selected_option": {"value": "facilities"}}},
              "urgency": {"value": {"selected_option": {"value": "blocking"}}},
              "anonymous": {"value": {"selected_options": [{"value": "yes"}]}}}
    form = request_submission({"state": {"values": values}})
    assert (form.text, form.department, form.urgent, form.anonymous) == ("My badge does not open doors",
                                                                         "facilities", True, True)
    values["department"] = {"value": {"selected_option": {"value": ANY_DEPARTMENT}}}
    values["urgency"] = {"value": {"selected_option": {"value": "normal"}}}
    del values["anonymous"]
    form = request_submission({"state": {"values": values}})
    assert (form.department, form.urgent, form.anonymous) == (None, False, False)
    assert request_submission({"state": "junk"}).text == ""


def test_search_results_by_department_with_answers(kb):
    text, blocks = hb.search_blocks("vpn", search(kb, "vpn"))
    shown = "\n".join(render_message({"text": text, "blocks": blocks}))
    assert "Answers for “vpn”" in shown and "IT" in shown
    assert kb.entries["it-vpn-cannot-connect"].questions[0] in shown
    assert modal_problems({**hb.search_modal("vpn", search(kb, "vpn")), "submit": {"type": "plain_text",
                                                                                    "text": "x"}}) == []
    nothing_text, nothing = hb.search_blocks("zzzz", search(kb, "zzzz"))
    assert "No answers found for “zzzz”" in nothing_text and len(nothing) == 1


@pytest.mark.parametrize("name", list(TEXTS))
def test_search_blocks_stay_within_limits_for_any_words(kb, name):
    from tests.unit.support import block_problems
    _text_, blocks = hb.search_blocks(TEXTS[name], search(kb, TEXTS[name][:300]))
    assert block_problems(blocks) == []


def test_add_a_message_form(kb):
    modal = hb.add_message_modal(42)
    assert modal_problems(modal) == [] and modal["private_metadata"] == "42"
    submitted = {"private_metadata": "42",
                 "state": {"values": {"message": {"value": {"value": " still broken \u202e"}}}}}
    assert hb.add_message_submission(submitted) == (42, "still broken")
    assert hb.add_message_submission({"private_metadata": "x"}) == (None, "")


def test_front_line_roles_are_a_configured_list_of_user_ids():
    from wiring.settings import Settings
    assert Settings.from_env({"FRONTLINE_USERS": "U0HLFRONT, U0HLDESK"}).frontline_users == ("U0HLFRONT", "U0HLDESK")
    assert Settings.from_env({}).frontline_users == ()
