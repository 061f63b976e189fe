"""Does a confidence model separate right from wrong answers better than the two thresholds? (issue 9, round 6)

Run from the repo root:  .venv/bin/python bench/confidence.py [--split dev|test] [--sets bank,pl,vi]

For BANKING77 (seed 77, the KB of bench/quality_banking77.py) and the Polish/Vietnamese sets over kb/example
(without its `matching:`), every question is scored by kb/'s Index and described by features of its match: top
score, margin, each signal's score / lead / rank of the top entry (word coverage, centroid cosine, character
n-gram cosine), signal agreement, question length and known words, phrasings of the top entry, keyword hit,
share of the question's weight the top entry never uses. Decisions compared on the same questions:

- pair: today's rule, answer when score >= min_score and margin >= min_margin (the KB's own calibration);
- LR: a logistic regression (numpy, Newton) fitted on the KB's roughened leave-one-out trials (seed 0, as
  kb/calibrate.py makes them), probability cut where held-out trials (seed 1) reach precision 0.90;
  "centroid left out" recomputes the trial entry's centroid without the left-out phrasing;
- upper bound: the same LR fitted on the questions themselves (2-fold), not deployable, shows what the
  features could give at best (its "answered" is at probability 0.5, only its "sep" columns matter).
Top-1 is also given reranked by reciprocal-rank fusion of the total's and the three signals' rankings.

"sep" columns: the most in-scope questions answered right over every cut of the method's confidence with
wrong answers <= 5 % of all questions / with precision >= 0.90 (the cut chosen on the reported questions:
a measure of separation, not a deployable figure). Multi-question splitting (kb/parts.py) is not applied here,
so "pair" answers slightly more than bench/quality_banking77.py reports.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import quality_banking77 as b77  # noqa: E402
from kb import KnowledgeBase, calibrate, load_kb  # noqa: E402
from kb import matcher as m  # noqa: E402
from kb.cases import ESCALATE, load_cases  # noqa: E402

SIGNALS = ("lex", "cent", "ng")
PAIR = ["s1", "margin"]
RRF_K = 60  # reciprocal-rank fusion of the total and the three signals' rankings
ALL = PAIR + [f"{s}{k}" for s in SIGNALS for k in ("", "_lead", "_top", "_rank")] + [
    "agree", "words", "known", "known_share", "phrasings", "keyword", "unexplained", "unknown_words"]


def signals(idx: m.Index, q: m.Query, exclude_entry: int = -1, drop: np.ndarray | None = None,
            adjust: bool = False) -> list[np.ndarray]:
    """Per entry: total score, word coverage, centroid cosine x100, n-gram cosine x100 (as Index.score)."""
    lex, lex_rows = idx.lexical(q)
    ngram, ngram_rows = idx.ngrams.cosines(q.folded)
    if drop is not None:
        lex[drop] = 0.0
        ngram[drop] = 0.0
    cent = 100.0 * idx.centroid_cosines(q, (int(idx.entry_of[drop[0]]), drop) if adjust and drop is not None else None)
    lex_e, ng_e = idx._entry_max(lex, lex_rows), 100.0 * idx._entry_max(ngram, ngram_rows)
    total = m.W_LEX * lex_e + m.W_CENTROID * cent + m.W_NGRAM * ng_e
    hit = np.zeros(len(total))
    hit[idx._keyword_hits(q)] = 1.0
    total += m.KEYWORD_BONUS * hit
    out = [np.minimum(total, 100.0), lex_e, cent, ng_e, hit]
    if exclude_entry >= 0:
        for a in out[:4]:
            a[exclude_entry] = -1.0
    return out


def _lead(a: np.ndarray, e: int) -> float:
    rest = np.delete(a, e)
    return float(a[e] - max(0.0, rest.max())) if len(rest) else float(a[e])


def features(idx: m.Index, q: m.Query, arrays: list[np.ndarray], drop: np.ndarray | None = None):  # type: ignore[no-untyped-def]
    """(top entry, feature dict) of one scored question."""
    total, *sig, hit = arrays
    top = int(np.argmax(total))
    f = {"s1": float(total[top]), "margin": _lead(total, top), "keyword": float(hit[top])}
    for name, a in zip(SIGNALS, sig, strict=True):
        rank = int((a > a[top]).sum())
        f |= {name: float(a[top]), f"{name}_lead": _lead(a, top), f"{name}_top": float(rank == 0),
              f"{name}_rank": math.log1p(rank)}
    f["agree"] = sum(f[f"{s}_top"] for s in SIGNALS)
    known = sum(1 for t in q.tokens if t.matches)
    f |= {"words": math.log1p(len(q.folded.split())), "known": math.log1p(known),
          "known_share": known / max(1, len(q.tokens)), "phrasings": math.log1p(idx.ends[top] - idx.starts[top])}
    # Share of the question's weight on words the top entry never uses (its left-out phrasings excluded).
    skip = set() if drop is None else set(drop.tolist())
    own = {t for pi in range(idx.starts[top], idx.ends[top]) if pi not in skip
           for t in idx.pt_terms[idx.pt_indptr[pi]: idx.pt_indptr[pi + 1]].tolist()}
    own |= {t for e, t in idx._kw_pairs if e == top}
    weight = sum(t.weight for t in q.tokens) or 1.0
    f["unexplained"] = sum(t.weight for t in q.tokens
                           if t.matches and not any(idx.term_id[w] in own for w, _ in t.matches)) / weight
    f["unknown_words"] = sum(t.weight for t in q.tokens if not t.matches) / weight
    return top, f


def trial_rows(idx: m.Index, seed: int, adjust: bool) -> list[tuple[dict, bool, float]]:
    """(features, answered right, weight) of kb/calibrate.py's trials (same sampling and roughening)."""
    rng = random.Random(seed)
    n = calibrate.trials(len(idx.phrasings))
    folded = calibrate._Folded(idx)
    eligible = [pi for pi, p in enumerate(idx.phrasings) if len(idx.entry_phrasings[p.entry]) >= 2]
    in_scope = rng.sample(eligible, min(n, len(eligible)))
    out_scope = rng.sample(range(len(idx.phrasings)), min(n, len(idx.phrasings)))
    rows: list[tuple[dict, bool, float]] = []
    for pi in in_scope:
        p = idx.phrasings[pi]
        drop = calibrate.near_copies(idx, pi, folded)
        if len(drop) >= len(idx.entry_phrasings[p.entry]):
            continue
        q = idx.query(calibrate.roughen(p.text, rng))
        arrays = signals(idx, q, drop=drop, adjust=adjust)
        if q.tokens and arrays[0].max() > 0:
            top, f = features(idx, q, arrays, drop)
            rows.append((f, top == p.entry, 1.0))
    n_pos = len(rows)
    negatives = []
    for pi in out_scope:
        p = idx.phrasings[pi]
        q = idx.query(calibrate.roughen(p.text, rng))
        arrays = signals(idx, q, exclude_entry=p.entry)
        if q.tokens and arrays[0].max() > 0:
            negatives.append(features(idx, q, arrays)[1])
    w = calibrate.OUT_OF_SCOPE_WEIGHT * max(1, n_pos) / max(1, len(negatives))
    return rows + [(f, False, w) for f in negatives]


