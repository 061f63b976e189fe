"""KB regression cases: a YAML list of question -> expected entry id (or "escalate"), run against a KB."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kb.errors import KbError, show_path
from kb.knowledge import KnowledgeBase
from kb.loader import _FAILED, _read_yaml
from kb.matcher import MatchResult
from kb.schema import LANGUAGE_RE

ESCALATE = "escalate"
_FIELDS = {"question", "expect", "known_failure", "language"}


@dataclass(frozen=True, slots=True)
class Case:
    """One regression case; index is its position in the file's `cases:` list."""

    index: int
    question: str
    expect: str  # an entry id, or ESCALATE
    known_failure: str | None = None  # why the KB does not pass it yet; reported, not failed
    language: str | None = None  # the asker's language: the answered entry must have an answer in it


@dataclass(frozen=True, slots=True)
class Outcome:
    """A case, what the KB did with it, and whether that is what the case expects."""

    case: Case
    result: MatchResult

    @property
    def got(self) -> str:
        """The answered entry id, or ESCALATE."""
        return self.result.entry.id if self.result.entry is not None else ESCALATE

    @property
    def passed(self) -> bool:
        """True when the KB did what the case expects (and, with a language, can answer in it)."""
        return self.got == self.case.expect and not self.missing_language

    @property
    def missing_language(self) -> bool:
        """The case gives a language and the answered entry has no answer in it."""
        entry, language = self.result.entry, self.case.language
        return entry is not None and language is not None and language not in entry.answers

    @property
    def counts_as_failure(self) -> bool:
        """Failed and not marked as a known failure."""
        return not self.passed and self.case.known_failure is None


def load_cases(path: Path, kb: KnowledgeBase) -> list[Case]:
    """Read and validate a cases file against kb; raise KbError naming file, case index and field."""
    name = show_path(path)
    errors: list[str] = []
    data = _read_yaml(Path(path), errors)
    if data is _FAILED:
        raise KbError(errors)
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise KbError([f"{name}: must be a mapping with a 'cases:' list of {{question, expect}}"])
    cases: list[Case] = []
    for i, raw in enumerate(data["cases"]):
        case = _case(i, raw, f"{name}: cases[{i}]", kb, errors)
        if case is not None:
            cases.append(case)
    if not errors and not cases:
        errors.append(f"{name}: no cases")
    if errors:
        raise KbError(errors)
    return cases


def _case(i: int, raw: Any, where: str, kb: KnowledgeBase, errors: list[str]) -> Case | None:
    """One validated case, or None after appending why it is not one to errors."""
    if not isinstance(raw, dict):
        errors.append(f"{where}: must be a mapping with question and expect, got {type(raw).__name__}")
        return None
    for key in raw:
        if key not in _FIELDS:
            errors.append(f"{where}: unknown field {key!r} (expected question, expect, known_failure, language)")
    question, expect = raw.get("question"), raw.get("expect")
    known, language = raw.get("known_failure"), raw.get("language")
    if language is not None and (not isinstance(language, str) or not LANGUAGE_RE.fullmatch(language)):
        errors.append(f"{where}: language must be a language code like en, vi or pl")
        language = None
    if known is not None and (not isinstance(known, str) or not known.strip()):
        errors.append(f"{where}: known_failure must say why, as text")
    if not isinstance(question, str) or not question.strip():
        errors.append(f"{where}: question must be a non-empty string")
    if not isinstance(expect, str) or not expect.strip():
        errors.append(f"{where}: expect must be an entry id or {ESCALATE!r}")
    elif expect.strip() != ESCALATE and expect.strip() not in kb.entries:
        errors.append(f"{where}: expect {expect.strip()!r} is not an entry id of the KB nor {ESCALATE!r}")
    elif isinstance(question, str) and question.strip():
        return Case(i, question.strip(), expect.strip(), known.strip() if isinstance(known, str) else None,
                    language)
    return None


def run_cases(kb: KnowledgeBase, cases: list[Case]) -> list[Outcome]:
    """Match every case's question."""
    return [Outcome(case, kb.match(case.question)) for case in cases]


def explain(kb: KnowledgeBase, outcome: Outcome) -> str:
    """Why the KB answered or escalated, e.g. 'best it-printer 41.2 < 45' or 'it-wifi 72.0, lead 3.1 < 8'."""
    r, s = outcome.result, kb.settings
    if r.best is None:
        return "no entry shares a word with the question"
    reasons = []
    if r.best_score < s.min_score:
        reasons.append(f"{r.best_score:.1f} < {s.min_score:g}")
    else:
        reasons.append(f"{r.best_score:.1f} >= {s.min_score:g}")
    reasons.append(f"lead {r.margin:.1f} {'<' if r.margin < s.min_margin else '>='} {s.min_margin:g}")
    text = f"best {r.best.id} " + ", ".join(reasons)
    if outcome.missing_language:
        text += f"; {r.best.id} has no answer in {outcome.case.language!r}"
    expect = outcome.case.expect
    if expect != ESCALATE and expect != r.best.id:
        score = next((c.score for c in r.candidates if c.entry.id == expect), None)
        text += f"; {expect} " + (f"{score:.1f}" if score is not None else "not in the top candidates")
    return text
