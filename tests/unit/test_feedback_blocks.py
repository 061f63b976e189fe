"""handlers/feedback_blocks.py and handlers/feedback_forms.py: what the employee sees, what buttons carry, the forms."""
from __future__ import annotations

import json
from urllib.parse import parse_qs, urlencode

from slack_bolt.request import BoltRequest

from handlers import feedback_blocks as fb
from handlers.action_ids import ActionId, CallbackId
from handlers.feedback_forms import (acknowledgement, comment_submission, feedback_submission, score_of,
                                     scrub_anonymous, submission_key)
from handlers.feedback_messages import SlackSurveyMessages
from handlers.parse import request_id_of
from localslack.sender import SlackSim
from tests.unit.support import CLAIMER, EMPLOYEE, buttons, rendered, view_in

CHOSEN = [{"text": {"type": "plain_text", "text": "Send anonymously"}, "value": "anonymous"}]


def _form(anonymous: bool, words: str = "Too slow <!here>") -> dict:
    return {"department": {"value": {"type": "static_select", "selected_option": {"value": "it"}}},
            "text": {"value": {"type": "plain_text_input", "value": words}},
            "anonymous": {"value": {"type": "checkboxes", "selected_options": CHOSEN if anonymous else []}}}


def test_the_rating_prompt_offers_five_one_click_scores_and_a_comment():
    text, blocks = fb.rating_prompt(view_in("closed_confirmed"))
    assert text == "How would you rate the help you got with “My VPN password expired and I can't log in”?"
    assert buttons(blocks) == [*[(fb.SCORE_WORDS[n], f"{ActionId.RATE}.{n}", f"42|{n}") for n in range(1, 6)],
                               ("Add a comment", ActionId.COMMENT, "42")]
    assert score_of({"actions": [{"value": "42|5"}]}) == (42, 5)
    assert score_of({"actions": [{"value": "42|6"}]}) is None and score_of({"actions": [{"value": "x|1"}]}) is None


def test_the_rating_thanks_and_keeps_the_comment_button_until_a_comment_came():
    request = view_in("closed_confirmed")
    text, blocks = fb.rating_recorded(request, 4, False)
    assert "You rated it 4/5 :star::star::star::star:." in text
    assert [label for label, _, _ in buttons(blocks)] == ["Add a comment"]
    text, blocks = fb.rating_recorded(request, 4, True)
    assert text.endswith("Thanks for your comment too.") and buttons(blocks) == []
    text, _ = fb.rating_recorded(request, None, True)  # a comment without a score
    assert "rated" not in text and "comment too" in text


def test_the_recheck_asks_yes_or_no_and_says_who_has_it_when_broken_again():
    text, blocks = fb.recheck_question(view_in("closed_confirmed"))
    assert text.endswith("Is it still fixed?")
    assert buttons(blocks) == [("Yes, still fixed", ActionId.STILL_FIXED, "42"),
                               ("No, it's broken again", ActionId.NOT_FIXED, "42")]
    _, blocks = fb.recheck_answered(view_in("reopened"), False)
    assert f"told <@{CLAIMER}>" in rendered("", blocks) and buttons(blocks) == []
    _, blocks = fb.recheck_answered(view_in("closed_confirmed"), True)
    assert "Good to hear" in rendered("", blocks)


def test_anonymous_feedback_is_posted_escaped_and_names_nobody():
    write = SlackSurveyMessages().department_feedback("IT <ops>", "C0HLITTRIAGE", "Too slow <!here>\nreally")
    raw = json.dumps(write.args)
    assert "&lt;!here&gt;" in raw and "<!here>" not in raw and "IT &lt;ops&gt;" in raw  # pings nobody
    shown = rendered(write.args["text"], write.args["blocks"])
    assert "> Too slow <!here>\n> really" in shown and "cannot be answered" in shown
    assert (write.args["channel"], write.lane) == ("C0HLITTRIAGE", "staff")


def test_named_feedback_tells_the_author_where_it_went():
    assert fb.feedback_received(view_in("escalated", department_name="People & HR")).startswith(
        "Thanks for your feedback: it went to *People &amp; HR*.")


def test_the_feedback_form_has_department_text_and_the_anonymous_box():
    modal = fb.feedback_modal([("it", "IT"), ("hr", "People & HR")], chosen="hr")
    assert modal["callback_id"] == CallbackId.FEEDBACK
    assert [block.get("block_id") for block in modal["blocks"]] == ["language-en", "department", "text", "anonymous"]
    assert modal["blocks"][1]["element"]["initial_option"]["value"] == "hr"
    assert modal["blocks"][3]["optional"] is True
    assert "initial_value" not in modal["blocks"][2]["element"]
    started = fb.feedback_modal([("it", "IT")], draft="the VPN answers are slow")
    assert "initial_option" not in started["blocks"][1]["element"]
    assert started["blocks"][2]["element"]["initial_value"] == "the VPN answers are slow"


