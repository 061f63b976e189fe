"""Matcher quality on the Polish and Vietnamese question sets over the example KB, with and without diacritics.

Run from the repo root:  .venv/bin/python bench/quality_multilingual.py [--kb DIR] [--split dev|test] [--verbose]

Sets: bench/data/{pl,vi}_{dev,test}.yaml. Every knob was chosen on the dev split; the test split is reported.
Matchers, same run: helploop (kb/, the KB's own calibrated bands), today's matcher (bench/legacy, with the
thresholds the example KB shipped with, 40/8), plain rapidfuzz WRatio (thresholds tuned on the dev split).
"""

from __future__ import annotations

import argparse
import sys
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rapidfuzz import fuzz, process, utils  # noqa: E402

from bench.common import Outcome, best_thresholds, metrics, near_copies, row  # noqa: E402
from bench.legacy import LegacyKnowledgeBase  # noqa: E402
from kb import KnowledgeBase, load_kb  # noqa: E402
from kb.cases import ESCALATE, Case, load_cases  # noqa: E402
from kb.schema import MatchingOverride  # noqa: E402

DATA = ROOT / "bench" / "data"
LEGACY_THRESHOLDS = MatchingOverride(min_score=40, min_margin=8)  # kb/example/departments.yaml before issue 9
_BASE = {"đ": "d", "Đ": "D", "ł": "l", "Ł": "L"}  # letters NFD does not split into base + mark


def strip_diacritics(text: str) -> str:
    """The question as typed on a keyboard without Vietnamese/Polish layout: 'Zażółć' -> 'Zazolc'."""
    decomposed = unicodedata.normalize("NFD", text)
    kept = "".join(_BASE.get(ch, ch) for ch in decomposed if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", kept)


def run(kb, cases: list[Case], verbose: bool = False) -> list[Outcome]:  # type: ignore[no-untyped-def]
    out = []
    window = getattr(kb.settings, "choice_window", None)
    for c in cases:
        r = kb.match(c.question)
        band = "answer" if r.entry is not None else "choices" if r.choices else "escalate"
        cands = r.candidates[:3]
        offered = tuple(x.entry.id for x in cands if window is None or x.score >= r.best_score - window)
        gold = None if c.expect == ESCALATE else c.expect
        o = Outcome(r.best_score, r.margin, r.best.id if r.best else None, gold, offered, band,
                    tuple(x.entry.id for x in cands))
        if verbose and (o.band != "answer" and gold is not None or o.band == "answer" and o.best != gold):
            print(f"    {c.question!r}: expected {c.expect}, {band} {o.best} {o.score:.1f} lead {o.margin:.1f}"
                  f" choices {list(r.choices and [x.entry.id for x in r.choices])}")
        out.append(o)
    return out


def run_baseline(kb: KnowledgeBase, cases: list[Case]) -> list[Outcome]:
    texts = [(q, e.id) for e in kb.entries.values() for q in e.questions]
    plain = [t for t, _ in texts]
    out = []
    for c in cases:
        hits = process.extract(c.question, plain, scorer=fuzz.WRatio, processor=utils.default_process, limit=40)
        ids: list[str] = []
        for h in hits:
            if texts[h[2]][1] not in ids:
                ids.append(texts[h[2]][1])
        s1 = hits[0][1] if hits else 0.0
        s2 = next((h[1] for h in hits if texts[h[2]][1] != ids[0]), 0.0) if ids else 0.0
        gold = None if c.expect == ESCALATE else c.expect
        out.append(Outcome(s1, s1 - s2, ids[0] if ids else None, gold, tuple(ids[:3]), "", tuple(ids[:3])))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--kb", type=Path, default=ROOT / "kb" / "example")
    ap.add_argument("--split", choices=("dev", "test"), default="test")
    ap.add_argument("--verbose", action="store_true", help="list every question not answered right (new matcher)")
    ap.add_argument("--no-legacy", action="store_true")
    args = ap.parse_args()
    t0 = time.perf_counter()
    kb = load_kb(args.kb)
    load_s = time.perf_counter() - t0
    legacy = LegacyKnowledgeBase(kb.entries, kb.departments, kb.default_department, override=LEGACY_THRESHOLDS)
    auto = KnowledgeBase(kb.entries, kb.departments, kb.default_department)  # no `matching:`: calibrated bands
    print(f"KB {args.kb}: {len(kb.entries)} entries, load {load_s:.2f}s; shipped: {kb.settings.describe()}")
    print(f"  automatic: {auto.settings.describe()}")
    kb_texts = [q for e in kb.entries.values() for q in e.questions]
    for lang in ("pl", "vi"):
        dev = load_cases(DATA / f"{lang}_dev.yaml", kb)
        cases = load_cases(DATA / f"{lang}_{args.split}.yaml", kb)
        copies = near_copies(kb_texts, [c.question for c in cases])
        n_esc = sum(1 for c in cases if c.expect == ESCALATE)
        print(f"{lang} {args.split}: {len(cases)} questions ({len(cases) - n_esc} in scope, {n_esc} unknown); "
              f"near-copies of KB phrasings (ratio>=85): {len(copies)}")
        base_thr = best_thresholds(run_baseline(kb, dev), 0.90)
        for label, variant, dev_variant in (
                ("as written", cases, dev),
                ("diacritics removed", [Case(c.index, strip_diacritics(c.question), c.expect) for c in cases],
                 [Case(c.index, strip_diacritics(c.question), c.expect) for c in dev])):
            print(row(f"{lang} {label}: helploop (new), KB's matching: 35/7", metrics(run(kb, variant, args.verbose)), 56))
            print(row(f"{lang} {label}: helploop (new), automatic bands", metrics(run(auto, variant)), 56))
            if not args.no_legacy:
                print(row(f"{lang} {label}: today's matcher (40/8)", metrics(run(legacy, variant)), 56))
            print(row(f"{lang} {label}: rapidfuzz WRatio, tuned on dev ({base_thr[0]:g}/{base_thr[1]:g})",
                      metrics(run_baseline(kb, variant), *base_thr), 56))
            del dev_variant
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
