"""Pick the three bands' thresholds (answer / offer choices / escalate) from the KB itself.

Leave-one-out, made to look like real questions: a sampled phrasing is asked without itself (and without
exact copies of it in its entry, after folding), roughened the way employees type (a word dropped, diacritics
left out, a typo). It should be answered with its own entry. A phrasing asked with its whole entry left out should escalate (weighted by the
expected share of unknown questions). The pair (min_score, min_margin) answering the most trials at the target
precision wins; the choice band starts where the right entry is still among the offered choices often enough.
The sample is bounded (500 trials of each kind; fewer, down to 200, when a trial's cost - which grows with the
phrasings - would make the calibration dominate a very big KB's load).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from kb.matcher import SHORTLIST, Index, Scored
from kb.normalize import fold

DEFAULT_MIN_SCORE = 50.0
DEFAULT_MIN_MARGIN = 8.0
DEFAULT_CHOICE_SCORE = 30.0
TARGET_PRECISION = 0.90  # answered precision the calibration aims at (estimated on roughened leave-one-out)
CHOICE_TARGET = 0.5  # choices are offered where the right entry is among them at least this often
CHOICE_BIN = 10.0  # ... measured over trials within this many points
CHOICE_WINDOW = 15.0  # choices: entries within this many points of the best (up to MAX_CHOICES)
MAX_CHOICES = 3
OUT_OF_SCOPE_WEIGHT = 0.4  # unknown questions expected per in-scope question
NEAR_COPY = 100.0  # rapidfuzz ratio between folded phrasings that counts as the same phrasing (also left out)
SAMPLE = 500  # trials of each kind: all of a small KB, a bounded sample of a big one...
TRIAL_BUDGET = 10_000_000  # ...and fewer (not below MIN_TRIALS) where trials x phrasings exceeds this: a trial
MIN_TRIALS = 200  # scores every phrasing, so this bounds the calibration's cost on a very big KB (load <= 2 s)
MIN_SAMPLES = 40  # below this the estimate is noise: keep the defaults
SCORE_RANGE = (20.0, 90.0)
MARGIN_RANGE = (0.0, 30.0)
# How real questions differ from a KB's phrasings (chosen on the development splits, bench/README.md).
P_DROP_WORD = 0.5
P_NO_DIACRITICS = 0.3
P_TYPO = 0.2
ADJUST_CENTROID = False  # True (recompute the centroid without them) was far too pessimistic on small multilingual KBs


@dataclass(frozen=True, slots=True)
class MatchSettings:
    """Answer when score >= min_score and the lead over the next entry >= min_margin; else offer choices
    when the best scores >= min_choice_score; else escalate. expected_* are the calibration's estimates."""

    min_score: float
    min_margin: float
    source: str  # "calibrated", "default" or "departments.yaml"
    detail: str = ""
    min_choice_score: float = DEFAULT_CHOICE_SCORE
    choice_window: float = CHOICE_WINDOW
    expected_precision: float | None = None  # answered right / answered (unknown questions count as wrong)
    expected_recall: float | None = None  # answered right / answerable questions
    expected_choice_recall: float | None = None  # answered right or right entry offered / answerable
    expected_unknown_offered: float | None = None  # unknown questions that get choices instead of a human

    def describe(self) -> str:
        """One line for `kb check` and logs."""
        text = (f"answer when score >= {self.min_score:g} and lead >= {self.min_margin:g}; "
                f"offer choices when score >= {self.min_choice_score:g}; else escalate [{self.source}]")
        if self.expected_precision is not None:
            text += (f"; expected: answered precision {self.expected_precision:.2f}, answered {self.expected_recall:.2f}"
                     f" of answerable questions, right entry answered or offered {self.expected_choice_recall:.2f},"
                     f" unknown questions offered choices {self.expected_unknown_offered:.2f}")
        if self.detail:
            text += f" ({self.detail})"
        return text


@dataclass(frozen=True, slots=True)
class Sample:
    """One leave-one-out trial: top score, margin, whether answering would be right, whether the offered
    choices would hold the right entry, and its weight."""

    score: float
    margin: float
    correct: bool
    weight: float = 1.0
    offered_ok: bool = False
    in_scope: bool = True  # False: a leave-entry-out trial (the right outcome is to escalate)


