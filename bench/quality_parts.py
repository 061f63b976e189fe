"""Several questions in one message over the example KB: answered per question or escalated, never one part only.

Run from the repo root:  .venv/bin/python bench/quality_parts.py [--split dev|test] [--seed N] [--verbose]

Messages are built from the question sets (bench/data/{pl,vi}_{split}.yaml; for English the example KB's own
regression cases, kb/example/cases.yaml, which are a dev set): two in-scope questions about different entries
joined the way people join them ("and", "i", "oraz", "a także", "và", "và cả", ";", "?", a line break), and an
in-scope question joined with an out-of-scope one. Single questions are run too, to show what splitting costs
them. Outcomes: per part (every part answered with its own entry), one part only (the message answered with a
single entry: the failure this guards against), choices, escalated.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb import KnowledgeBase, load_kb  # noqa: E402
from kb.cases import ESCALATE, Case, load_cases  # noqa: E402
from kb.parts import GENERIC, content_words  # noqa: E402

DATA = ROOT / "bench" / "data"
JOINERS = {
    "en": [" and ", " and also ", "; ", "? ", ". Also ", "\n"],
    "pl": [" i ", " oraz ", " a także ", "; ", "? ", "\n"],
    "vi": [" và ", " và cả ", "; ", "? ", ". Ngoài ra ", "\n"],
}


def join(rng: random.Random, lang: str, a: str, b: str) -> str:
    """Two questions as one message."""
    joiner = rng.choice(JOINERS[lang])
    if joiner.strip() in ("?", ";") or joiner.startswith((".", "\n")):
        a = a.rstrip(" ?.!;")
    else:
        a = a.rstrip(" ?.!;")
        b = b[:1].lower() + b[1:]
    return a + joiner + b


def outcome(kb: KnowledgeBase, text: str, golds: list[str | None]) -> str:
    """'per part' / 'one part only' / 'choices' / 'escalated' ('wrong parts': answered per part, not these)."""
    r = kb.match(text)
    if r.entry is not None:
        return "one part only" if len(golds) > 1 else ("right" if r.entry.id == golds[0] else "wrong")
    if r.answer_parts:
        got = sorted(p.entry.id for p in r.parts if p.entry is not None)
        return "per part" if got == sorted(g for g in golds if g) and None not in golds else "wrong parts"
    return "choices" if r.choices else "escalated"


def cases_of(kb: KnowledgeBase, lang: str, split: str) -> list[Case]:
    if lang == "en":
        every = load_cases(ROOT / "kb" / "example" / "cases.yaml", kb)
        return [c for c in every if c.language is None and c.question.isascii()]
    return load_cases(DATA / f"{lang}_{split}.yaml", kb)


def messages(cases: list[Case], lang: str, rng: random.Random, n: int) -> tuple[list[tuple[str, list]], list]:
    """(two known questions, one known + one unknown) messages with their gold entry ids."""
    known = [c for c in cases if c.expect != ESCALATE]
    # Out-of-scope questions that name a subject ("I want a raise"), not vague ones ("it doesn't work", "help"):
    # joined to another question, a vague one is context for it.
    unknown = [c for c in cases if c.expect == ESCALATE and [w for w in content_words(c.question) if w not in GENERIC]]
    pairs, mixed = [], []
    for _ in range(n):
        a, b = rng.sample(known, 2)
        if a.expect != b.expect:
            pairs.append((join(rng, lang, a.question, b.question), [a.expect, b.expect]))
        if unknown:
            u = rng.choice(unknown)
            first, second = (a, u) if rng.random() < 0.5 else (u, a)
            gold = [first.expect if first is a else None, second.expect if second is a else None]
            mixed.append((join(rng, lang, first.question, second.question), gold))
    return pairs, mixed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--split", choices=("dev", "test"), default="test")
    ap.add_argument("--seed", type=int, default=9)
    ap.add_argument("--n", type=int, default=300, help="messages of each kind per language")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    kb = load_kb(ROOT / "kb" / "example")
    print(f"example KB, shipped bands: {kb.settings.describe()}")
    for lang in ("en", "pl", "vi"):
        cases = cases_of(kb, lang, args.split)
        rng = random.Random(args.seed)
        pairs, mixed = messages(cases, lang, rng, args.n)
        singles = [(c.question, [c.expect]) for c in cases if c.expect != ESCALATE]
        split = "dev (kb/example/cases.yaml)" if lang == "en" else args.split
        for label, batch in (("two known questions", pairs), ("known + unknown question", mixed),
                             ("single in-scope question", singles)):
            counts = Counter(outcome(kb, text, golds) for text, golds in batch)
            total = max(1, len(batch))
            shares = "  ".join(f"{k} {v / total:.3f}" for k, v in sorted(counts.items()))
            print(f"  {lang} {split:<8} {label:<26} n={len(batch):<4} {shares}")
            if args.verbose:
                for text, golds in batch:
                    got = outcome(kb, text, golds)
                    if got in ("one part only", "wrong parts", "wrong"):
                        print(f"      {got}: {text!r} expected {golds}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