def question_rows(idx: m.Index, qs: list[tuple[str, str | None]]) -> list[tuple[dict | None, int | None, int]]:
    """(features or None when nothing scores, gold entry number or None, top entry number) per question."""
    number = {e.id: i for i, e in enumerate(idx.entries)}
    out: list[tuple[dict | None, int | None, int]] = []
    for text, gold in qs:
        g = None if gold is None else number[gold]
        q = idx.query(text)
        arrays = signals(idx, q) if q.tokens else None
        if arrays is None or arrays[0].max() <= 0:
            out.append((None, g, -1))
            continue
        top, f = features(idx, q, arrays)
        f["rrf_top"] = int(np.argmax(sum(1.0 / (RRF_K + np.argsort(np.argsort(-a, kind="stable"))) for a in arrays[:4])))
        out.append((f, g, top))
    return out


def fit(x: np.ndarray, y: np.ndarray, w: np.ndarray, l2: float = 1.0):  # type: ignore[no-untyped-def]
    """L2-regularised logistic regression by Newton steps; returns predict(x) -> probabilities."""
    mu, sd = x.mean(0), x.std(0) + 1e-9
    z = np.c_[(x - mu) / sd, np.ones(len(x))]
    beta = np.zeros(z.shape[1])
    ridge = l2 * np.diag(np.r_[np.ones(z.shape[1] - 1), 0.0])
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-z @ beta))
        step = np.linalg.solve((z * (w * p * (1 - p))[:, None]).T @ z + ridge, z.T @ (w * (p - y)) + ridge @ beta)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return lambda x2: 1.0 / (1.0 + np.exp(-(np.c_[(x2 - mu) / sd, np.ones(len(x2))] @ beta)))


def cut_at(p: np.ndarray, y: np.ndarray, w: np.ndarray, target: float = 0.90) -> float:
    """Lowest probability at which the held-out trials above it keep precision >= target."""
    order = np.argsort(-p)
    tp, fp = np.cumsum((w * y)[order]), np.cumsum((w * ~y)[order])
    ok = np.flatnonzero(tp / (tp + fp) >= target)
    return float(p[order][ok.max()]) if len(ok) else 1.01


def separation(conf: np.ndarray, right: np.ndarray, n_in: int, n_all: int) -> tuple[float, float]:
    """Most in-scope answered right over every cut of conf: with wrong <= 5 % of all, with precision >= 0.90."""
    order = np.argsort(-conf, kind="stable")
    ctp, cfp = np.cumsum(right[order]), np.cumsum(~right[order])
    return (ctp[cfp <= 0.05 * n_all].max(initial=0) / n_in, ctp[ctp >= 0.90 * (ctp + cfp)].max(initial=0) / n_in)


