"""Shared pieces of the quality benchmarks: outcomes, the three-band metrics, threshold search, near-copy check."""

from __future__ import annotations

from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from kb.normalize import fold


@dataclass(frozen=True)
class Outcome:
    """One question: top score, margin, best entry id, right id (None = unknown), the offered choices' ids
    (what the matcher would offer when it does not answer), and the decision it took at its own thresholds."""

    score: float
    margin: float
    best: str | None
    gold: str | None
    offered: tuple[str, ...] = ()
    band: str = ""  # "answer" / "choices" / "escalate" / "parts" at the matcher's own thresholds
    top3: tuple[str, ...] = field(default=())


def metrics(outcomes: list[Outcome], min_score: float | None = None, min_margin: float | None = None) -> dict[str, float]:
    """Figures of bench/README.md. With thresholds: answer iff score >= min_score and margin >= min_margin
    (choices: the offered ids when not answered); without: the matcher's own band decision."""
    in_scope = [o for o in outcomes if o.gold is not None]
    unknown = [o for o in outcomes if o.gold is None]

    def answers(o: Outcome) -> bool:
        if min_score is None:
            return o.band == "answer"
        return o.best is not None and o.score >= min_score and o.margin >= (min_margin or 0.0)

    def offers(o: Outcome) -> bool:
        if min_score is None:
            return o.band == "choices"
        return not answers(o) and bool(o.offered)

    answered = [o for o in outcomes if answers(o)]
    correct = sum(1 for o in answered if o.best == o.gold)
    offered_right = sum(1 for o in in_scope if offers(o) and o.gold in o.offered)
    n = max(1, len(outcomes))
    return {
        "in_scope_accuracy": correct / max(1, len(in_scope)),  # answered right / in-scope questions
        "escalation_recall": sum(1 for o in unknown if not answers(o)) / max(1, len(unknown)),
        "answered_precision": correct / max(1, len(answered)),
        "wrong_answer_rate": (len(answered) - correct) / n,
        "answered_share": len(answered) / n,
        "top1_in_scope": sum(1 for o in in_scope if o.best == o.gold) / max(1, len(in_scope)),
        "with_choices": (correct + offered_right) / max(1, len(in_scope)),
        "unknown_offered": sum(1 for o in unknown if offers(o)) / max(1, len(unknown)),
        "top3_in_scope": sum(1 for o in in_scope if o.gold in o.top3) / max(1, len(in_scope)),
    }


def best_thresholds(outcomes: list[Outcome], target: float, step: float = 1.0) -> tuple[float, float]:
    """Thresholds with the most correct answers at answered precision >= target (101/101 if none)."""
    best = (-1.0, 101.0, 101.0)
    ranked = sorted(outcomes, key=lambda o: -o.score)
    for margin in [x * 0.5 for x in range(0, 61)]:
        tp = fp = 0
        i = 0
        score = 100.0
        while score >= 0:
            while i < len(ranked) and ranked[i].score >= score:
                o = ranked[i]
                if o.best is not None and o.margin >= margin:
                    tp += o.best == o.gold
                    fp += o.best != o.gold
                i += 1
            if tp and tp / (tp + fp) >= target and tp > best[0]:
                best = (tp, score, margin)
            score -= step
    return best[1], best[2]


def row(label: str, m: dict[str, float], width: int = 52) -> str:
    return (f"  {label:<{width}} answered {m['in_scope_accuracy']:.3f}  precision {m['answered_precision']:.3f}  "
            f"wrong {m['wrong_answer_rate']:.3f}  esc.recall {m['escalation_recall']:.3f}  "
            f"+choices {m['with_choices']:.3f}  unk.offered {m['unknown_offered']:.3f}  "
            f"top-1 {m['top1_in_scope']:.3f}  top-3 {m['top3_in_scope']:.3f}")


def near_copies(kb_texts: list[str], questions: list[str], cutoff: float = 85.0) -> list[tuple[str, str, float]]:
    """(KB phrasing, question, ratio) for every pair of folded texts with rapidfuzz ratio >= cutoff."""
    folded_kb = [fold(t) for t in kb_texts]
    found = []
    for q in questions:
        fq = fold(q)
        for _, score, i in process.extract(fq, folded_kb, scorer=fuzz.ratio, score_cutoff=cutoff, limit=3):
            found.append((kb_texts[i], q, round(score, 1)))
    return found
