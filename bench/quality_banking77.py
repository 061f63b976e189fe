"""Matcher quality on BANKING77: answer known intents, escalate held-out ("unknown") intents.

Run from the repo root:  .venv/bin/python bench/quality_banking77.py [--data DIR] [--seed N]
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rapidfuzz import fuzz, process, utils  # noqa: E402

from kb import Entry, KnowledgeBase  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "datasets" / "banking77"
PHRASINGS_PER_INTENT = 10
UNKNOWN_FRACTION = 0.25
TARGET_PRECISION = 0.90


@dataclass(frozen=True)
class Outcome:
    """Top score, margin over the next entry, best entry id, and the right id (None = unknown)."""

    score: float
    margin: float
    best: str | None
    gold: str | None


def read(path: Path) -> dict[str, list[str]]:
    """category -> texts, in file order."""
    by_cat: dict[str, list[str]] = defaultdict(list)
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            by_cat[row["category"]].append(row["text"])
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


def build_kb(kb_texts: dict[str, list[str]]) -> KnowledgeBase:
    entries = {eid(c): Entry(id=eid(c), department="bank", questions=qs, answer=c, source="banking77")
               for c, qs in kb_texts.items()}
    return KnowledgeBase(entries, {}, "bank")


def questions(data: dict[str, list[str]], unknown: set[str], skip: dict[str, list[str]]) -> list[tuple[str, str | None]]:
    """(text, gold entry id or None) for every text not used as a KB phrasing."""
    out = []
    for cat in sorted(data):
        used = set(skip.get(cat, ()))
        for text in data[cat]:
            if text not in used:
                out.append((text, None if cat in unknown else eid(cat)))
    return out


def run_kb(kb: KnowledgeBase, qs: list[tuple[str, str | None]]) -> tuple[list[Outcome], list[float]]:
    outcomes, times = [], []
    for text, gold in qs:
        t0 = time.perf_counter()
        r = kb.match(text)
        times.append(time.perf_counter() - t0)
        outcomes.append(Outcome(r.best_score, r.margin, r.best.id if r.best else None, gold))
    return outcomes, times


def run_baseline(kb_texts: dict[str, list[str]], qs: list[tuple[str, str | None]], scorer=fuzz.WRatio) -> list[Outcome]:
    """Plain rapidfuzz: one scorer against every phrasing; margin over the best other intent."""
    choices = [(t, eid(c)) for c, ts in kb_texts.items() for t in ts]
    texts = [t for t, _ in choices]
    outcomes = []
    for text, gold in qs:
        hits = process.extract(text, texts, scorer=scorer, processor=utils.default_process, limit=40)
        best_id = choices[hits[0][2]][1] if hits else None
        s1 = hits[0][1] if hits else 0.0
        s2 = next((h[1] for h in hits if choices[h[2]][1] != best_id), 0.0)
        outcomes.append(Outcome(s1, s1 - s2, best_id, gold))
    return outcomes


def metrics(outcomes: list[Outcome], min_score: float, min_margin: float) -> dict[str, float]:
    in_scope = [o for o in outcomes if o.gold is not None]
    unknown = [o for o in outcomes if o.gold is None]
    answered = [o for o in outcomes if o.best is not None and o.score >= min_score and o.margin >= min_margin]
    correct = sum(1 for o in answered if o.best == o.gold)
    escalated_unknown = len(unknown) - sum(1 for o in answered if o.gold is None)
    return {
        "in_scope_accuracy": correct / max(1, len(in_scope)),
        "escalation_recall": escalated_unknown / max(1, len(unknown)),
        "answered_precision": correct / max(1, len(answered)),
        "wrong_answer_rate": (len(answered) - correct) / max(1, len(outcomes)),
        "answered_share": len(answered) / max(1, len(outcomes)),
        "top1_in_scope": sum(1 for o in in_scope if o.best == o.gold) / max(1, len(in_scope)),
    }


def best_thresholds(outcomes: list[Outcome], target: float) -> tuple[float, float]:
    """Thresholds with the most correct answers at answered precision >= target (101/101 if none)."""
    best = (-1.0, 101.0, 101.0)
    for margin in [x * 0.5 for x in range(0, 61)]:
        for score in range(20, 101):
            m = metrics(outcomes, score, margin)
            if m["answered_precision"] >= target and m["in_scope_accuracy"] > best[0]:
                best = (m["in_scope_accuracy"], float(score), margin)
    return best[1], best[2]


def show(label: str, m: dict[str, float], extra: str = "") -> None:
    if m["answered_share"] == 0:
        print(f"  {label:<44} no threshold reaches precision {TARGET_PRECISION} on train: answers nothing  "
              f"top-1 {m['top1_in_scope']:.3f}")
        return
    print(f"  {label:<44} in-scope acc {m['in_scope_accuracy']:.3f}  escal. recall {m['escalation_recall']:.3f}  "
          f"precision {m['answered_precision']:.3f}  wrong {m['wrong_answer_rate']:.3f}  "
          f"top-1 {m['top1_in_scope']:.3f}{extra}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--seed", type=int, default=77)
    ap.add_argument("--no-baseline", action="store_true")
    args = ap.parse_args()
    train_csv, test_csv = args.data / "train.csv", args.data / "test.csv"
    if not (train_csv.is_file() and test_csv.is_file()):
        print(f"SKIP: BANKING77 not found at {args.data} (need train.csv and test.csv with columns text,category)")
        return 0
    train, test = read(train_csv), read(test_csv)
    kb_texts, unknown = split(train, args.seed)
    t0 = time.perf_counter()
    kb = build_kb(kb_texts)
    load_s = time.perf_counter() - t0
    dev_qs = questions(train, unknown, kb_texts)  # train texts not in the KB: the tuning set
    test_qs = questions(test, unknown, {})
    n_unknown_test = sum(1 for _, g in test_qs if g is None)
    print(f"BANKING77 seed {args.seed}: KB {len(kb.entries)} intents x {PHRASINGS_PER_INTENT} phrasings, "
          f"{len(unknown)} unknown intents; dev (train) {len(dev_qs)} questions, "
          f"test {len(test_qs)} ({len(test_qs) - n_unknown_test} in scope, {n_unknown_test} unknown); "
          f"load+calibrate {load_s:.2f}s")
    s = kb.settings
    print(f"calibrated at load: min_score {s.min_score:g}, min_margin {s.min_margin:g} ({s.source}: {s.detail})")

    dev, _ = run_kb(kb, dev_qs)
    tuned = best_thresholds(dev, TARGET_PRECISION)
    test_out, times = run_kb(kb, test_qs)
    times.sort()
    print("helploop matcher (test split):")
    show("auto-calibrated thresholds", metrics(test_out, s.min_score, s.min_margin))
    show(f"tuned on train for precision>={TARGET_PRECISION} ({tuned[0]:g}/{tuned[1]:g})",
         metrics(test_out, *tuned))
    print(f"  match time p50 {times[len(times) // 2] * 1e3:.2f} ms, p99 {times[int(len(times) * 0.99)] * 1e3:.2f} ms")
    if not args.no_baseline:
        print("baseline: rapidfuzz process.extract over all phrasings (test split):")
        for name, scorer in (("WRatio", fuzz.WRatio), ("token_set_ratio", fuzz.token_set_ratio)):
            base_tuned = best_thresholds(run_baseline(kb_texts, dev_qs, scorer), TARGET_PRECISION)
            show(f"{name}, tuned on train ({base_tuned[0]:g}/{base_tuned[1]:g})",
                 metrics(run_baseline(kb_texts, test_qs, scorer), *base_tuned))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
