"""Several questions in one message (kb/parts.py): answered per question or escalated, never one part only."""

from __future__ import annotations

import pytest

from conftest import DEPARTMENTS, HR, IT, WriteKb
from kb import KnowledgeBase, load_kb
from kb.parts import content_words, split_questions

BANDS = DEPARTMENTS.replace("default: it\n", "default: it\nmatching: {min_score: 50, min_margin: 8, min_choice_score: 20}\n")


@pytest.fixture
def kb(write_kb: WriteKb) -> KnowledgeBase:
    return load_kb(write_kb({"it.yaml": IT, "hr.yaml": HR}, departments=BANDS))


@pytest.mark.parametrize(("text", "pieces"), [
    ("printer jammed and vpn password expired", ["printer jammed", "vpn password expired"]),
    ("printer jammed; vpn password expired", ["printer jammed", "vpn password expired"]),
    ("printer jammed? vpn password expired", ["printer jammed", "vpn password expired"]),
    ("printer jammed\nvpn password expired", ["printer jammed", "vpn password expired"]),
    ("máy in bị kẹt và mật khẩu vpn hết hạn", ["máy in bị kẹt", "mật khẩu vpn hết hạn"]),
    ("máy in bị kẹt và cả mật khẩu vpn hết hạn", ["máy in bị kẹt", "mật khẩu vpn hết hạn"]),
    ("may in bi ket va ca mat khau vpn het han", ["may in bi ket", "mat khau vpn het han"]),
    ("drukarka się zacięła i hasło do vpn wygasło", ["drukarka się zacięła", "hasło do vpn wygasło"]),
    ("drukarka się zacięła oraz hasło do vpn wygasło", ["drukarka się zacięła", "hasło do vpn wygasło"]),
    ("drukarka się zacięła a także hasło do vpn wygasło", ["drukarka się zacięła", "hasło do vpn wygasło"]),
])
def test_split_on_joiners_and_punctuation_in_three_languages(text: str, pieces: list[str]) -> None:
    assert split_questions(text) == pieces


@pytest.mark.parametrize("text", [
    "Moja karta nie działa na drzwiach na 5. piętrze",  # an ordinal, not a sentence end
    "Kiểm tra số ngày phép còn lại ở đâu",  # "còn lại" is "remaining", not "and also"
])
def test_not_split_inside_one_question(text: str) -> None:
    assert split_questions(text) == [text]


def test_greetings_and_symptoms_are_not_subjects() -> None:
    assert content_words("hi team, thanks!") == []
    assert content_words("dzień dobry, dziękuję") == []
    assert content_words("my chair squeaks") == ["chair", "squeaks"]


def test_each_question_answered_with_its_own_entry(kb: KnowledgeBase) -> None:
    r = kb.match("paper stuck in the printer\nwhere can I download my payslip")
    assert r.entry is None and r.choices == []  # a bot that ignores parts escalates
    assert [p.entry.id for p in r.parts if p.entry] == ["printer-jam", "payslip"]
    assert r.band == "parts"
    assert [x.entry.id for x in kb.match_all("paper stuck in the printer\nwhere can I download my payslip")] == [
        "printer-jam", "payslip"]


@pytest.mark.parametrize("text", [
    "gdzie jest mój pasek wypłaty oraz jak zresetować hasło do VPN",
    "gdzie jest mój pasek wypłaty a także jak zresetować hasło do VPN",
])
def test_polish_questions_answered_per_part(kb: KnowledgeBase, text: str) -> None:
    r = kb.match(text)
    assert r.band == "parts" and [p.entry.id for p in r.parts] == ["payslip", "vpn-password-reset"]


def test_vietnamese_questions_answered_per_part(kb: KnowledgeBase) -> None:
    r = kb.match("mật khẩu VPN hết hạn và cả xin nghỉ phép như thế nào")
    assert r.band == "parts" and [p.entry.id for p in r.parts] == ["vpn-password-reset", "vacation-request"]


@pytest.mark.parametrize("text", [
    "paper stuck in the printer and I want a raise",  # a subject the KB does not know
    "I want a raise. Also paper stuck in the printer",
    "my chair squeaks and the printer on floor 3 is jammed",
    "gdzie jest mój pasek wypłaty i chcę podwyżkę",
])
def test_a_question_the_kb_cannot_answer_escalates_the_message(kb: KnowledgeBase, text: str) -> None:
    whole = kb._match_one(text)  # matched as one, the message would get the known part's answer
    assert whole.entry is not None or whole.choices
    r = kb.match(text)
    assert r.entry is None and r.choices == [] and r.band == "escalate"
    assert r.parts and not r.answer_parts


@pytest.mark.parametrize(("text", "entry"), [
    ("my VPN password expired and I cannot log in", "vpn-password-reset"),  # a symptom of the same thing
    ("paper stuck in the printer and it still doesn't work", "printer-jam"),
    ("hi team! paper stuck in the printer. thanks", "printer-jam"),  # greetings are not questions
    ("paper stuck in the printer on floor 3 and the printer is jammed", "printer-jam"),  # same entry twice
])
def test_one_question_with_context_is_answered(kb: KnowledgeBase, text: str, entry: str) -> None:
    r = kb.match(text)
    assert r.parts == [] and r.entry is not None and r.entry.id == entry


def test_two_answers_never_collapse_to_one(kb: KnowledgeBase) -> None:
    # Whatever the whole message scores, two pieces answered with different entries keep both.
    r = kb.match("how can visitors get on the wifi and how do I request vacation days and the printer is jammed")
    assert r.entry is None
    assert {p.entry.id for p in r.parts if p.entry} >= {"wifi-guest", "vacation-request"}


def test_a_follow_up_joins_the_question_before_it(kb: KnowledgeBase) -> None:
    r = kb.match("I want to book holiday leave. How do I request it?")
    assert r.parts == [] and r.entry is not None and r.entry.id == "vacation-request"


def test_how_do_i_starts_a_new_question(kb: KnowledgeBase) -> None:
    r = kb.match("paper stuck in the printer and how do I request vacation days")
    assert r.band == "parts" and [p.entry.id for p in r.parts] == ["printer-jam", "vacation-request"]
