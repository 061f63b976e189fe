"""Knowledge capture at the edge: past cases and the spike alert as people read them, the "Save as answer" box."""
from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.outbox import permalink_at
from bot.records import PastCase, Spike
from handlers.capture_blocks import past_cases_message, spike_text
from handlers.forms import resolve_errors, resolve_modal, resolve_submission, save_as_answer
from tests.unit.support import rendered, view

AT = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
CASE = PastCase(3, "VPN down <!channel>", "Restarted the gateway & cleared the <cache>", "Reconnect after 5 min",
                "C0HLITTRIAGE", "1764000000.000050", AT)


def test_past_cases_show_the_question_what_was_done_and_a_link_escaped():
    other = PastCase(4, "vpn is down again", "Same as #3", None, None, None, AT)
    text, blocks = past_cases_message([CASE, other], ["https://slack.example/p1", None])
    assert text == "Similar requests resolved before (what was done then): #3, #4"
    assert rendered(text, blocks).splitlines() == [
        "*Similar requests resolved before (what was done then):*",
        "<https://slack.example/p1|#3> “VPN down <!channel>”",
        "_Done:_ Restarted the gateway & cleared the <cache>",
        "_How to fix it yourself:_ Reconnect after 5 min",
        "#4 “vpn is down again”",
        "_Done:_ Same as #3",
        "Only a hint: check it fits this case.",
    ]
    raw = json.dumps(blocks)
    assert "&lt;!channel&gt;" in raw and "<!channel>" not in raw and "&amp; cleared the &lt;cache&gt;" in raw


def test_the_spike_alert_says_how_many_when_where_and_what():
    spike = Spike(9, 5, 120, ("IT", "Facilities"), "is <@U123> the wifi down?")
    assert spike_text(spike) == (
        ":rotating_light: 5 different people asked the same thing within 2 hours and the knowledge base has no "
        "answer for it (IT, Facilities, latest request #9): “is &lt;@U123&gt; the wifi down?”. It may be an outage; "
        "if it goes on, consider an announcement or a KB entry.")
    hidden = spike_text(Spike(9, 5, 90, ("HR",), None))
    assert "within 90 minutes" in hidden and "wording not shown" in hidden


def test_the_resolve_form_has_an_optional_save_as_answer_box_read_back_on_submit():
    modal = resolve_modal(view(status="claimed"))
    box = modal["blocks"][-1]
    assert (box["block_id"], box["optional"], box["element"]["type"]) == ("save_answer", True, "checkboxes")
    ticked = {"private_metadata": "7", "state": {"values": {
        "done": {"value": {"type": "plain_text_input", "value": "fixed"}},
        "save_answer": {"value": {"type": "checkboxes", "selected_options": [{"value": "save_answer"}]}}}}}
    assert save_as_answer(ticked) and resolve_submission(ticked) == (7, "fixed", None)
    unticked = {"state": {"values": {"save_answer": {"value": {"type": "checkboxes", "selected_options": []}}}}}
    assert not save_as_answer(unticked) and not save_as_answer({}) and not save_as_answer({"state": "x"})


def test_a_link_to_a_known_message_is_a_placeholder_until_sent():
    assert permalink_at("C0HLITTRIAGE", "1764000000.000050") == "{{helploop:permalink:C0HLITTRIAGE:1764000000.000050}}"


def test_saving_an_answer_without_writing_one_keeps_the_form_open_with_an_error():
    def form(done: str | None, ticked: bool) -> dict:
        values = {"done": {"value": {"type": "plain_text_input", "value": done}},
                  "save_answer": {"value": {"type": "checkboxes",
                                            "selected_options": [{"value": "save_answer"}] if ticked else []}}}
        return {"private_metadata": "7", "state": {"values": values}}

    assert resolve_errors(form(None, True)) == {"response_action": "errors", "errors": {
        "self_help": "To save this as an answer, write how to fix it (or what was done)."}}
    assert resolve_errors(form("   ", True)) is not None
    assert resolve_errors(form("fixed it", True)) is None and resolve_errors(form(None, False)) is None
    assert resolve_errors({"state": []}) is None

