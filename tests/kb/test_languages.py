"""Answers per language (`answer: {en: …, vi: …, pl: …}`), a department's language, `kb check` and `kb test`."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from cli.kbtool import check
from cli.kbtool import test as kb_test
from conftest import DEPARTMENTS, HR, WriteKb
from kb import KbError, load_kb
from kb.cases import load_cases, run_cases
from kb.lint import missing_languages

IT = """\
entries:
  - id: vpn-password-reset
    department: it
    questions:
      - How do I reset my VPN password?
      - mật khẩu VPN hết hạn
      - jak zresetować hasło do VPN
    answer:
      en: Open https://id.example.com and choose "Forgot password".
      vi: Anh/chị mở https://id.example.com và chọn "Forgot password".
      pl: Proszę otworzyć https://id.example.com i wybrać "Forgot password".
  - id: printer-jam
    department: it
    questions: [The printer is jammed]
    answer:
      vi: Anh/chị làm theo hướng dẫn trên màn hình máy in.
      en: Follow the steps on the printer's screen.
  - id: wifi-guest
    department: it
    questions: [guest wifi password]
    answer: The guest code is at reception.
"""


def test_an_answer_per_language_next_to_a_plain_answer(write_kb: WriteKb) -> None:
    kb = load_kb(write_kb({"it.yaml": IT, "hr.yaml": HR}))
    vpn, printer, wifi = (kb.entries[i] for i in ("vpn-password-reset", "printer-jam", "wifi-guest"))
    assert vpn.answer_for("pl").startswith("Proszę otworzyć") and vpn.answer_for("vi").startswith("Anh/chị")
    assert vpn.answer == vpn.answer_for("en") == vpn.answer_for(None)
    assert printer.answer_for("pl") == printer.answer == "Anh/chị làm theo hướng dẫn trên màn hình máy in."  # first
    assert wifi.answers == {} and wifi.answer_for("vi") == "The guest code is at reception."
    # Buttons that name an entry ("Did you mean …?", related entries) use a phrasing in the asker's language.
    assert (vpn.question_for("vi"), vpn.question_for("pl")) == ("mật khẩu VPN hết hạn", "jak zresetować hasło do VPN")
    assert vpn.question_for("en") == "How do I reset my VPN password?"
    assert printer.question_for("pl") == "The printer is jammed"  # none in Polish: the first phrasing
    assert kb.warnings == []


@pytest.mark.parametrize(("answer", "error"), [
    ("{}", "answer: give at least one language"),
    ("{english: Hello}", "'english' is not a language code"),
    ("{en: ''}", "answer"),
])
def test_a_bad_answer_mapping_is_reported_with_its_entry(write_kb: WriteKb, answer: str, error: str) -> None:
    text = f"entries:\n  - id: e\n    department: it\n    questions: [q]\n    answer: {answer}\n"
    with pytest.raises(KbError) as info:
        load_kb(write_kb({"it.yaml": text}))
    assert any("it.yaml" in line and error in line for line in info.value.errors), info.value.errors


def test_a_department_writes_to_its_staff_in_its_language(write_kb: WriteKb) -> None:
    departments = DEPARTMENTS.replace("    name: HR\n", "    name: HR\n    language: vi\n")
    kb = load_kb(write_kb({"it.yaml": IT, "hr.yaml": HR}, departments=departments))
    assert (kb.departments["hr"].language, kb.departments["it"].language) == ("vi", "en")
    with pytest.raises(KbError) as info:
        load_kb(write_kb(departments=DEPARTMENTS.replace("    name: HR\n", "    name: HR\n    language: Polish\n")))
    assert any("language" in line and "'Polish'" in line for line in info.value.errors)


def test_kb_check_lists_entries_missing_a_language_the_others_have(write_kb: WriteKb) -> None:
    kb_dir = write_kb({"it.yaml": IT, "hr.yaml": HR})
    lines = missing_languages(load_kb(kb_dir))
    assert "entry printer-jam (kb/it.yaml): no answer in pl" in lines[-2]
    assert "entry wifi-guest (kb/it.yaml): no answer in pl, vi" in lines[-1]  # a plain answer: its language
    assert not any("vpn-password-reset" in line for line in lines)
    out = io.StringIO()
    assert check(kb_dir, out, io.StringIO()) == 0
    assert "note: entry printer-jam (kb/it.yaml): no answer in pl" in out.getvalue()


def test_a_kb_with_one_language_everywhere_has_nothing_missing(write_kb: WriteKb) -> None:
    assert missing_languages(load_kb(write_kb())) == []


def test_kb_test_cases_may_give_the_askers_language(write_kb: WriteKb, tmp_path: Path) -> None:
    kb_dir = write_kb({"it.yaml": IT, "hr.yaml": HR})
    cases = kb_dir / "cases.yaml"
    cases.write_text("cases:\n"
                     "  - {question: jak zresetować hasło do VPN, expect: vpn-password-reset, language: pl}\n"
                     "  - {question: The printer is jammed, expect: printer-jam, language: pl}\n", encoding="utf-8")
    outcomes = run_cases(load_kb(kb_dir), load_cases(cases, load_kb(kb_dir)))
    assert [o.passed for o in outcomes] == [True, False]
    out = io.StringIO()
    assert kb_test(kb_dir, None, out, io.StringIO()) == 1
    assert "printer-jam has no answer in 'pl'" in out.getvalue()
    cases.write_text("cases:\n  - {question: q, expect: printer-jam, language: polish}\n", encoding="utf-8")
    with pytest.raises(KbError) as info:
        load_cases(cases, load_kb(kb_dir))
    assert "cases[0]: language must be a language code" in info.value.errors[0]


def test_the_example_kb_answers_its_most_asked_entries_in_vietnamese_and_polish() -> None:
    kb = load_kb(Path(__file__).resolve().parents[2] / "kb" / "example")
    both = [e.id for e in kb.entries.values() if {"en", "vi", "pl"} <= set(e.answers)]
    assert len(both) >= 8 and "it-vpn-password-reset" in both and "hr-vacation-request" in both
    for entry_id in both:
        entry = kb.entries[entry_id]
        assert entry.answer == entry.answers["en"]  # English first: the fallback for other languages
        assert entry.answers["vi"] != entry.answers["en"] != entry.answers["pl"]
        assert "https://" not in entry.answers["en"] or all(
            url in entry.answers[code] for code in ("vi", "pl") for url in _urls(entry.answers["en"]))


def _urls(text: str) -> list[str]:
    return [word.rstrip(").,") for word in text.split() if word.startswith("https://")]
