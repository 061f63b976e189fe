"""handlers/blocks.py: what the employee and the triage channel see, and what each button carries."""
from __future__ import annotations

import re

import pytest

from bot.home import HomeData, HomeItem
from bot.records import Refusal
from handlers.home_blocks import home_view
from handlers import blocks as b
from handlers.action_ids import ActionId
from handlers.parse import pick_of, request_id_of
from tests.unit.support import AT, EMPLOYEE, ONCALL, STATES, buttons, labels, rendered, view, view_in

PERMALINK = "https://helploop.slack.com/archives/D0EMPLOYEE/p1772442000000100"


def _click(button_value: str) -> dict:
    return {"actions": [{"value": button_value}], "user": {"id": EMPLOYEE}}


# --- the KB answer -----------------------------------------------------------------------------------------
def test_answer_message_offers_the_answer_with_two_verdict_buttons():
    text, blocks = b.answer_message(view(status="answered"), "Reset it at https://id.example.com.")
    assert text == "Reset it at https://id.example.com."
    assert rendered(text, blocks).splitlines() == [
        "Reset it at https://id.example.com.",
        "Did this answer your question?  [That solved it]  [I still need help]",
    ]
    assert buttons(blocks) == [("That solved it", ActionId.SOLVED, "42"), ("I still need help", ActionId.NEED_HELP, "42")]
    assert [e.get("style") for e in blocks[-1]["elements"]] == ["primary", None]


@pytest.mark.parametrize("state, answer_text, note", [
    ("closed_self_served", "Reset it here.", ":white_check_mark: Marked as solved. Glad it helped!"),
    ("escalated", "Reset it here.", ":arrow_right: Passed to *IT*. Someone will follow up here."),
    ("escalated", None, ":arrow_right: Passed to *IT*. Someone will follow up here."),
], ids=["solved", "escalated", "answer-text-lost"])
def test_answer_after_verdict_keeps_the_answer_drops_the_buttons_and_says_what_happened(state, answer_text, note):
    text, blocks = b.answer_after_verdict(view_in(state, answer_text=answer_text))
    shown = answer_text or "(answer)"
    assert text == shown
    assert rendered(text, blocks).splitlines() == [shown, note]
    assert buttons(blocks) == []


# --- "Did you mean …?" -------------------------------------------------------------------------------------
def test_choices_message_has_one_pick_button_per_entry_and_a_way_to_a_human():
    choices = [("vpn-reset", "Reset your VPN password"), ("mfa-new-phone", "MFA on a new phone")]
    text, blocks = b.choices_message(view(status="suggested"), choices)
    assert rendered(text, blocks).splitlines() == [
        "I'm not sure which of these you mean. Did you mean…  [Reset your VPN password]  [MFA on a new phone]"
        "  [None of these: ask a human]",
    ]
    assert buttons(blocks) == [
        ("Reset your VPN password", f"{ActionId.PICK}.0", "42|vpn-reset"),
        ("MFA on a new phone", f"{ActionId.PICK}.1", "42|mfa-new-phone"),
        ("None of these: ask a human", ActionId.NONE_OF_THESE, "42"),
    ]
    assert blocks[-1]["block_id"] == "choices-42"


def test_pick_action_ids_match_the_listener_pattern_and_values_parse_back():
    choices = [(f"entry-{n}", f"Entry {n}") for n in range(12)]
    _, blocks = b.choices_message(view(id=7), choices)
    picks = [(action_id, value) for _, action_id, value in buttons(blocks) if action_id != ActionId.NONE_OF_THESE]
    pattern = re.compile(rf"^{re.escape(str(ActionId.PICK))}\.\d+$")  # as registered in handlers/listeners.py
    assert all(pattern.match(action_id) for action_id, _ in picks)
    assert [pick_of(_click(value)) for _, value in picks] == [(7, f"entry-{n}") for n in range(12)]


@pytest.mark.parametrize("title, label", [
    ("x" * 70, "x" * 70),
    ("x" * 71, "x" * 70 + "…"),
    ("How do I\n   connect   to the\tVPN?", "How do I connect to the VPN?"),
], ids=["exactly-70", "71-cut", "whitespace-folded"])
def test_choice_titles_are_one_short_line(title, label):
    _, blocks = b.choices_message(view(), [("e", title)])
    assert labels(blocks)[0] == label


