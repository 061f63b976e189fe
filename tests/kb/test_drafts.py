"""Draft KB entries from resolutions: written in the KB's own schema, validated like the KB, never loaded as answers."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kb import load_kb
from kb.drafts import HEADER, document, draft_id, dump, file_name, load_drafts

EXAMPLE = Path(__file__).resolve().parents[2] / "kb" / "example"
QUESTION = "The 3D plotter in room 204 prints only blank pages"
NOTE = "Replaced the ink cartridge; the spare ones are in the cupboard next to it."


@pytest.fixture(scope="module")
def example():
    return load_kb(EXAMPLE)


def _write(folder: Path, request_id: int, doc: dict) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / file_name(request_id)
    path.write_text(dump(doc), encoding="utf-8")
    return path


def test_a_draft_holds_one_entry_in_the_kb_schema_and_a_case_per_phrasing():
    doc = document(42, "it", [QUESTION, QUESTION, "  "], NOTE + "\n", "2026-11-30T10:00:00+00:00")
    assert doc == {
        "draft": {"request": 42, "department": "it", "created": "2026-11-30T10:00:00+00:00"},
        "entries": [{"id": "it-draft-42", "department": "it", "questions": [QUESTION], "answer": NOTE}],
        "cases": [{"question": QUESTION, "expect": "it-draft-42"}],
    }
    text = dump(doc)
    assert text.startswith(HEADER) and yaml.safe_load(text) == doc
    assert (file_name(42), draft_id("hr", 7)) == ("request-42.yaml", "hr-draft-7")


def test_a_written_draft_loads_with_the_real_schema_and_its_case_passes_once_merged(tmp_path, example):
    _write(tmp_path, 42, document(42, "it", [QUESTION], NOTE, "2026-11-30T10:00:00+00:00"))
    [draft] = load_drafts(tmp_path, example)
    assert draft.ok, draft.errors
    assert (draft.request, draft.department, [e.id for e in draft.entries]) == (42, "it", ["it-draft-42"])
    assert draft.entries[0].answer == NOTE and draft.warnings == []
    assert "it-draft-42" not in example.entries  # the live KB is untouched


def test_vietnamese_text_is_kept_as_written(tmp_path, example):
    question = "máy in phòng 204 in ra giấy trắng"
    path = _write(tmp_path, 5, document(5, "it", [question], "Đã thay hộp mực.", "2026-11-30T10:00:00+00:00"))
    assert question in path.read_text(encoding="utf-8")
    [draft] = load_drafts(tmp_path, example)
    assert draft.ok and draft.entries[0].questions == [question]


def test_invalid_drafts_are_reported_by_file_entry_and_field(tmp_path, example):
    _write(tmp_path, 1, document(1, "plumbing", [QUESTION], NOTE, "x"))          # no such department
    bad = document(2, "it", [QUESTION], NOTE, "x")
    bad["entries"][0]["questions"] = []
    _write(tmp_path, 2, bad)                                                     # no phrasing
    clash = document(3, "it", [QUESTION], NOTE, "x")
    clash["entries"][0]["id"] = "it-vpn-password-reset"
    clash["cases"][0]["expect"] = "it-vpn-password-reset"
    _write(tmp_path, 3, clash)                                                   # an id the KB already has
    wrong_case = document(4, "it", [QUESTION], NOTE, "x")
    wrong_case["cases"][0]["expect"] = "no-such-entry"
    _write(tmp_path, 4, wrong_case)
    (tmp_path / "request-9.yaml").write_text("entries: [unclosed\n", encoding="utf-8")
    drafts = {d.path.name: d for d in load_drafts(tmp_path, example)}
    assert not any(d.ok for d in drafts.values())
    errors = {name: " ".join(d.errors) for name, d in drafts.items()}
    assert "entries[0] (plumbing-draft-1): department 'plumbing' is not defined" in errors["request-1.yaml"]
    assert "entries[0] (it-draft-2): questions must be a non-empty list" in errors["request-2.yaml"]
    assert "'it-vpn-password-reset' is already used in the KB" in errors["request-3.yaml"]
    assert "cases[0]: expect 'no-such-entry' is not an entry id" in errors["request-4.yaml"]
    assert "could not parse YAML" in errors["request-9.yaml"]


def test_no_folder_means_no_drafts(tmp_path, example):
    assert load_drafts(tmp_path / "missing", example) == []
