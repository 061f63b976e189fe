"""Draft KB entries written from resolved requests ("Save as answer"), for an admin to review and merge.

One YAML file per request (`request-<id>.yaml`) in the drafts folder, never in the KB itself:

    draft: {request: 42, department: it, created: "2026-11-30T10:00:00+00:00"}
    entries:                     # the live KB's entry schema, checked against its departments
      - id: it-draft-42
        department: it
        questions: [the employee's question]
        answer: the staff member's resolution note
    cases:                       # kb test cases, to move to cases.yaml with the entry
      - question: the employee's question
        expect: it-draft-42

Validation loads each entry with the real schema (kb.loader), and each case against the KB with the draft in it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kb.cases import ESCALATE, _case
from kb.errors import KbError, show_path
from kb.knowledge import KnowledgeBase
from kb.loader import _FAILED, _entry, _read_yaml
from kb.schema import Entry

_FIELDS = {"draft", "entries", "cases"}
HEADER = ("# A draft KB entry from a resolved request: review it, then move the entry to an entry file and the\n"
          "# case to cases.yaml, and delete this file. helploop never loads drafts as answers.\n")


def file_name(request_id: int) -> str:
    """The draft's file name: one per request, so writing it again replaces it."""
    return f"request-{request_id}.yaml"


def draft_id(department: str, request_id: int) -> str:
    """The generated entry id (department ids are already KB ids: lowercase, digits, dashes)."""
    return f"{department}-draft-{request_id}"


def document(request_id: int, department: str, questions: list[str], answer: str, created: str) -> dict[str, Any]:
    """The draft as data: metadata, one entry in the KB's schema, and one regression case per phrasing."""
    entry_id = draft_id(department, request_id)
    phrasings = [q.strip() for q in dict.fromkeys(questions) if q.strip()]
    return {
        "draft": {"request": request_id, "department": department, "created": created},
        "entries": [{"id": entry_id, "department": department, "questions": phrasings, "answer": answer.strip()}],
        "cases": [{"question": q, "expect": entry_id} for q in phrasings],
    }


def dump(doc: dict[str, Any]) -> str:
    """The draft as YAML text, with a header saying what to do with it."""
    return HEADER + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=100)


@dataclass
class Draft:
    """One draft file as loaded: its entries and cases, the errors that keep it from merging, warnings."""

    path: Path
    request: int | None = None
    department: str | None = None
    created: str | None = None
    entries: list[Entry] = field(default_factory=list)
    cases: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def load_drafts(drafts_dir: Path, kb: KnowledgeBase) -> list[Draft]:
    """Every draft in the folder, validated against the live KB (ids, departments, the entry schema) and its
    cases run against the KB with the valid drafts added; none when the folder does not exist."""
    drafts_dir = Path(drafts_dir)
    if not drafts_dir.is_dir():
        return []
    drafts = [_load_one(path, kb) for path in sorted(drafts_dir.glob("*.yaml"))]
    _unique_ids(drafts, kb)
    merged = {**kb.entries, **{e.id: e for d in drafts if d.ok for e in d.entries}}
    trial = KnowledgeBase(merged, kb.departments, kb.default_department) if merged != kb.entries else kb
    for draft in drafts:
        _check_cases(draft, trial)
    return drafts


def _load_one(path: Path, kb: KnowledgeBase) -> Draft:
    draft, name = Draft(path), show_path(path)
    data = _read_yaml(path, draft.errors)
    if data is _FAILED:
        return draft
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list) or not data["entries"]:
        draft.errors.append(f"{name}: must be a mapping with a non-empty 'entries:' list")
        return draft
    draft.errors.extend(f"{name}: unknown field {key!r} (expected draft, entries, cases)"
                        for key in data if key not in _FIELDS)
    meta = data.get("draft") if isinstance(data.get("draft"), dict) else {}
    draft.request, draft.department, draft.created = meta.get("request"), meta.get("department"), \
        str(meta.get("created") or "") or None
    for i, raw in enumerate(data["entries"]):
        entry = _entry(name, i, raw, list(kb.departments), draft.errors, draft.warnings)
        if entry is not None:
            draft.entries.append(entry)
    cases = data.get("cases") or []
    if not isinstance(cases, list):
        draft.errors.append(f"{name}: cases must be a list of {{question, expect}}")
    else:
        draft.cases = list(cases)
    return draft


def _unique_ids(drafts: list[Draft], kb: KnowledgeBase) -> None:
    seen: dict[str, str] = {}
    for draft in drafts:
        name = show_path(draft.path)
        for entry in draft.entries:
            if entry.id in kb.entries:
                draft.errors.append(f"{name}: entry id {entry.id!r} is already used in the KB ({kb.entries[entry.id].source})")
            elif entry.id in seen:
                draft.errors.append(f"{name}: entry id {entry.id!r} is already used by {seen[entry.id]}")
            else:
                seen[entry.id] = name


def _check_cases(draft: Draft, trial: KnowledgeBase) -> None:
    if not draft.ok:
        return  # its cases name an entry that did not load: reported once the entry is fixed
    name = show_path(draft.path)
    for i, raw in enumerate(draft.cases):
        case = _case(i, raw, f"{name}: cases[{i}]", trial, draft.errors)
        if case is None:
            continue
        got = trial.match(case.question).entry
        if (got.id if got else ESCALATE) != case.expect:
            draft.warnings.append(f"{name}: cases[{i}]: with this draft merged, {case.question!r} would get "
                                  f"{got.id if got else ESCALATE}, not {case.expect}")


def errors_of(drafts: list[Draft]) -> KbError | None:
    """Every draft's errors as one KbError, or None when all drafts are valid."""
    errors = [e for d in drafts for e in d.errors]
    return KbError(errors) if errors else None