class _Folded(dict[int, str]):
    """Phrasing number -> folded text, folded on first use (trials touch a few entries of a big KB), and each
    touched entry's phrasings grouped by folded text (exact copies)."""

    def __init__(self, index: Index) -> None:
        super().__init__()
        self.index = index
        self.copies: dict[int, dict[str, list[int]]] = {}

    def __missing__(self, pi: int) -> str:
        text = self[pi] = fold(self.index.phrasings[pi].text)
        return text

    def same_text(self, pi: int) -> list[int]:
        """The phrasings of pi's entry whose folded text is pi's (pi included)."""
        ei = self.index.phrasings[pi].entry
        groups = self.copies.get(ei)
        if groups is None:
            groups = self.copies[ei] = {}
            for j in self.index.entry_phrasings[ei]:
                groups.setdefault(self[j], []).append(j)
        return groups[self[pi]]


def near_copies(index: Index, pi: int, folded: _Folded) -> np.ndarray:
    """Phrasing pi and the phrasings of its entry that are near-copies of it (ratio >= NEAR_COPY)."""
    if NEAR_COPY > 100:
        return np.array([pi], dtype=np.int64)
    if NEAR_COPY >= 100:  # only exact copies: a lookup, not a comparison with each of the entry's phrasings
        return np.array(sorted(folded.same_text(pi)), dtype=np.int64)
    own = index.entry_phrasings[index.phrasings[pi].entry]
    hits = process.extract(folded[pi], [folded[j] for j in own], scorer=fuzz.ratio, score_cutoff=NEAR_COPY,
                           limit=None)
    drop = {own[h[2]] for h in hits} | {pi}
    return np.array(sorted(drop), dtype=np.int64)


def roughen(text: str, rng: random.Random) -> str:
    """The phrasing as an employee might type it: a word dropped, no diacritics, a typo."""
    words = text.split()
    if len(words) >= 4 and rng.random() < P_DROP_WORD:
        words.pop(rng.randrange(len(words)))
    if rng.random() < P_TYPO:
        long_words = [i for i, w in enumerate(words) if len(w) >= 5]
        if long_words:
            i = rng.choice(long_words)
            w = words[i]
            k = rng.randrange(len(w) - 1)
            words[i] = w[:k] + w[k + 1] + w[k] + w[k + 2 :]
    out = " ".join(words)
    return fold(out) if rng.random() < P_NO_DIACRITICS else out


def _sample(ranked: list[Scored], own: int | None, weight: float) -> Sample:
    s1 = ranked[0].score
    s2 = ranked[1].score if len(ranked) > 1 else 0.0
    offered = [r.entry for r in ranked[:MAX_CHOICES] if r.score >= s1 - CHOICE_WINDOW]
    return Sample(s1, s1 - s2, own is not None and ranked[0].entry == own, weight, own in offered, own is not None)


