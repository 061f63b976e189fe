"""cli.kbtool: check and match on streams, including the JSON contract."""

from __future__ import annotations

import io
import json

from cli import kbtool
from conftest import IT, WriteKb


def test_check_ok(write_kb: WriteKb) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert kbtool.check(write_kb(), out, err) == 0
    lines = out.getvalue().splitlines()
    assert lines[0] == "OK: 5 entries in 2 files, 2 departments"
    assert lines[1].startswith("matching: answer when score >= ")
    assert err.getvalue() == ""


def test_check_rejects_a_misspelt_key_with_a_suggestion(write_kb: WriteKb) -> None:
    out, err = io.StringIO(), io.StringIO()
    kb_dir = write_kb({"it.yaml": IT.replace("    keywords: [vpn]\n", "    keyword: [vpn]\n")})
    assert kbtool.check(kb_dir, out, err) == 1
    assert ("kb/it.yaml: entries[0] (vpn-password-reset): unknown field 'keyword' (did you mean 'keywords'?)"
            in err.getvalue().splitlines())


def test_check_errors(write_kb: WriteKb) -> None:
    out, err = io.StringIO(), io.StringIO()
    kb_dir = write_kb({"it.yaml": IT.replace("department: it", "department: legal", 1), "x.yaml": "foo: 1\n"})
    assert kbtool.check(kb_dir, out, err) == 1
    assert out.getvalue() == ""
    assert err.getvalue().splitlines() == [
        "kb/it.yaml: entries[0] (vpn-password-reset): department 'legal' is not defined in departments.yaml (known: it, hr)",
        "kb/x.yaml: missing top-level 'entries:' list",
        f"2 errors in {kb_dir}",
    ]


def test_match_json_contract(write_kb: WriteKb) -> None:
    inp = io.StringIO("mật khẩu VPN hết hạn rồi\n\n   \nwhat's the weather on Mars\nchleb\n")
    out, err = io.StringIO(), io.StringIO()
    assert kbtool.match(write_kb(), inp, out, err, as_json=True) == 0
    assert err.getvalue() == ""
    assert "mật khẩu" in out.getvalue()  # ensure_ascii=False
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(rows) == 3  # blank lines skipped
    keys = ["question", "entry", "score", "department", "best", "best_score", "phrasing", "choices", "band", "related",
            "parts"]
    assert all(list(r) == keys for r in rows)

    answered, unrelated, unknown = rows
    assert answered["question"] == "mật khẩu VPN hết hạn rồi"
    assert answered["entry"] == answered["best"] == "vpn-password-reset"
    assert answered["department"] == "it"
    assert answered["phrasing"] == "mật khẩu VPN hết hạn"
    assert 0 < answered["score"] == answered["best_score"] <= 100

    assert unrelated["entry"] is None and unrelated["score"] == 0
    # Routed as the bot routes: a clear best candidate, else keywords, else the default department.
    assert unrelated["department"] in {"it", "hr"}
    assert unknown == {"question": "chleb", "entry": None, "score": 0, "department": "it",
                       "best": None, "best_score": 0, "phrasing": None, "choices": [], "band": "escalate",
                       "related": [], "parts": []}


def test_match_table(write_kb: WriteKb) -> None:
    inp = io.StringIO("paper stuck in the printer\nwho won the football match\n")
    out, err = io.StringIO(), io.StringIO()
    assert kbtool.match(write_kb(), inp, out, err, as_json=False) == 0
    header, first, second = out.getvalue().splitlines()
    assert header.split() == ["QUESTION", "DECISION", "ENTRY", "SCORE", "MATCHED", "PHRASING"]
    assert first.split()[5:7] == ["answer", "printer-jam"]
    assert "escalate" in second.split()
    # Aligned: the DECISION column starts at the same offset on every line.
    assert header.index("DECISION") == first.index("answer") == second.index("escalate")


def test_match_kb_error(write_kb: WriteKb) -> None:
    out, err = io.StringIO(), io.StringIO()
    kb_dir = write_kb({"x.yaml": "foo: 1\n"})
    assert kbtool.match(kb_dir, io.StringIO("hello\n"), out, err, as_json=True) == 1
    assert out.getvalue() == ""
    assert err.getvalue().splitlines()[0] == "kb/x.yaml: missing top-level 'entries:' list"
