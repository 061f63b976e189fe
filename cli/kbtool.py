"""Logic of `helploop kb check`, `kb match` and `kb test`, on streams so it is testable."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TextIO

from bot.routing import route
from kb import KbError, KnowledgeBase, MatchResult, load_kb
from kb.cases import ESCALATE, explain, load_cases, run_cases
from kb.errors import show_path
from kb.lint import missing_languages, render, report
from kb.loader import CASES_FILE

_QUESTION_WIDTH = 48
_PHRASING_WIDTH = 48


def _load(kb_dir: Path, err: TextIO) -> KnowledgeBase | None:
    try:
        return load_kb(kb_dir)
    except KbError as exc:
        for line in exc.errors:
            print(line, file=err)
        n = len(exc.errors)
        print(f"{n} error{'s' if n != 1 else ''} in {kb_dir}", file=err)
        return None


def check(kb_dir: Path, out: TextIO, err: TextIO, show_all: bool = False) -> int:
    """Validate the KB: print a summary, the matching bands and ranked warnings (0) or every error (1).
    show_all: every finding (not the first 20) and the steal analysis on every phrasing (not a sample)."""
    kb = _load(kb_dir, err)
    if kb is None:
        return 1
    print(f"OK: {len(kb.entries)} entries in {len(kb.files)} files, {len(kb.departments)} departments", file=out)
    print(f"matching: {kb.settings.describe()}", file=out)
    for line in render(report(kb, show_all), kb.warnings, show_all):
        print(line, file=out)
    for line in missing_languages(kb, show_all):
        print(f"note: {line}", file=out)
    return 0


def _record(kb: KnowledgeBase, question: str, result: MatchResult) -> dict[str, object]:
    return {
        "question": question,
        "entry": result.entry.id if result.entry else None,
        "score": result.score,
        "department": route(kb, result, question),  # where the bot would send it, as it routes
        "best": result.best.id if result.best else None,
        "best_score": result.best_score,
        "phrasing": result.phrasing,
        "choices": [c.entry.id for c in result.choices],  # offered as "Did you mean …?" instead
        "band": result.band,  # answer / choices / parts / escalate
        "related": [e.id for e in result.related],  # buttons under the answer
        "parts": [{"text": p.text, "entry": p.entry.id if p.entry else None,
                   "best": p.best.id if p.best else None, "best_score": p.best_score} for p in result.parts],
    }


def _clip(text: str | None, width: int) -> str:
    text = (text or "-").replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def match(kb_dir: Path, inp: TextIO, out: TextIO, err: TextIO, as_json: bool) -> int:
    """Match each non-blank input line; print JSON lines or an aligned table."""
    kb = _load(kb_dir, err)
    if kb is None:
        return 1
    rows: list[tuple[str, ...]] = []
    for line in inp:
        question = line.strip()
        if not question:
            continue
        result = kb.match(question)
        if as_json:
            print(json.dumps(_record(kb, question, result), ensure_ascii=False), file=out, flush=True)
            continue
        rows.append((
            _clip(question, _QUESTION_WIDTH),
            result.band,
            result.best.id if result.best else "-",
            f"{result.best_score:.1f}",
            _clip(result.phrasing, _PHRASING_WIDTH),
        ))
    if not as_json and rows:
        header = ("QUESTION", "DECISION", "ENTRY", "SCORE", "MATCHED PHRASING")
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            cells = [row[i].rjust(widths[i]) if i == 3 else row[i].ljust(widths[i]) for i in range(len(row))]
            print("  ".join(cells).rstrip(), file=out)
    return 0


def test(kb_dir: Path, cases_path: Path | None, out: TextIO, err: TextIO) -> int:
    """Run the KB regression cases: print failures and a summary; 1 if any failed or the files are invalid."""
    kb = _load(kb_dir, err)
    if kb is None:
        return 1
    path = cases_path if cases_path is not None else Path(kb_dir) / CASES_FILE
    try:
        cases = load_cases(path, kb)
    except KbError as exc:
        for line in exc.errors:
            print(line, file=err)
        n = len(exc.errors)
        print(f"{n} error{'s' if n != 1 else ''} in {path}", file=err)
        return 1
    outcomes = run_cases(kb, cases)
    failed = [o for o in outcomes if o.counts_as_failure]
    known = [o for o in outcomes if not o.passed and o.case.known_failure]
    fixed = [o for o in outcomes if o.passed and o.case.known_failure]
    for o in failed:
        print(f"cases[{o.case.index}]: {o.case.question}", file=out)
        print(f"  - expected {o.case.expect}, got {o.got} ({explain(kb, o)})", file=out)
    for o in known:
        print(f"known failure cases[{o.case.index}]: {o.case.question} ({o.case.known_failure}; "
              f"got {o.got})", file=out)
    for o in fixed:
        print(f"now passing cases[{o.case.index}]: {o.case.question} (remove its known_failure)", file=out)
    s = kb.settings
    answered = sum(1 for o in outcomes if o.got != ESCALATE)
    passed = sum(1 for o in outcomes if o.passed)
    print(f"{passed} passed, {len(failed)} failed, {len(known)} known failures ({show_path(path)}; "
          f"{answered} answered, thresholds {s.min_score:g}/{s.min_margin:g} [{s.source}])", file=out)
    return 1 if failed else 0
