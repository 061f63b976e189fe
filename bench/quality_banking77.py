"""Matcher quality on BANKING77: answer known intents, offer choices, escalate held-out ("unknown") intents.

Run from the repo root:  .venv/bin/python bench/quality_banking77.py [--data DIR] [--seed N] [--no-baseline] [--dev]

KB: 58 intents x 10 phrasings drawn from train; 19 intents held out as unknown. Development split: the other
train texts (every knob of kb/ was chosen on it). Test split: test.csv, reported, never tuned on. Each matcher
is shown with its own automatic bands (no tuning) and with thresholds tuned on dev for precision >= 0.90.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rapidfuzz import fuzz, process, utils  # noqa: E402

from bench.common import Outcome, best_thresholds, metrics, near_copies, row  # noqa: E402
from bench.legacy import LegacyKnowledgeBase  # noqa: E402
from kb import Entry, KnowledgeBase  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "datasets" / "banking77"
PHRASINGS_PER_INTENT = 10
UNKNOWN_FRACTION = 0.25
TARGET_PRECISION = 0.90


def read(path: Path) -> dict[str, list[str]]:
    """category -> texts, in file order."""
    by_cat: dict[str, list[str]] = defaultdict(list)
    with path.open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            by_cat[r["category"]].append(r["text"])
    return by_cat


def split(train: dict[str, list[str]], seed: int) -> tuple[dict[str, list[str]], set[str]]:
    """KB phrasings per known intent, and the held-out unknown intents (both seeded)."""
    rng = random.Random(seed)
    intents = sorted(train)
    unknown = set(rng.sample(intents, round(len(intents) * UNKNOWN_FRACTION)))
    kb = {c: rng.sample(train[c], PHRASINGS_PER_INTENT) for c in intents if c not in unknown}
    return kb, unknown


def eid(category: str) -> str:
    return category.replace("_", "-")


def entries(kb_texts: dict[str, list[str]]) -> dict[str, Entry]:
    return {eid(c): Entry(id=eid(c), department="bank", questions=qs, answer=c, source="banking77")
            for c, qs in kb_texts.items()}


def questions(data: dict[str, list[str]], unknown: set[str], skip: dict[str, list[str]]) -> list[tuple[str, str | None]]:
    """(text, gold entry id or None) for every text not used as a KB phrasing."""
    out = []
    for cat in sorted(data):
        used = set(skip.get(cat, ()))
        for text in data[cat]:
            if text not in used:
                out.append((text, None if cat in unknown else eid(cat)))
    return out


def run(kb, qs: list[tuple[str, str | None]]) -> tuple[list[Outcome], list[float]]:  # type: ignore[no-untyped-def]
    """Outcomes of kb.match (new or legacy KnowledgeBase) and per-question times."""
    outcomes, times = [], []
    window = getattr(kb.settings, "choice_window", None)
    for text, gold in qs:
        t0 = time.perf_counter()
        r = kb.match(text)
        times.append(time.perf_counter() - t0)
        band = "answer" if r.entry is not None else "choices" if r.choices else "escalate"
        # Choices as a threshold sweep would offer them: the close candidates (new: within the window).
        cands = r.candidates[:3]
        offered = tuple(c.entry.id for c in cands if window is None or c.score >= r.best_score - window)
        outcomes.append(Outcome(r.best_score, r.margin, r.best.id if r.best else None, gold, offered, band,
                                tuple(c.entry.id for c in cands)))
    return outcomes, times


def run_baseline(kb_texts: dict[str, list[str]], qs: list[tuple[str, str | None]], scorer) -> list[Outcome]:  # type: ignore[no-untyped-def]
    """Plain rapidfuzz: one scorer against every phrasing; margin over the best other intent; top-3 offered."""
    choices = [(t, eid(c)) for c, ts in kb_texts.items() for t in ts]
    texts = [t for t, _ in choices]
    outcomes = []
    for text, gold in qs:
        hits = process.extract(text, texts, scorer=scorer, processor=utils.default_process, limit=40)
        ids: list[str] = []
        for h in hits:
            if choices[h[2]][1] not in ids:
                ids.append(choices[h[2]][1])
        s1 = hits[0][1] if hits else 0.0
        s2 = next((h[1] for h in hits if choices[h[2]][1] != (ids[0] if ids else None)), 0.0)
        outcomes.append(Outcome(s1, s1 - s2, ids[0] if ids else None, gold, tuple(ids[:3]), "", tuple(ids[:3])))
    return outcomes


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--seed", type=int, default=77)
    ap.add_argument("--no-baseline", action="store_true", help="skip the plain rapidfuzz baselines")
    ap.add_argument("--no-legacy", action="store_true", help="skip today's matcher")
    ap.add_argument("--dev", action="store_true", help="report the development split instead of test")
    args = ap.parse_args()
    train_csv, test_csv = args.data / "train.csv", args.data / "test.csv"
    if not (train_csv.is_file() and test_csv.is_file()):
        print(f"SKIP: BANKING77 not found at {args.data} (need train.csv and test.csv with columns text,category)")
        return 0
    train, test = read(train_csv), read(test_csv)
    kb_texts, unknown = split(train, args.seed)
    dev_qs = questions(train, unknown, kb_texts)
    test_qs = questions(test, unknown, {})
    report_qs, report_name = (dev_qs, "dev") if args.dev else (test_qs, "test")
    n_unknown = sum(1 for _, g in report_qs if g is None)
    copies = near_copies([t for ts in kb_texts.values() for t in ts], [q for q, _ in test_qs])
    print(f"BANKING77 seed {args.seed}: KB {len(kb_texts)} intents x {PHRASINGS_PER_INTENT} phrasings, "
          f"{len(unknown)} unknown intents; dev {len(dev_qs)}, {report_name} {len(report_qs)} "
          f"({len(report_qs) - n_unknown} in scope, {n_unknown} unknown); near-copies KB~test (ratio>=85): "
          f"{len(copies)}")
    matchers = [("helploop (new)", lambda: KnowledgeBase(entries(kb_texts), {}, "bank"))]
    if not args.no_legacy:
        matchers.append(("today's matcher", lambda: LegacyKnowledgeBase(entries(kb_texts), {}, "bank")))
    for name, build in matchers:
        t0 = time.perf_counter()
        kb = build()
        load_s = time.perf_counter() - t0
        s = kb.settings
        extra = f", choices from {s.min_choice_score:g}" if hasattr(s, "min_choice_score") else ""
        print(f"{name}: load+calibrate {load_s:.2f}s; auto thresholds {s.min_score:g}/{s.min_margin:g}{extra} "
              f"({s.source}{': ' + s.detail if s.detail else ''})")
        dev, _ = run(kb, dev_qs)
        tuned = best_thresholds(dev, TARGET_PRECISION)
        out, times = (dev, []) if args.dev else run(kb, test_qs)
        if not times:
            _, times = run(kb, report_qs[:500])
        times.sort()
        print(row(f"{name}, automatic bands", metrics(out)))
        print(row(f"{name}, tuned on dev ({tuned[0]:g}/{tuned[1]:g})", metrics(out, *tuned)))
        print(f"  match time p50 {times[len(times) // 2] * 1e3:.2f} ms, p99 {times[int(len(times) * 0.99)] * 1e3:.2f} ms")
    if not args.no_baseline:
        for name, scorer in (("WRatio", fuzz.WRatio), ("token_set_ratio", fuzz.token_set_ratio)):
            tuned = best_thresholds(run_baseline(kb_texts, dev_qs, scorer), TARGET_PRECISION)
            out = run_baseline(kb_texts, report_qs, scorer)
            print(row(f"rapidfuzz {name}, tuned on dev ({tuned[0]:g}/{tuned[1]:g})", metrics(out, *tuned)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