def pair_separation(s1: np.ndarray, margin: np.ndarray, right: np.ndarray, n_in: int, n_all: int):  # type: ignore[no-untyped-def]
    """separation() over every (min_score 10-90, min_margin 0-30) pair instead of the cuts of one number."""
    best = (0.0, 0.0)
    for lead in range(31):
        sep = separation(np.where(margin >= lead, s1, -1.0), right & (margin >= lead), n_in, n_all)
        best = (max(best[0], sep[0]), max(best[1], sep[1]))
    return best


def figures(answer: np.ndarray, right: np.ndarray, n_in: int, n_all: int, sep: tuple[float, float]) -> str:
    """Answered / wrong / precision at the decision, and the separation columns."""
    tp, fp = int((answer & right).sum()), int((answer & ~right).sum())
    return (f"answered {tp / n_in:.3f}  wrong {fp / n_all:.3f}  precision {tp / max(1, tp + fp):.3f}  "
            f"sep(wrong<=5%) {sep[0]:.3f}  sep(prec>=.9) {sep[1]:.3f}")


def report(name: str, kb: KnowledgeBase, qs: list[tuple[str, str | None]]) -> None:
    """Every decision rule on one question set."""
    idx, s = kb.index, kb.settings
    rows = question_rows(idx, qs)
    n_all, n_in = len(rows), sum(1 for _, g, _ in rows if g is not None)
    scored = [(f, g, t) for f, g, t in rows if f is not None]
    right = np.array([g is not None and g == t for _, g, t in scored])
    rrf = sum(1 for f, g, _ in scored if g is not None and g == f["rrf_top"]) / n_in
    print(f"{name}: {n_all} questions ({n_in} in scope); top-1 {right.sum() / n_in:.3f} (reranked by RRF {rrf:.3f}); "
          f"pair {s.min_score:g}/{s.min_margin:g} ({s.source})")
    s1 = np.array([f["s1"] for f, _, _ in scored])
    margin = np.array([f["margin"] for f, _, _ in scored])
    print(f"  {'pair (calibrated thresholds)':52} " + figures((s1 >= s.min_score) & (margin >= s.min_margin),
                                                              right, n_in, n_all,
                                                              pair_separation(s1, margin, right, n_in, n_all)))
    for adjust in (False, True):
        t0, t1 = trial_rows(idx, 0, adjust), trial_rows(idx, 1, adjust)
        for label, names in (("LR score+margin", PAIR), ("LR score+margin+length", PAIR + ["words", "known",
                             "known_share"]), ("LR all features", ALL)):
            if adjust and names is PAIR:
                continue
            x0, x1 = (np.array([[f[k] for k in names] for f, _, _ in t]) for t in (t0, t1))
            y0, y1 = (np.array([ok for _, ok, _ in t]) for t in (t0, t1))
            w0, w1 = (np.array([w for _, _, w in t]) for t in (t0, t1))
            predict = fit(x0, y0, w0)
            cut = cut_at(predict(x1), y1, w1)
            p = predict(np.array([[f[k] for k in names] for f, _, _ in scored]))
            tag = f"{label}{', centroid left out' if adjust else ''} (cut {cut:.2f})"
            print(f"  {tag:52} " + figures(p >= cut, right, n_in, n_all, separation(p, right, n_in, n_all)))
    x = np.array([[f[k] for k in ALL] for f, _, _ in scored])
    folds = np.random.default_rng(0).permutation(len(x)) % 2
    p = np.zeros(len(x))
    for k in (0, 1):
        p[folds != k] = fit(x[folds == k], right[folds == k], np.ones(int((folds == k).sum())))(x[folds != k])
    print(f"  {'upper bound: LR all features fitted here':52} "
          + figures(p >= 0.5, right, n_in, n_all, separation(p, right, n_in, n_all)))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--split", choices=("dev", "test"), default="dev")
    ap.add_argument("--sets", default="bank,pl,vi")
    args = ap.parse_args()
    sets = args.sets.split(",")
    if "bank" in sets:
        data = b77.DEFAULT_DATA
        train = b77.read(data / "train.csv")
        kb_texts, unknown = b77.split(train, 77)
        qs = (b77.questions(train, unknown, kb_texts) if args.split == "dev"
              else b77.questions(b77.read(data / "test.csv"), unknown, {}))
        report(f"BANKING77 {args.split}", KnowledgeBase(b77.entries(kb_texts), {}, "bank"), qs)
    example = load_kb(ROOT / "kb" / "example")
    auto = KnowledgeBase(example.entries, example.departments, example.default_department)
    for lang in (s for s in sets if s in ("pl", "vi")):
        cases = load_cases(ROOT / "bench" / "data" / f"{lang}_{args.split}.yaml", example)
        report(f"{lang} {args.split} (kb/example, automatic bands)", auto,
               [(c.question, None if c.expect == ESCALATE else c.expect) for c in cases])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
