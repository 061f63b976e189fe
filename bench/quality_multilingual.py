"""Matcher quality on the Vietnamese and Polish question sets over the example KB, with and without diacritics.

Run from the repo root:  .venv/bin/python bench/quality_multilingual.py [--kb DIR] [--verbose]
"""

from __future__ import annotations

import argparse
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb import KnowledgeBase, load_kb
from kb.cases import ESCALATE, Case, explain, load_cases, run_cases

SETS = {"vi": ROOT / "bench" / "data" / "vi_questions.yaml", "pl": ROOT / "bench" / "data" / "pl_questions.yaml"}
_BASE = {"đ": "d", "Đ": "D", "ł": "l", "Ł": "L"}  # letters NFD does not split into base + mark


def strip_diacritics(text: str) -> str:
    """The question as typed on a keyboard without Vietnamese/Polish layout: 'Zażółć' -> 'Zazolc'."""
    decomposed = unicodedata.normalize("NFD", text)
    kept = "".join(_BASE.get(ch, ch) for ch in decomposed if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", kept)


def measure(kb: KnowledgeBase, cases: list[Case], verbose: bool) -> dict[str, float]:
    """In-scope accuracy, escalation recall, answered precision, wrong-answer rate (as bench/README.md)."""
    outcomes = run_cases(kb, cases)
    in_scope = [o for o in outcomes if o.case.expect != ESCALATE]
    unknown = [o for o in outcomes if o.case.expect == ESCALATE]
    answered = [o for o in outcomes if o.got != ESCALATE]
    correct = sum(1 for o in answered if o.passed)
    if verbose:
        for o in outcomes:
            if not o.passed:
                print(f"    {o.case.question!r}: expected {o.case.expect}, got {o.got} ({explain(kb, o)})")
    return {
        "n": len(outcomes),
        "in_scope_accuracy": correct / max(1, len(in_scope)),
        "escalation_recall": sum(1 for o in unknown if o.passed) / max(1, len(unknown)),
        "answered_precision": correct / max(1, len(answered)),
        "wrong_answer_rate": (len(answered) - correct) / max(1, len(outcomes)),
        "top1_in_scope": sum(1 for o in in_scope if o.result.best and o.result.best.id == o.case.expect)
        / max(1, len(in_scope)),
        # "Did you mean …?": answered right, or the right entry is among the offered choices.
        "with_choices": (correct + sum(1 for o in in_scope if o.got == ESCALATE and o.case.expect in
                                       [c.entry.id for c in o.result.choices])) / max(1, len(in_scope)),
        "unknown_offered": sum(1 for o in unknown if o.result.choices) / max(1, len(unknown)),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--kb", type=Path, default=ROOT / "kb" / "example")
    ap.add_argument("--verbose", action="store_true", help="list every failed question")
    args = ap.parse_args()
    kb = load_kb(args.kb)
    s = kb.settings
    print(f"KB {args.kb}: {len(kb.entries)} entries; thresholds {s.min_score:g}/{s.min_margin:g} ({s.source}: {s.detail})")
    print(f"{'set':<22} {'n':>4}  in-scope acc  escal. recall  precision  wrong   top-1  +choices  unknown offered")
    for lang, path in SETS.items():
        cases = load_cases(path, kb)
        for label, variant in (("as written", cases), ("diacritics removed", [
                Case(c.index, strip_diacritics(c.question), c.expect) for c in cases])):
            m = measure(kb, variant, args.verbose)
            print(f"{lang + ' ' + label:<22} {m['n']:>4}  {m['in_scope_accuracy']:>12.3f}  {m['escalation_recall']:>13.3f}"
                  f"  {m['answered_precision']:>9.3f}  {m['wrong_answer_rate']:.3f}  {m['top1_in_scope']:.3f}"
                  f"  {m['with_choices']:>8.3f}  {m['unknown_offered']:>15.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
