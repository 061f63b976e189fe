"""`helploop kb test`: cases file validation, the failure report, and the shipped example KB's cases."""

from __future__ import annotations

import io
from pathlib import Path

from conftest import WriteKb

from cli import kbtool
from kb import load_kb
from kb.cases import load_cases, run_cases

EXAMPLE = Path(__file__).resolve().parents[2] / "kb" / "example"
CASES = """\
cases:
  - question: paper stuck in the printer again
    expect: printer-jam
  - question: gdzie jest mój pasek wypłaty
    expect: payslip
  - question: who won the football match
    expect: escalate
"""


def test_passing_cases_exit_0(write_kb: WriteKb) -> None:
    kb_dir = write_kb()
    (kb_dir / "cases.yaml").write_text(CASES, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert kbtool.test(kb_dir, None, out, err) == 0
    assert err.getvalue() == ""
    assert out.getvalue().startswith("3 passed, 0 failed, 0 known failures (kb/cases.yaml; 2 answered, thresholds ")
    assert load_kb(kb_dir).entries.keys().isdisjoint({"cases"})  # cases.yaml is not an entry file


def test_failures_are_listed_with_the_reason(write_kb: WriteKb, tmp_path: Path) -> None:
    kb_dir = write_kb()
    cases = tmp_path / "mine.yaml"
    cases.write_text(CASES.replace("expect: printer-jam", "expect: wifi-guest")
                     + "  - question: chleb\n    expect: payslip\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert kbtool.test(kb_dir, cases, out, err) == 1
    lines = out.getvalue().splitlines()
    assert lines[0] == "cases[0]: paper stuck in the printer again"
    assert lines[1].startswith("  - expected wifi-guest, got printer-jam (best printer-jam ")
    assert "lead" in lines[1] and "; wifi-guest " in lines[1]
    assert lines[2:4] == ["cases[3]: chleb",
                          "  - expected payslip, got escalate (no entry shares a word with the question)"]
    assert lines[-1].startswith("2 passed, 2 failed, 0 known failures (mine.yaml; ")


def test_invalid_cases_file_names_file_index_and_field(write_kb: WriteKb) -> None:
    kb_dir = write_kb()
    (kb_dir / "cases.yaml").write_text(
        "cases:\n  - question: vpn\n    expect: vpn-reset\n  - expect: escalate\n  - 3\n"
        "  - question: hi\n    expect: escalate\n    note: x\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert kbtool.test(kb_dir, None, out, err) == 1
    assert out.getvalue() == ""
    assert err.getvalue().splitlines() == [
        "kb/cases.yaml: cases[0]: expect 'vpn-reset' is not an entry id of the KB nor 'escalate'",
        "kb/cases.yaml: cases[1]: question must be a non-empty string",
        "kb/cases.yaml: cases[2]: must be a mapping with question and expect, got int",
        "kb/cases.yaml: cases[3]: unknown field 'note' (expected question, expect, known_failure, language)",
        f"4 errors in {kb_dir / 'cases.yaml'}",
    ]


def test_known_failures_are_reported_without_failing_and_fixed_ones_are_pointed_out(write_kb: WriteKb) -> None:
    kb_dir = write_kb()
    (kb_dir / "cases.yaml").write_text(
        CASES.replace("expect: printer-jam", "expect: wifi-guest\n    known_failure: the printer entry wins")
        .replace("expect: payslip", "expect: payslip\n    known_failure: was flaky once"), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert kbtool.test(kb_dir, None, out, err) == 0
    lines = out.getvalue().splitlines()
    assert lines[0] == ("known failure cases[0]: paper stuck in the printer again "
                        "(the printer entry wins; got printer-jam)")
    assert lines[1] == "now passing cases[1]: gdzie jest mój pasek wypłaty (remove its known_failure)"
    assert lines[-1].startswith("2 passed, 0 failed, 1 known failures")
    (kb_dir / "cases.yaml").write_text(CASES.replace("expect: escalate", "expect: escalate\n    known_failure: ''"))
    assert kbtool.test(kb_dir, None, io.StringIO(), err) == 1
    assert "kb/cases.yaml: cases[2]: known_failure must say why, as text" in err.getvalue()


def test_missing_cases_file(write_kb: WriteKb) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert kbtool.test(write_kb(), None, out, err) == 1
    assert err.getvalue().splitlines()[0].startswith("kb/cases.yaml: cannot read file")


def test_example_kb_cases() -> None:
    """The project's CI guards the shipped example KB with its own regression cases."""
    kb = load_kb(EXAMPLE)
    outcomes = run_cases(kb, load_cases(EXAMPLE / "cases.yaml", kb))
    assert [o.case.question for o in outcomes if o.counts_as_failure] == [], "run `helploop kb test --kb kb/example`"
    assert [o.case.question for o in outcomes if o.passed and o.case.known_failure] == [], "remove known_failure"
    assert sum(1 for o in outcomes if o.case.known_failure) <= 3  # known failures stay the exception
    assert any(o.case.expect == "escalate" for o in outcomes)
    assert kbtool.test(EXAMPLE, None, io.StringIO(), io.StringIO()) == 0
