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
    assert f.score >= kb.settings.min_score
    assert (f.source, f.entry, f.other) == ("kb/it.yaml", "wifi-guest", "printer-jam")
    assert f.score > f.own_score
    assert str(f) == (f'kb/it.yaml: wifi-guest: phrasing "paper stuck in the printer on floor 3, it is jammed" matches printer-jam '
                      f"({f.score:.1f}) better than its own entry ({f.own_score:.1f})")


def test_check_prints_findings_after_ok_and_exits_0(write_kb: WriteKb) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert kbtool.check(write_kb({"it.yaml": STEAL, "hr.yaml": SHARED}), out, err) == 0
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("OK: ")
    assert lines[1].startswith("matching: ")
    warnings = lines[2:]
    assert warnings[0].startswith('warning: kb/it.yaml: vpn-password-reset: phrasing "vpn password expired" is also')
    assert any(w.startswith('warning: kb/it.yaml: wifi-guest: phrasing "paper stuck in the printer') for w in warnings)