def test_form_submissions_parse_department_text_anonymity_and_comments():
    assert feedback_submission({"state": {"values": _form(True)}}) == ("it", "Too slow <!here>", True)
    assert feedback_submission({"state": {"values": _form(False)}}) == ("it", "Too slow <!here>", False)
    assert feedback_submission({}) == (None, None, False)
    comment = {"private_metadata": "42", "state": {"values": {"comment": {"value": {"value": " ok "}}}}}
    assert comment_submission(comment) == (42, "ok")
    assert comment_submission({"private_metadata": "x"}) == (None, None)


def test_an_anonymous_submission_is_stored_without_its_author_and_still_parses_in_bolt():
    sim = SlackSim("http://unused", "secret")
    payload = sim.view_submission_payload(EMPLOYEE, str(CallbackId.FEEDBACK), _form(True))
    body = urlencode({"payload": json.dumps(payload)})
    scrubbed, stored = scrub_anonymous(payload, body, "http")
    assert EMPLOYEE.lower() not in stored.lower() and EMPLOYEE.lower() not in json.dumps(scrubbed).lower()
    parsed = BoltRequest(body=stored, headers={"content-type": ["application/x-www-form-urlencoded"]}).body
    assert parsed["user"] == {"id": ""} and parsed["view"]["callback_id"] == CallbackId.FEEDBACK
    socket_payload, socket_body = scrub_anonymous(payload, json.dumps(payload), "socket_mode")
    assert json.loads(socket_body)["user"] == {"id": ""} and EMPLOYEE not in socket_body
    assert acknowledgement(scrubbed)["response_action"] == "update"
    assert submission_key(payload) == submission_key(scrubbed)  # the key does not depend on who sent it


def test_an_anonymous_submission_keeps_no_hint_of_its_language_and_is_thanked_in_it():
    sim = SlackSim("http://unused", "secret")
    modal = fb.feedback_modal([("it", "IT")], "it", None, "pl")
    chosen = [{"text": {"type": "plain_text", "text": "Wyślij anonimowo"}, "value": "anonymous"}]
    values = {**_form(True, "Szybka pomoc"), "anonymous": {"value": {"type": "checkboxes", "selected_options": chosen}}}
    payload = sim.view_submission_payload(EMPLOYEE, str(CallbackId.FEEDBACK), values)
    payload["view"].update(blocks=modal["blocks"], title=modal["title"])  # Slack sends the view back as shown
    thanks = acknowledgement(payload)  # what the edge answers, from the payload as it came
    scrubbed, stored = scrub_anonymous(payload, urlencode({"payload": json.dumps(payload)}), "http")
    assert thanks["view"]["title"]["text"] == "Dziękuję"
    hints = ("language-pl", "Opinia", "anonimowo", "Dział")  # block id, title, option label, field label
    assert all(hint in json.dumps(payload, ensure_ascii=False) for hint in hints)
    assert not [hint for hint in hints if hint in json.dumps(scrubbed, ensure_ascii=False)]
    assert feedback_submission(scrubbed["view"]) == ("it", "Szybka pomoc", True)
    assert submission_key(scrubbed) == submission_key(payload)
    assert parse_qs(stored)["payload"] == [json.dumps(scrubbed)]


def test_named_submissions_and_other_payloads_pass_through_untouched():
    sim = SlackSim("http://unused", "secret")
    named = sim.view_submission_payload(EMPLOYEE, str(CallbackId.FEEDBACK), _form(False))
    body = urlencode({"payload": json.dumps(named)})
    assert scrub_anonymous(named, body, "http") == (named, body)
    assert "direct messages" in json.dumps(acknowledgement(named))
    other = sim.view_submission_payload(EMPLOYEE, str(CallbackId.RESOLVE), {})
    assert scrub_anonymous(other, "x", "http") == (other, "x") and acknowledgement(other) is None
    assert parse_qs(body)["payload"]


def test_the_pulse_question_rates_the_department_in_one_click():
    text, blocks = fb.pulse_question("Facilities", 7)
    assert "*Facilities*" in text
    assert [value for _, _, value in buttons(blocks)] == [f"7|{n}" for n in range(1, 6)]
    assert fb.pulse_recorded("Facilities", 5) == "Thanks! You rated *Facilities* 5/5."


def test_every_feedback_button_parses_back_to_its_request_or_survey():
    request = view_in("closed_confirmed")
    messages = [fb.rating_prompt(request), fb.rating_recorded(request, 3, False), fb.recheck_question(request),
                fb.pulse_question("IT", 42)]
    seen = set()
    for _, blocks in messages:
        for _, action_id, value in buttons(blocks):
            click = {"actions": [{"value": value}], "user": {"id": EMPLOYEE}}
            if action_id.startswith((f"{ActionId.RATE}.", f"{ActionId.PULSE}.")):
                seen.add(ActionId(action_id.rsplit(".", 1)[0]))
                assert score_of(click) == (42, int(action_id.rsplit(".", 1)[1]))
            else:
                seen.add(ActionId(action_id))
                assert request_id_of(click) == 42
    assert seen == {ActionId.RATE, ActionId.COMMENT, ActionId.STILL_FIXED, ActionId.NOT_FIXED, ActionId.PULSE}
