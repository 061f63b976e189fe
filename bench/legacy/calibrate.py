"""Pick answer thresholds from the KB itself by leave-one-out over its own phrasings."""

from __future__ import annotations

import random
from dataclasses import dataclass

from bench.legacy.matcher import SHORTLIST, Index, Scored

DEFAULT_MIN_SCORE = 55.0
DEFAULT_MIN_MARGIN = 8.0
TARGET_PRECISION = 0.91  # the smallest target whose auto thresholds reach precision 0.90 on BANKING77 train
OUT_OF_SCOPE_WEIGHT = 0.5  # unknown questions expected per in-scope question
LARGE_KB = 5000  # phrasings; above this, the sample shrinks so loading stays within ~2 s
LARGE_SAMPLE = 300
SAMPLE = 800  # phrasings per experiment: all of a small KB, a bounded sample of a big one
MIN_SAMPLES = 40  # below this the estimate is noise: keep the defaults
SCORE_RANGE = (35.0, 90.0)
MARGIN_RANGE = (2.0, 30.0)


@dataclass(frozen=True, slots=True)
class MatchSettings:
    """Answer when score >= min_score and the lead over the next entry >= min_margin."""

    min_score: float
    min_margin: float
    source: str  # "calibrated", "default" or "departments.yaml"
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Sample:
    """One leave-one-out trial: top score, margin, and whether answering would be right."""

    score: float
    margin: float
    correct: bool
    weight: float = 1.0


def leave_one_out(index: Index, pi: int, limit: int = SHORTLIST) -> list[Scored]:
    """Entries ranked for phrasing pi asked as a question, with pi itself left out of the index."""
    return index.score(index.query(index.phrasings[pi].text), exclude_phrasing=pi, limit=limit)


def collect(index: Index, sample: int = SAMPLE, seed: int = 0) -> list[Sample]:
    """Leave-one-phrasing-out (should answer, own entry) and leave-one-entry-out (should escalate)."""
    rng = random.Random(seed)
    eligible = [pi for pi, p in enumerate(index.phrasings) if len(index.entry_phrasings[p.entry]) >= 2]
    in_scope = rng.sample(eligible, min(sample, len(eligible)))
    out_scope = rng.sample(range(len(index.phrasings)), min(sample, len(index.phrasings)))
    samples: list[Sample] = []
    for pi in in_scope:
        p = index.phrasings[pi]
        ranked = leave_one_out(index, pi)
        if ranked:
            s1, s2 = ranked[0].score, ranked[1].score if len(ranked) > 1 else 0.0
            samples.append(Sample(s1, s1 - s2, ranked[0].entry == p.entry))
    # Out-of-scope weight is spread so both experiments count equally whatever their sizes.
    w = OUT_OF_SCOPE_WEIGHT * max(1, len(in_scope)) / max(1, len(out_scope))
    for pi in out_scope:
        p = index.phrasings[pi]
        ranked = index.score(index.query(p.text), exclude_entry=p.entry)
        if ranked:
            s1, s2 = ranked[0].score, ranked[1].score if len(ranked) > 1 else 0.0
            samples.append(Sample(s1, s1 - s2, False, w))
    return samples


def choose(samples: list[Sample], target: float | None = None) -> tuple[float, float, float, float] | None:
    """Return (min_score, min_margin, precision, recall) answering most correct at >= target precision."""
    target = TARGET_PRECISION if target is None else target
    positives = sum(s.weight for s in samples if s.correct)
    if not positives:
        return None
    best: tuple[float, float, float, float, float] | None = None  # (tp, precision, score, margin, recall)
    lo, hi = SCORE_RANGE
    for margin in _frange(*MARGIN_RANGE, 1.0):
        kept = sorted((s for s in samples if s.margin >= margin), key=lambda s: -s.score)
        tp = fp = 0.0
        i = 0
        # Sweep the score threshold downwards; answered set = samples with score >= threshold.
        for threshold in _frange(hi, lo, -1.0):
            while i < len(kept) and kept[i].score >= threshold:
                tp += kept[i].weight if kept[i].correct else 0.0
                fp += 0.0 if kept[i].correct else kept[i].weight
                i += 1
            if tp and tp / (tp + fp) >= target:
                key = (tp, tp / (tp + fp), threshold, margin, tp / positives)
                if best is None or key[:2] > best[:2]:
                    best = key
    if best is None:
        return None
    return best[2], best[3], best[1], best[4]


def calibrate(index: Index) -> MatchSettings:
    """Thresholds from leave-one-out over the KB's phrasings, or defaults for tiny KBs."""
    samples = collect(index, SAMPLE if len(index.phrasings) <= LARGE_KB else LARGE_SAMPLE)
    n_pos = sum(1 for s in samples if s.correct)
    n_neg = len(samples) - n_pos
    if n_pos < MIN_SAMPLES or n_neg < MIN_SAMPLES:
        return MatchSettings(DEFAULT_MIN_SCORE, DEFAULT_MIN_MARGIN, "default",
                             f"too few phrasings to calibrate ({n_pos} answerable, {n_neg} not)")
    chosen = choose(samples)
    if chosen is None:
        return MatchSettings(DEFAULT_MIN_SCORE, DEFAULT_MIN_MARGIN, "default",
                             "no threshold reached the target precision on the KB's own phrasings")
    score, margin, precision, recall = chosen
    return MatchSettings(score, margin, "calibrated",
                         f"leave-one-out on {len(samples)} trials: precision {precision:.2f}, recall {recall:.2f}")


def _frange(start: float, stop: float, step: float) -> list[float]:
    out = []
    x = start
    while (step > 0 and x <= stop) or (step < 0 and x >= stop):
        out.append(round(x, 6))
        x += step
    return out
