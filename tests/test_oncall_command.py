"""`/helploop` end to end: a signed slash command in, an ephemeral reply on the response_url out."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.flows import IT_TRIAGE, text_of, wait_call
from tests.harness import running

USER = "U0HLANNA"


@pytest.fixture
def h(sqlite_url):
    with running(sqlite_url) as harness:
        yield harness


def slash(h, text: str):
    """Send `/helploop <text>`; the HTTP answer is the bare ack, the reply lands on the response_url."""
    mark = len(h.slack.calls())
    response = h.sim.slash_command(USER, "/helploop", text, IT_TRIAGE)
    assert response.status == 200, response.body
    call = wait_call(h, mark, "response_url")
    assert call.args["response_type"] == "ephemeral"
    return call


def test_oncall_for_one_department_shows_both_layers_now_and_next(h):
    call = slash(h, "oncall it")
    shown = text_of(call)
    assert "*IT* (`it`) · Europe/Warsaw · in working hours" in shown
    assert "*primary*: <@U0HLMINH> until Mon 30 Nov 09:00 CET, then <@U0HLPIOTR>" in shown
    assert "*backup*: <@U0HLKASIA> until Mon 30 Nov 09:00 CET, then <@U0HLPIOTR>" in shown
    assert "People & HR" not in shown
    assert h.slack.calls("chat.postMessage") == []  # nothing public, nobody paged


def test_oncall_without_a_department_lists_every_department(h):
    shown = text_of(slash(h, "oncall"))
    for name in ("*IT*", "*People & HR*", "*Facilities*", "*Finance*"):
        assert name in shown
    assert "Asia/Ho_Chi_Minh" in shown and "+07" in shown  # each department in its own local time


def test_oncall_follows_the_clock_into_the_december_override(h):
    h.clock.advance(datetime(2026, 12, 24, 12, 0, tzinfo=UTC) - h.clock.now())  # Christmas Eve
    shown = text_of(slash(h, "oncall IT"))  # department ids are matched case-insensitively
    assert "*primary*: <@U0HLANNA> (covering) until Mon 28 Dec 09:00 CET, then <@U0HLANNA>" in shown
    assert "outside working hours" in shown  # a holiday


def test_unknown_department_is_answered_politely(h):
    shown = text_of(slash(h, "oncall legal"))
    assert "There is no department `legal`" in shown and "`it`, `hr`, `facilities`, `finance`" in shown


@pytest.mark.parametrize("text", ["help"])  # `/helploop` alone opens the request form (tests/test_home_e2e.py)
def test_help_and_empty_text_show_usage(h, text):
    shown = text_of(slash(h, text))
    assert "/helploop oncall <department>" in shown and "Sorry" not in shown


def test_unknown_subcommand_gets_usage(h):
    shown = text_of(slash(h, "dance"))
    assert "Sorry, I don't know `/helploop dance`" in shown and "/helploop oncall" in shown
