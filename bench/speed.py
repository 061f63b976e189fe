"""Matcher speed and memory on synthetic KBs of several shapes, new matcher and today's side by side.

Run from the repo root:  .venv/bin/python bench/speed.py [--shapes uniform5000x10,uniform50x1000,skewed,big100k]
                                                         [--queries 2000] [--no-legacy]

Shapes (issue 9): 5,000 entries x 10 phrasings; 50 x 1,000; 10 entries, one of them with 5,000 phrasings
(the others 10); 10,000 x 10 = 100,000 phrasings (load only). Also `kb check`'s analysis at 5,000 x 10.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
if "--kb-root" in sys.argv:  # measure the kb/ package of another tree (e.g. a copy of the previous round)
    sys.path.insert(0, sys.argv[sys.argv.index("--kb-root") + 1])

from rapidfuzz import fuzz, process, utils  # noqa: E402

from bench.legacy import LegacyKnowledgeBase  # noqa: E402
from kb import Entry, KnowledgeBase  # noqa: E402
from kb.lint import report  # noqa: E402

PHRASINGS = 10
COMMON = ("how do i my the a to is can what where please need help with for on not it".split())
SYLLABLES = "ka lo mi re su ta ne po vi da xe zu fo gi hu ja qui bro ten ser mar lin dor vel".split()


def make_words(rng: random.Random, n: int) -> list[str]:
    words: set[str] = set()
    while len(words) < n:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def make_kb(n_entries: int, seed: int = 0, phrasings: int | list[int] = PHRASINGS) -> list[Entry]:
    """Entries with a few topic words each, phrased `phrasings` ways with shared filler and shared vocabulary."""
    rng = random.Random(seed)
    vocab = make_words(rng, max(2000, n_entries * 4))
    entries = []
    for i in range(n_entries):
        topic = rng.sample(vocab, 4)
        qs = []
        for _ in range(phrasings[i] if isinstance(phrasings, list) else phrasings):
            words = rng.sample(topic, rng.randint(2, 4)) + rng.sample(COMMON, rng.randint(2, 5))
            # Zipf-ish shared words so posting lists have realistic skew.
            words += [vocab[min(len(vocab) - 1, int(rng.paretovariate(1.2)) - 1)] for _ in range(rng.randint(0, 2))]
            rng.shuffle(words)
            qs.append(" ".join(words))
        entries.append(Entry(id=f"e{i}", department="it", questions=qs, answer="x", source="synthetic"))
    return entries


def make_queries(entries: list[Entry], n: int, seed: int = 1) -> list[str]:
    """Perturbed phrasings (typo, dropped and extra words, shuffled) plus unrelated noise."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        if rng.random() < 0.2:
            out.append(" ".join(rng.choice(COMMON + ["zzyx", "qwerty", "bloop"]) for _ in range(rng.randint(2, 8))))
            continue
        words = rng.choice(rng.choice(entries).questions).split()
        if len(words) > 2:
            words.pop(rng.randrange(len(words)))
        w = rng.randrange(len(words))
        if len(words[w]) > 4:
            k = rng.randrange(len(words[w]) - 1)
            words[w] = words[w][:k] + words[w][k + 1] + words[w][k] + words[w][k + 2 :]  # swap two letters
        words.append(rng.choice(COMMON))
        rng.shuffle(words)
        out.append(" ".join(words))
    return out


def rss_kb() -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


SHAPES = {
    "uniform5000x10": (5000, PHRASINGS),
    "uniform50x1000": (50, 1000),
    "skewed": (10, [5000] + [10] * 9),
    "big100k": (10000, PHRASINGS),
}


def bench(shape: str, n_queries: int, legacy: bool) -> None:
    n_entries, phrasings = SHAPES[shape]
    entries = make_kb(n_entries, phrasings=phrasings)
    by_id = {e.id: e for e in entries}
    n_phr = sum(len(e.questions) for e in entries)
    queries = make_queries(entries, n_queries)
    kinds = [("new", KnowledgeBase)] + ([("today", LegacyKnowledgeBase)] if legacy else [])
    for name, cls in kinds:
        gc.collect()
        rss0 = rss_kb()
        t0, c0 = time.perf_counter(), time.process_time()
        kb = cls(by_id, {}, "it")
        load_s, load_cpu = time.perf_counter() - t0, time.process_time() - c0
        rss_delta_mb = (rss_kb() - rss0) / 1024
        s = kb.settings
        if shape == "big100k":
            print(f"{shape:<15} {name:<5} {n_phr:>7} phrasings | load+index+calibrate {load_s:6.2f} s (CPU {load_cpu:5.2f} s)"
                  f" | RSS delta {rss_delta_mb:6.1f} MB", flush=True)
            del kb
            continue
        del kb
        gc.collect()
        tracemalloc.start()
        kb = cls(by_id, {}, "it")
        traced_mb = tracemalloc.get_traced_memory()[1] / 2**20  # peak, including calibration
        tracemalloc.stop()
        qs = queries if name == "new" else queries[:300]
        for q in qs[:50]:  # warm the per-token expansion cache the way a running bot would
            kb.match(q)
        times, cpu = [], []
        for q in qs:
            t, c = time.perf_counter(), time.process_time()
            kb.match(q)
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
        check = ""
        if shape == "uniform5000x10" and name == "new":
            t = time.perf_counter()
            rep = report(kb)
            check = f" | kb check analysis {time.perf_counter() - t:5.2f} s ({rep.checked} phrasings, {len(rep.findings)} findings)"
        print(f"{shape:<15} {name:<5} {n_phr:>7} phrasings | load+index+calibrate {load_s:6.2f} s (CPU {load_cpu:5.2f} s)"
              f" | match p50 "
              f"{statistics.median(times) * 1e3:6.2f} ms p99 {pct(times, 0.99) * 1e3:6.2f} ms (CPU p99 "
              f"{pct(cpu, 0.99) * 1e3:6.2f} ms) | memory: traced peak {traced_mb:6.1f} MB, RSS delta {rss_delta_mb:6.1f} MB"
              f" | thresholds {s.min_score:g}/{s.min_margin:g} {s.source}{check}", flush=True)
        del kb
    if shape != "big100k":
        phr = [q for e in entries for q in e.questions]
        base = []
        for q in queries[: min(len(queries), 200)]:
            t = time.perf_counter()
            process.extractOne(q, phr, scorer=fuzz.WRatio, processor=utils.default_process)
            base.append(time.perf_counter() - t)
        print(f"{shape:<15} rapidfuzz extractOne(WRatio) over all phrasings: p50 {statistics.median(base) * 1e3:6.2f} ms "
              f"p99 {pct(base, 0.99) * 1e3:6.2f} ms", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shapes", default=",".join(SHAPES))
    ap.add_argument("--queries", type=int, default=2000)
    ap.add_argument("--no-legacy", action="store_true", help="skip today's matcher")
    ap.add_argument("--kb-root", help="a tree whose kb/ package is measured instead of this one's")
    args = ap.parse_args()
    import kb

    print(f"kb package: {Path(kb.__file__).parent}", flush=True)
    for shape in args.shapes.split(","):
        bench(shape, args.queries, not args.no_legacy)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