def trials(phrasings: int) -> int:
    """Trials of each kind for a KB of this many phrasings."""
    return min(SAMPLE, max(MIN_TRIALS, TRIAL_BUDGET // max(1, phrasings)))


def collect(index: Index, sample: int | None = None, seed: int = 0) -> list[Sample]:
    """Roughened leave-near-copies-out trials (should answer) and leave-entry-out trials (should escalate)."""
    sample = trials(len(index.phrasings)) if sample is None else sample
    rng = random.Random(seed)
    folded = _Folded(index)
    eligible = [pi for pi, p in enumerate(index.phrasings) if len(index.entry_phrasings[p.entry]) >= 2]
    in_scope = rng.sample(eligible, min(sample, len(eligible)))
    out_scope = rng.sample(range(len(index.phrasings)), min(sample, len(index.phrasings)))
    samples: list[Sample] = []
    for pi in in_scope:
        p = index.phrasings[pi]
        drop = near_copies(index, pi, folded)
        if len(drop) >= len(index.entry_phrasings[p.entry]):
            continue  # every phrasing of the entry is a copy of this one: nothing left to find it by
        q = index.query(roughen(p.text, rng))
        ranked = index.score(q, exclude_phrasings=drop, limit=SHORTLIST, adjust_centroid=ADJUST_CENTROID)
        if ranked:
            samples.append(_sample(ranked, p.entry, 1.0))
    w = OUT_OF_SCOPE_WEIGHT * max(1, len(samples)) / max(1, len(out_scope))
    for pi in out_scope:
        p = index.phrasings[pi]
        ranked = index.score(index.query(roughen(p.text, rng)), exclude_entry=p.entry, limit=SHORTLIST)
        if ranked:
            samples.append(_sample(ranked, None, w))
    return samples


def choose(samples: list[Sample], target: float | None = None) -> tuple[float, float, float, float] | None:
    """Return (min_score, min_margin, precision, recall) answering most correct at >= target precision."""
    target = TARGET_PRECISION if target is None else target
    positives = sum(s.weight for s in samples if s.in_scope)
    if not any(s.correct for s in samples):
        return None
    best: tuple[float, float, float, float, float] | None = None  # (tp, precision, score, margin, recall)
    lo, hi = SCORE_RANGE
    for margin in _frange(*MARGIN_RANGE, 1.0):
        kept = sorted((s for s in samples if s.margin >= margin), key=lambda s: -s.score)
        tp = fp = 0.0
        i = 0
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


def choose_choices(samples: list[Sample], min_score: float, min_margin: float) -> tuple[float, float, float]:
    """Lowest score down to which not-answered trials still hold the right entry among the choices at least
    CHOICE_TARGET of the time (locally, over a CHOICE_BIN-point band of scores): (min_choice_score, choice
    recall incl. answers, share of unknown trials offered choices)."""
    rest = [s for s in samples if not (s.score >= min_score and s.margin >= min_margin)]
    chosen = min_score
    threshold = min_score - 1.0
    while threshold >= SCORE_RANGE[0] - CHOICE_BIN:
        band = [s for s in rest if threshold <= s.score < threshold + CHOICE_BIN]
        total = sum(s.weight for s in band)
        if total and sum(s.weight for s in band if s.offered_ok) / total < CHOICE_TARGET:
            break
        chosen = threshold
        threshold -= 1.0
    inside = [s for s in samples if s.in_scope]
    answered = sum(1 for s in inside if s.correct and s.score >= min_score and s.margin >= min_margin)
    offered = sum(1 for s in inside if not (s.score >= min_score and s.margin >= min_margin)
                  and s.score >= chosen and s.offered_ok)
    unknown = [s for s in samples if not s.in_scope]
    unknown_offered = sum(1 for s in unknown if s.score >= chosen and not (s.score >= min_score and
                                                                           s.margin >= min_margin))
    return chosen, (answered + offered) / max(1, len(inside)), unknown_offered / max(1, len(unknown))


def calibrate(index: Index, target: float | None = None) -> MatchSettings:
    """Thresholds from roughened leave-one-out over the KB's phrasings, or defaults for tiny KBs."""
    samples = collect(index)
    n_pos = sum(1 for s in samples if s.in_scope)
    n_neg = len(samples) - n_pos
    if n_pos < MIN_SAMPLES or n_neg < MIN_SAMPLES:
        return MatchSettings(DEFAULT_MIN_SCORE, DEFAULT_MIN_MARGIN, "default",
                             f"too few phrasings to calibrate ({n_pos} answerable, {n_neg} not)")
    chosen = choose(samples, target)
    if chosen is None:
        return MatchSettings(DEFAULT_MIN_SCORE, DEFAULT_MIN_MARGIN, "default",
                             "no threshold reached the target precision on the KB's own phrasings")
    score, margin, precision, recall = chosen
    choice, choice_recall, unknown_offered = choose_choices(samples, score, margin)
    return MatchSettings(score, margin, "calibrated", f"leave-one-out on {len(samples)} trials",
                         min_choice_score=choice, expected_precision=precision, expected_recall=recall,
                         expected_choice_recall=choice_recall, expected_unknown_offered=unknown_offered)


def _frange(start: float, stop: float, step: float) -> list[float]:
    out = []
    x = start
    while (step > 0 and x <= stop) or (step < 0 and x >= stop):
        out.append(round(x, 6))
        x += step
    return out
