"""Issue 9: three bands, related entries, several questions in one message, Polish and Vietnamese matching."""

from __future__ import annotations

import pytest

from conftest import DEPARTMENTS, HR, IT, WriteKb
from kb import Entry, KnowledgeBase, load_kb
from kb.calibrate import Sample, choose_choices
from kb.parts import split_questions
from kb.lang import POLISH, bigrams, language

BANDS = DEPARTMENTS.replace("default: it\n", "default: it\nmatching: {min_score: 50, min_margin: 8, min_choice_score: 20}\n")
RELATED = IT.replace("    keywords: [vpn]\n", "    keywords: [vpn]\n    related: [wifi-guest, nope, vpn-password-reset]\n")


@pytest.fixture
def kb(write_kb: WriteKb) -> KnowledgeBase:
    return load_kb(write_kb({"it.yaml": RELATED, "hr.yaml": HR}, departments=BANDS))


def test_answer_band(kb: KnowledgeBase) -> None:
    r = kb.match("my VPN password expired")
    assert r.band == "answer" and r.entry is not None and r.entry.id == "vpn-password-reset"
    assert r.choices == [] and r.parts == []


def test_choices_band_offers_the_close_entries(kb: KnowledgeBase) -> None:
    r = kb.match("password")  # vpn and wifi phrasings both say "password": not clearly ahead
    assert r.entry is None and r.band == "choices"
    assert {c.entry.id for c in r.choices} >= {"vpn-password-reset", "wifi-guest"}
    assert len(r.choices) <= 3
    assert all(c.score >= r.best_score - kb.settings.choice_window for c in r.choices)


def test_escalate_band(kb: KnowledgeBase) -> None:
    r = kb.match("who won the football match")
    assert (r.band, r.entry, r.choices) == ("escalate", None, [])


def test_settings_from_matching_block(kb: KnowledgeBase) -> None:
    s = kb.settings
    assert (s.min_score, s.min_margin, s.min_choice_score, s.source) == (50, 8, 20, "departments.yaml")
    assert "offer choices when score >= 20" in s.describe()


def test_choice_band_is_calibrated_below_the_answer_band() -> None:
    # Right entry among the choices for high-scoring trials, not for low ones.
    samples = [Sample(s, 2, False, offered_ok=s >= 40) for s in range(20, 60)] + [Sample(80, 30, True)] * 40
    floor, recall, unknown_offered = choose_choices(samples, 70, 10)
    assert 35 <= floor <= 45
    assert 0 < recall <= 1 and unknown_offered == 0


def test_related_entries_resolved_and_checked(kb: KnowledgeBase) -> None:
    r = kb.match("my VPN password expired")
    assert [e.id for e in r.related] == ["wifi-guest"]
    assert kb.entries["vpn-password-reset"].related == ["wifi-guest"]
    assert any("related entry 'nope' does not exist" in w for w in kb.warnings)
    assert any("related lists the entry itself" in w for w in kb.warnings)
    assert kb.match("password").related == []  # only under an answer


def test_related_at_most_three(write_kb: WriteKb) -> None:
    from kb import KbError

    too_many = IT.replace("    keywords: [vpn]\n", "    related: [a, b, c, d]\n")
    with pytest.raises(KbError, match="related"):
        load_kb(write_kb({"it.yaml": too_many, "hr.yaml": HR}))


def test_split_questions() -> None:
    assert split_questions("my chair squeaks and I need a new monitor and VPN") == [
        "my chair squeaks", "I need a new monitor", "VPN"]
    assert split_questions("Drukarka nie działa. Oraz nie mam dostępu do VPN?") == [
        "Drukarka nie działa", "nie mam dostępu do VPN"]
    assert split_questions("máy in bị kẹt giấy và quên mật khẩu wifi") == ["máy in bị kẹt giấy", "quên mật khẩu wifi"]
    assert split_questions("printer") == ["printer"]


def test_two_questions_are_answered_per_part(kb: KnowledgeBase) -> None:
    r = kb.match("paper stuck in the printer. Also how do I request vacation days?")
    assert r.entry is None and r.choices == []  # a bot that ignores parts escalates, never answers one part
    assert [p.entry.id for p in r.parts if p.entry] == ["printer-jam", "vacation-request"]
    assert r.answer_parts and r.band == "parts"
    assert [x.entry.id for x in kb.match_all("paper stuck in the printer. Also how do I request vacation days?")] == [
        "printer-jam", "vacation-request"]


def test_a_part_without_an_answer_escalates_the_message(kb: KnowledgeBase) -> None:
    r = kb.match("paper stuck in the printer, and how do I request vacation days, and password")
    assert len(r.parts) == 3 and not r.answer_parts and r.band == "escalate"


def test_one_question_with_and_is_not_split(kb: KnowledgeBase) -> None:
    r = kb.match("my VPN password expired and I cannot log in")
    assert r.parts == [] and r.entry is not None and r.entry.id == "vpn-password-reset"
    assert kb.match_all("my VPN password expired")[0].entry.id == "vpn-password-reset"


def test_language_detection() -> None:
    assert language("máy in bị kẹt giấy") == "vi"
    assert language("may in bi ket giay roi, em khong in duoc") == "vi"
    assert language("drukarka się zacięła") == "pl"
    assert language("jak zmienic haslo, nie moge sie zalogowac") == "pl"
    assert language("my printer is jammed") == ""


def test_vietnamese_syllable_bigrams() -> None:
    assert bigrams(["may", "in", "bi", "ket"]) == ["may_in", "in_bi", "bi_ket"]


@pytest.mark.skipif(not POLISH.available, reason="morfeusz2 not installed")
def test_polish_lemmas_with_and_without_diacritics() -> None:
    assert "drukarka" in POLISH.lemmas("drukarce", "drukarce")
    assert "haslo" in POLISH.lemmas("hasla")  # typed without diacritics: "hasła" restored
    assert "wniosek" in POLISH.lemmas("wniosku")
    assert POLISH.lemmas("qwzx") == frozenset()


def _kb(entries: dict[str, list[str]]) -> KnowledgeBase:
    return KnowledgeBase({k: Entry(id=k, department="it", questions=v, answer=k, source="t") for k, v in entries.items()},
                         {}, "it")


@pytest.mark.skipif(not POLISH.available, reason="morfeusz2 not installed")
@pytest.mark.parametrize("question", ["zacięła się drukarka", "drukarce skończył się papier", "drukarki nie widac",
                                      "nie moge nic wydrukowac z drukarki"])
def test_polish_inflections_find_the_entry(question: str) -> None:
    kb = _kb({"printer": ["drukarka nie działa", "papier w drukarce"], "vpn": ["hasło do VPN wygasło"],
              "mail": ["nie pamiętam hasła do poczty"]})
    assert kb.match(question).best.id == "printer"


@pytest.mark.parametrize("question", ["máy in bị kẹt giấy", "may in bi ket giay", "máy in không in được"])
def test_vietnamese_pairs_separate_printer_from_air_conditioner(question: str) -> None:
    kb = _kb({"printer": ["máy in bị lỗi", "không in được tài liệu"], "aircon": ["máy lạnh bị hỏng", "điều hòa không mát"]})
    r = kb.match(question)
    assert r.best.id == "printer" and r.candidates[0].score > (r.candidates[1].score if len(r.candidates) > 1 else 0)