def test_choices_after_none_names_the_department_and_has_no_buttons():
    text, blocks = b.choices_after_none(view(department_name="People & HR"))
    assert rendered(text, blocks) == "None of those fit, so I've passed your question to *People & HR*."
    assert buttons(blocks) == []


def test_question_quote_echoes_a_command_question_whole():
    assert b.question_quote(view(text="VPN\nis down")) == "You asked: “VPN\nis down”"


# --- the escalation notice to the employee -----------------------------------------------------------------
@pytest.mark.parametrize("oncall, after_hours, expected", [
    (ONCALL, "", "I couldn't find a confident answer, so I've passed your request to *IT*. <@U0HLPIOTR> is on "
                 "call, and someone will get back to you right here. (Request #42)"),
    (ONCALL, " It's late.", "I couldn't find a confident answer, so I've passed your request to *IT*. "
                            "<@U0HLPIOTR> is on call, and someone will get back to you right here. "
                            "(Request #42) It's late."),
], ids=["on-call", "after-hours-note-last"])
def test_escalation_notice_names_department_oncall_and_request(oncall, after_hours, expected):
    assert b.escalation_notice(view(oncall_user_id=oncall), after_hours) == expected


def test_escalation_notice_without_oncall_names_department_and_request():
    notice = b.escalation_notice(view(oncall_user_id=None))
    assert "passed your request to *IT*" in notice and "(Request #42)" in notice and "<@" not in notice


def test_escalation_notice_without_oncall_is_grammatical():
    notice = b.escalation_notice(view(oncall_user_id=None))
    assert ". and " not in notice


# --- the triage post ---------------------------------------------------------------------------------------
WORK = [("Resolve", ActionId.RESOLVE), ("Unclaim", ActionId.UNCLAIM), ("Transfer", ActionId.TRANSFER)]
TRIAGE = {
    "escalated": (":inbox_tray: Waiting for someone to claim it.",
                  [("Claim", ActionId.CLAIM), ("Transfer", ActionId.TRANSFER)]),
    "escalated_reopened": (":inbox_tray: Waiting for someone to claim it (reopened).",
                           [("Claim", ActionId.CLAIM), ("Transfer", ActionId.TRANSFER)]),
    "claimed": (":raising_hand: Claimed by <@U0HLANNA>", WORK),
    "reopened": (":warning: Reopened: <@U0EMPLOYEE> says it is not fixed (claimed by <@U0HLANNA>)", WORK),
    "resolved": (":white_check_mark: Resolved by <@U0HLANNA>; follow-up scheduled.", []),
    "closed_confirmed": (":lock: Closed: the employee confirmed it's fixed.", []),
    "closed_unconfirmed": (":lock: Closed: no answer to the follow-up (unconfirmed).", []),
    "answered": ("Status: answered", []),
}


@pytest.mark.parametrize("state", list(TRIAGE))
def test_triage_post_shows_the_status_and_only_the_buttons_that_state_allows(state):
    status, expected = TRIAGE[state]
    text, blocks = b.triage_message(view_in(state), PERMALINK)
    lines = rendered(text, blocks).splitlines()
    assert lines[1] == "> My VPN password expired and I can't log in"
    assert lines[2].split("  [")[0] == status
    assert [(label, action_id) for label, action_id, _ in buttons(blocks)] == expected
    assert all(value == "42" for _, _, value in buttons(blocks))
    if expected:
        assert lines[2].endswith("  ".join(f"[{label}]" for label, _ in expected))
        assert blocks[-1]["block_id"] == "request-42"
        styles = [e.get("style") for e in blocks[-1]["elements"]]
        assert styles == ["primary"] + [None] * (len(expected) - 1)  # Claim / Resolve is the one main action


@pytest.mark.parametrize("permalink, oncall, header", [
    (PERMALINK, ONCALL, f"*Request #42* from <@U0EMPLOYEE> · <{PERMALINK}|original message> · on call: <@U0HLPIOTR>"),
    (None, ONCALL, "*Request #42* from <@U0EMPLOYEE> · in a direct message · on call: <@U0HLPIOTR>"),
    (PERMALINK, None, f"*Request #42* from <@U0EMPLOYEE> · <{PERMALINK}|original message>"),
    (None, None, "*Request #42* from <@U0EMPLOYEE> · in a direct message"),
], ids=["link-oncall", "no-link", "no-oncall", "bare"])
def test_triage_header_links_the_original_and_names_the_oncall(permalink, oncall, header):
    text, blocks = b.triage_message(view(oncall_user_id=oncall), permalink)
    assert rendered(text, blocks).splitlines()[0] == header


