"""Matcher speed and memory on synthetic KBs (500 / 5,000 / 50,000 phrasings).

Run from the repo root:  .venv/bin/python bench/speed.py [--sizes 50,500,5000] [--queries 2000]
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

from rapidfuzz import fuzz, process, utils  # noqa: E402

from kb import Entry, KnowledgeBase  # noqa: E402

PHRASINGS = 10
COMMON = ("how do i my the a to is can what where please need help with for on not it".split())
SYLLABLES = "ka lo mi re su ta ne po vi da xe zu fo gi hu ja qui bro ten ser mar lin dor vel".split()


def make_words(rng: random.Random, n: int) -> list[str]:
    words: set[str] = set()
    while len(words) < n:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def make_kb(n_entries: int, seed: int = 0) -> list[Entry]:
    """Entries with a few topic words each, phrased 10 ways with shared filler and shared vocabulary."""
    rng = random.Random(seed)
    vocab = make_words(rng, max(2000, n_entries * 4))
    entries = []
    for i in range(n_entries):
        topic = rng.sample(vocab, 4)
        qs = []
        for _ in range(PHRASINGS):
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


def bench(n_entries: int, n_queries: int) -> None:
    entries = make_kb(n_entries)
    by_id = {e.id: e for e in entries}
    queries = make_queries(entries, n_queries)
    gc.collect()
    rss0 = rss_kb()
    t0 = time.perf_counter()
    kb = KnowledgeBase(by_id, {}, "it")
    load_s = time.perf_counter() - t0
    rss_delta_mb = (rss_kb() - rss0) / 1024
    s = kb.settings

    # tracemalloc in a second build: it slows allocation, so it must not share the timing run.
    del kb
    gc.collect()
    tracemalloc.start()
    kb = KnowledgeBase(by_id, {}, "it")
    traced_mb = tracemalloc.get_traced_memory()[0] / 2**20
    tracemalloc.stop()

    for q in queries[:50]:  # warm the per-token expansion cache the way a running bot would
        kb.match(q)
    times = []
    for q in queries:
        t = time.perf_counter()
        kb.match(q)
        times.append(time.perf_counter() - t)

    phrasings = [q for e in entries for q in e.questions]
    base = []
    for q in queries[: min(len(queries), 300)]:
        t = time.perf_counter()
        process.extractOne(q, phrasings, scorer=fuzz.WRatio, processor=utils.default_process)
        base.append(time.perf_counter() - t)

    p50, p99 = statistics.median(times) * 1e3, pct(times, 0.99) * 1e3
    b50 = statistics.median(base) * 1e3
    print(f"{n_entries:>6} entries x {PHRASINGS} = {len(phrasings):>6} phrasings | load+index+calibrate {load_s:6.2f} s | "
          f"match p50 {p50:6.2f} ms p99 {p99:6.2f} ms | memory: traced {traced_mb:6.1f} MB, RSS delta {rss_delta_mb:6.1f} MB | "
          f"extractOne p50 {b50:6.2f} ms (ours/extractOne {p50 / b50:4.2f}x) | thresholds {s.min_score:g}/{s.min_margin:g} {s.source}",
          flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="50,500,5000", help="entry counts (x10 phrasings each)")
    ap.add_argument("--queries", type=int, default=2000)
    args = ap.parse_args()
    for n in (int(x) for x in args.sizes.split(",")):
        bench(n, args.queries)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
