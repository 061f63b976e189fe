"""Every builder's output obeys Block Kit's structural limits, for ordinary and extreme inputs."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.records import EscalationStep, HistoryLine
from handlers import blocks as b
from handlers import escalation_blocks as esc
from handlers import oncall_blocks as oc
from tests.unit.support import (AT, CLAIMER, STATES, assert_valid_message, block_problems, modal_problems,
                                transfer, view, view_in)

LONG = "word " * 2000                                   # 10,000 characters
MANY_LINES = "\n".join(f"line {n}" for n in range(800))  # many short lines: every one gets a "> " quote
WIDE = "ß" * 5000 + "🙂" * 500                            # non-ASCII, one "word"
TEXTS = {"plain": "My VPN password expired", "long": LONG, "many_lines": MANY_LINES, "wide": WIDE}


# --- the checker itself must catch what it claims to ------------------------------------------------------
BUTTON = {"type": "button", "action_id": "a", "value": "1", "text": {"type": "plain_text", "text": "OK"}}


@pytest.mark.parametrize("blocks, problem", [
    ([], "1..50"),
    ([{"text": {"type": "mrkdwn", "text": "x"}}], "no type"),
    ([{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}], "3001 chars > 3000"),
    ([{"type": "context", "elements": [{"type": "mrkdwn", "text": "x" * 3001}]}], "3001 chars > 3000"),
    ([{"type": "actions", "elements": [{**BUTTON, "text": {"type": "plain_text", "text": "x" * 76}}]}], "76 chars > 75"),
    ([{"type": "actions", "elements": [{**BUTTON, "value": 12}]}], "value must be a string"),
    ([{"type": "actions", "elements": [BUTTON, BUTTON]}], "duplicate action_id"),
    ([{"type": "actions", "block_id": "x", "elements": [BUTTON]}, {"type": "context", "block_id": "x",
                                                                   "elements": [{"type": "mrkdwn", "text": "y"}]}],
     "duplicate block_id"),
], ids=["empty", "no-type", "long-section", "long-context", "long-button", "int-value", "dup-action",
        "dup-block-id"])
def test_checker_rejects_broken_blocks(blocks, problem):
    assert any(problem in p for p in block_problems(blocks)), block_problems(blocks)


# --- every message builder --------------------------------------------------------------------------------
def _history(transfers: int, note: str) -> list[HistoryLine]:
    lines = [HistoryLine(AT, "U0EMPLOYEE", "created", None)]
    for n in range(transfers):
        detail = {"from_department": "it", "to_department": "hr", "note": note}
        lines.append(HistoryLine(AT + timedelta(minutes=n), CLAIMER, "transferred", json.dumps(detail)))
    return lines


def _message_cases() -> list:
    """(id, build(text) -> (fallback, blocks)); each is checked with every text in TEXTS."""
    steps = [EscalationStep(AT, "backup", ("U1",)), EscalationStep(AT, "staff", ("U1", "U2", "U3")),
             EscalationStep(AT, "manager", ("U9",))]
    cases = [
        ("triage-no-link-with-history",
         lambda t: b.triage_message(view(text=t), None, esc.history_block(_history(2, t[:500])))),
        ("answer_message", lambda t: b.answer_message(view(text=t), t)),
        ("answer_after_verdict-solved", lambda t: b.answer_after_verdict(view_in("closed_self_served", answer_text=t))),
        ("answer_after_verdict-passed", lambda t: b.answer_after_verdict(view_in("escalated", answer_text=t))),
        ("choices_message-2", lambda t: b.choices_message(view(text=t), [("e1", t), ("e2", "Short title")])),
        ("choices_message-5", lambda t: b.choices_message(view(), [(f"e{n}", f"{n} {t}") for n in range(5)])),
        ("choices_message-0", lambda t: b.choices_message(view(text=t), [])),
        ("choices_after_none", lambda t: b.choices_after_none(view(text=t, department_name=t[:80]))),
        ("followup_question", lambda t: b.followup_question(view_in("resolved", text=t))),
        ("followup_after_verdict-confirmed", lambda t: b.followup_after_verdict(view_in("closed_confirmed", text=t))),
        ("followup_after_verdict-expired", lambda t: b.followup_after_verdict(view_in("closed_unconfirmed", text=t))),
        ("followup_after_verdict-reopened", lambda t: b.followup_after_verdict(view_in("reopened", text=t))),
        ("transferred_away", lambda t: esc.transferred_away(view(text=t), transfer(note=t[:500]), t)),
        ("escalation_status", lambda t: esc.escalation_status(steps)),
        ("usage", lambda t: oc.usage_message(t)),
        ("unknown_department", lambda t: oc.unknown_department_message(t[:100], ["it", "hr"])),
    ]
    return [pytest.param(build, id=name) for name, build in cases]


def test_triage_post_in_every_state_stays_within_block_kit_limits():
    for state in STATES:
        for kind, text in TEXTS.items():
            fallback, blocks = b.triage_message(view_in(state, text=text), "https://x.slack.com/archives/D1/p1")
            try:
                assert_valid_message(fallback, blocks)
            except AssertionError as error:
                raise AssertionError(f"{state} with the {kind!r} text: {error}") from None


@pytest.mark.parametrize("build", _message_cases())
def test_message_builders_stay_within_block_kit_limits(build):
    for kind, text in TEXTS.items():
        fallback, blocks = build(text)
        try:
            assert_valid_message(fallback, blocks)
        except AssertionError as error:
            raise AssertionError(f"with the {kind!r} text: {error}") from None


@pytest.mark.parametrize("build", [
    lambda: b.escalation_notice(view_in("escalated"), esc.after_hours_note(AT)),
    lambda: b.escalation_notice(view_in("escalated", oncall_user_id=None)),
    lambda: b.requester_claimed(view_in("claimed")),
    lambda: b.requester_resolved(view_in("resolved")),
    lambda: b.claimer_reopened(view_in("reopened")),
    lambda: esc.page_text(view_in("escalated", text=LONG), "backup", None),
    lambda: esc.stale_reminder(view_in("claimed", text=MANY_LINES)),
    lambda: esc.requester_transferred(view_in("escalated"), transfer(note=None), None),
], ids=["escalation-notice", "escalation-notice-no-oncall", "claimed", "resolved", "reopened", "page", "stale",
        "transferred"])
def test_plain_text_builders_give_one_short_message_naming_real_people(build):
    text = build()
    assert isinstance(text, str) and 0 < len(text) <= 4000  # Slack truncates text beyond 40,000; ours are short
    assert "None" not in text and "<@>" not in text


def test_roster_of_every_example_department_is_valid(example_kb):
    assert_valid_message(*oc.roster_message(example_kb.departments.values(), AT))


def test_roster_of_too_many_departments_keeps_under_50_blocks(example_kb):
    it = example_kb.departments["it"]
    many = [it.model_copy(update={"id": f"d{n}", "name": f"Team {n}"}) for n in range(60)]
    text, blocks = oc.roster_message(many, AT)
    assert_valid_message(text, blocks)
    assert len(blocks) == oc.MAX_DEPARTMENTS + 2  # header + departments + footer
    assert "Team 44" in text and "Team 45" not in text


@pytest.mark.parametrize("departments", [
    [("hr", "People & HR"), ("facilities", "Facilities")],
    [("long", "D" * 200)],
    [(f"d{n}", f"Dept {n}") for n in range(100)],
], ids=["two", "long-name", "hundred"])
def test_transfer_modal_is_a_valid_modal(departments):
    problems = modal_problems(esc.transfer_modal(view(id=123456789, text=LONG), departments))
    assert not problems, problems


def test_history_block_of_short_notes_is_valid():
    block = esc.history_block(_history(3, "Payroll question"))
    assert block is not None and not block_problems([block])


def test_history_block_of_many_long_transfer_notes_stays_under_3000_chars():
    block = esc.history_block(_history(6, "n" * 500))
    assert not block_problems([block])