@pytest.mark.parametrize("question, quote", [
    ("one line", ["> one line"]),
    ("first\nsecond\n\nfourth", ["> first", "> second", "> ", "> fourth"]),
    ("", ["> "]),
    ("a" * 600, ["> " + "a" * 600]),
    ("a" * 601, ["> " + "a" * 600 + "…"]),
], ids=["one-line", "multi-line", "empty", "600-kept", "601-cut"])
def test_triage_quotes_every_line_of_the_question_and_cuts_long_ones(question, quote):
    text, blocks = b.triage_message(view(text=question), None)
    assert blocks[0]["text"]["text"].split("\n")[1:] == quote


def test_triage_fallback_text_is_header_and_first_200_characters():
    text, _ = b.triage_message(view(text="q" * 500), PERMALINK)
    assert text == "Request #42 from <@U0EMPLOYEE>: " + "q" * 200 + "…"


def test_triage_extra_block_goes_between_status_and_buttons():
    extra = b.context("*History:* moved from IT")
    _, blocks = b.triage_message(view_in("escalated"), None, extra)
    assert [blk["type"] for blk in blocks] == ["section", "context", "context", "actions"]
    assert blocks[2] is extra


# --- messages to the employee and the claimer --------------------------------------------------------------
@pytest.mark.parametrize("build, request_, expected", [
    (b.requester_claimed, view_in("claimed", department_name="People & HR"),
     "<@U0HLANNA> from *People &amp; HR* is on it."),  # mrkdwn: Slack shows "&"
    (b.requester_resolved, view_in("resolved"),
     "<@U0HLANNA> marked your request as resolved. I'll check back with you later to make sure it's really fixed."),
    (b.requester_resolved, view_in("resolved", claimed_by=None),
     "Support marked your request as resolved. I'll check back with you later to make sure it's really fixed."),
    (b.claimer_reopened, view_in("reopened"),
     "<@U0HLANNA> :warning: <@U0EMPLOYEE> says request #42 is not fixed. It's reopened."),
    (b.claimer_reopened, view_in("reopened", claimed_by=None),
     ":warning: <@U0EMPLOYEE> says request #42 is not fixed. It's reopened."),
], ids=["claimed", "resolved", "resolved-no-claimer", "reopened", "reopened-no-claimer"])
def test_plain_notices(build, request_, expected):
    assert build(request_) == expected


# --- the follow-up -----------------------------------------------------------------------------------------
def test_followup_question_quotes_the_request_and_offers_yes_no():
    text, blocks = b.followup_question(view_in("resolved", text="VPN\n  keeps dropping"))
    assert text == "Was “VPN keeps dropping” really fixed?"
    assert rendered(text, blocks) == "Was “VPN keeps dropping” really fixed?  [Yes, it's fixed]  [No, still broken]"
    assert buttons(blocks) == [("Yes, it's fixed", ActionId.FIXED_YES, "42"),
                               ("No, still broken", ActionId.FIXED_NO, "42")]


@pytest.mark.parametrize("state, overrides, note", [
    ("closed_confirmed", {}, ":tada: Thanks for confirming. Glad it's fixed!  [Reopen]"),
    ("closed_unconfirmed", {}, "No answer, so I've closed this request. If it comes back, reopen it here.  [Reopen]"),
    ("reopened", {}, "Sorry to hear that. I've reopened it and told <@U0HLANNA>."),
    ("escalated", {}, "Sorry to hear that. I've reopened it and told *IT*."),
], ids=["confirmed", "expired", "reopened-claimer", "reopened-no-claimer"])
def test_followup_after_verdict_drops_the_buttons_and_says_what_happened(state, overrides, note):
    text, blocks = b.followup_after_verdict(view_in(state, text="VPN keeps dropping", **overrides))
    assert rendered(text, blocks).splitlines() == ["Was “VPN keeps dropping” really fixed?", note]
    closed = state.startswith("closed")  # a closed request can be reopened (the window is checked on click)
    assert buttons(blocks) == ([("Reopen", ActionId.REOPEN, "42")] if closed else [])


