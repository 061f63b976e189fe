"""kb check findings: phrasings shared by two entries, and phrasings another entry matches better."""

from __future__ import annotations

import io

from conftest import HR, IT, WriteKb

from cli import kbtool
from kb import load_kb
from kb.lint import lint

SHARED = HR.replace("      - I want to book holiday leave\n", "      - I want to book holiday leave\n      - VPN password expired!\n")

# A printer phrasing misfiled under the wifi entry: the printer entry matches it better.
STEAL = IT.replace("      - how can visitors get on the wifi\n",
                   "      - how can visitors get on the wifi\n      - paper stuck in the printer on floor 3, it is jammed\n")


def test_clean_kb_has_no_findings(write_kb: WriteKb) -> None:
    assert lint(load_kb(write_kb())) == []


def test_shared_phrasing_after_folding(write_kb: WriteKb) -> None:
    findings = lint(load_kb(write_kb({"it.yaml": IT, "hr.yaml": SHARED})))
    shared = [f for f in findings if f.kind == "shared"]
    assert [str(f) for f in shared] == [
        'kb/it.yaml: vpn-password-reset: phrasing "vpn password expired" is also a phrasing of vacation-request']
    assert all(f.kind != "steal" or "expired" not in f.phrasing for f in findings)  # reported once, as shared


def test_steal(write_kb: WriteKb) -> None:
    kb = load_kb(write_kb({"it.yaml": STEAL, "hr.yaml": HR}))
    findings = [f for f in lint(kb) if f.kind == "steal"]
    (f,) = [f for f in findings if f.entry == "wifi-guest"]
    assert f.score >= kb.settings.min_score  # the bot would answer it with printer-jam
    assert (f.source, f.entry, f.other) == ("kb/it.yaml", "wifi-guest", "printer-jam")
    assert f.score > f.own_score
    assert str(f) == (f'kb/it.yaml: wifi-guest: phrasing "paper stuck in the printer on floor 3, it is jammed" matches printer-jam '
                      f"({f.score:.1f}) better than its own entry ({f.own_score:.1f})")


def test_check_prints_findings_after_ok_and_exits_0(write_kb: WriteKb) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert kbtool.check(write_kb({"it.yaml": STEAL, "hr.yaml": SHARED}), out, err) == 0
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("OK: ")
    assert lines[1].startswith("matching: answer when score >= ")
    warnings = lines[2:]
    # Ranked: a shared phrasing (always wrong for someone) first, grouped under its entry.
    assert warnings[0] == "entry vpn-password-reset (kb/it.yaml): 1 finding"
    assert warnings[1].startswith('  warning: kb/it.yaml: vpn-password-reset: phrasing "vpn password expired" is also')
    assert any(w.startswith('  warning: kb/it.yaml: wifi-guest: phrasing "paper stuck in the printer') for w in warnings)


def test_findings_are_capped_with_a_count_unless_all() -> None:
    from kb.lint import Finding, Report, render

    findings = [Finding("steal", "kb/a.yaml", f"e{i}", "p", "x", 50.0, 10.0) for i in range(25)]
    lines = render(Report(findings, 10, 40), ["kb/a.yaml: no entries"])
    assert lines[0] == "warning: kb/a.yaml: no entries"
    assert lines[-2] == "... and 5 more findings (kb check --all shows every one)"
    assert lines[-1] == "note: steal analysis on a sample of 10 of 40 phrasings (kb check --all checks every one)"
    assert sum(1 for line in lines if line.startswith("  warning:")) == 20
    every = render(Report(findings, 40, 40), [], show_all=True)
    assert sum(1 for line in every if line.startswith("  warning:")) == 25 and not every[-1].startswith("...")


def test_shipped_example_kb_passes_its_own_check_without_warnings() -> None:
    from pathlib import Path

    from kb.lint import report

    example = load_kb(Path(__file__).resolve().parents[2] / "kb" / "example")
    assert example.warnings == []
    assert [str(f) for f in report(example, check_all=True).findings] == []