# --- refusals ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("refusal, request_, expected", [
    (Refusal.ALREADY_CLAIMED, view_in("claimed"), "This request is already claimed by <@U0HLANNA>."),
    (Refusal.NOT_STAFF, view(department_name="People & HR"),
     "Only members of People &amp; HR can claim or resolve this request."),
    (Refusal.NOT_STAFF, None, "Only members of the department can claim or resolve this request."),
    (Refusal.NOT_CLAIMER, view_in("claimed"), "Only <@U0HLANNA>, who claimed it, can unclaim this request."),
    (Refusal.NOT_REQUESTER, view(), "Only <@U0EMPLOYEE>, who asked, can answer this."),
    (Refusal.SAME_DEPARTMENT, view(), "This request is already with IT."),
    (Refusal.UNKNOWN_DEPARTMENT, None,
     "That department no longer exists in the knowledge base; please pick another."),
    (Refusal.ALREADY_DONE, view_in("resolved"), "This request has already moved on (it is now resolved)."),
    (Refusal.NOT_FOUND, None, "I can't find that request any more."),
    (Refusal.NOT_REQUESTER, None, "I can't find that request any more."),
], ids=["already-claimed", "not-staff", "not-staff-no-request", "not-claimer", "not-requester", "same-department",
        "unknown-department", "already-done", "not-found", "no-request-generic"])
def test_refusal_text(refusal, request_, expected):
    assert b.refusal_text(refusal, request_) == expected


def test_not_claimer_refusal_of_an_unclaimed_request_mentions_nobody_called_none():
    text = b.refusal_text(Refusal.NOT_CLAIMER, view_in("escalated"))
    assert "None" not in text


# --- every button carries what the listeners parse ---------------------------------------------------------
def _all_button_messages():
    yield b.answer_message(view(), "answer")
    yield b.answer_message(view(), "answer", [("e1", "One")])
    yield b.choices_message(view(), [("e1", "One")])
    yield b.followup_question(view())
    for state in STATES:
        yield b.triage_message(view_in(state), None)
    yield b.followup_after_verdict(view_in("closed_confirmed"))
    for state in STATES:  # the App Home's buttons on an employee's own request (same listeners as in the DM)
        yield "", [block for block in home_view(HomeData(EMPLOYEE, AT, (HomeItem(view_in(state), can_reopen=True),),
                                                          (), None))["blocks"] if block.get("block_id") != "home-ask"]


def test_every_request_button_value_parses_back_to_its_request_and_every_action_id_is_used():
    seen: set[str] = set()
    for _, blocks in _all_button_messages():
        for _, action_id, value in buttons(blocks):
            if action_id.startswith((f"{ActionId.PICK}.", f"{ActionId.RELATED}.")):
                seen.add(ActionId(action_id.rsplit(".", 1)[0]))
                assert pick_of(_click(value)) == (42, "e1")
            else:
                seen.add(ActionId(action_id))  # only declared ids
                assert request_id_of(_click(value)) == 42
    _, held = b.which_request_message(view(), 7)  # these carry a held message's id, not the request's
    assert {(action, value) for _, action, value in buttons(held)} == {
        (ActionId.ADD_TO_REQUEST, "7"), (ActionId.NEW_QUESTION, "7")}
    home = {ActionId.OPEN_FORM, ActionId.SEARCH}  # the Home's "Ask for help" button and search box: no request
    feedback = {ActionId.RATE, ActionId.COMMENT, ActionId.STILL_FIXED, ActionId.NOT_FIXED,
                ActionId.PULSE}  # parsed back in tests/unit/test_feedback_blocks.py
    assert seen | {ActionId.ADD_TO_REQUEST, ActionId.NEW_QUESTION} | home | feedback == set(ActionId)


# --- small helpers -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, limit, expected", [
    ("  a  b\n\tc ", 120, "a b c"),
    ("x" * 120, 120, "x" * 120),
    ("x" * 121, 120, "x" * 120 + "…"),
    ("abcdef", 3, "abc…"),
], ids=["folds-whitespace", "at-limit", "over-limit", "custom-limit"])
def test_short(text, limit, expected):
    assert b.short(text, limit) == expected


@pytest.mark.parametrize("text, kept", [("hi *there*", "hi *there*"), ("x" * 3000, "x" * 3000), ("x" * 3001, "x" * 3000)],
                         ids=["plain", "3000", "3001-cut"])
def test_section_is_mrkdwn_cut_to_3000(text, kept):
    assert b.section(text) == {"type": "section", "text": {"type": "mrkdwn", "text": kept}}


def test_context_is_one_mrkdwn_element():
    assert b.context("small *print*") == {"type": "context", "elements": [{"type": "mrkdwn", "text": "small *print*"}]}
