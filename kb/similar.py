"""Which questions say the same thing: similarity between free texts, for knowledge capture (pure).

Texts are folded like the KB's phrasings (kb.normalize.fold: no case, no diacritics, so Vietnamese and Polish
typed without accents meet their accented twins) and compared two ways, keeping the higher score:
the cosine of their character 3/4-gram TF-IDF vectors (kb.ngrams, the IDF taken over the texts compared,
so words every question shares, "how do I", weigh little: unrelated questions score below 0.1), and
rapidfuzz's token_set_ratio for word-level overlap ("is the vpn down" / "VPN is down, cannot connect"),
rescaled so that its floor for unrelated short texts (about 0.5) counts as nothing.
Grouping is greedy in the order given (each text joins the group of its most similar earlier text): deterministic,
one similarity row per text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.process import cdist

from kb.ngrams import NgramIndex
from kb.normalize import fold

RATIO_FLOOR = 0.5  # token_set_ratio of unrelated short questions hovers here
SHARES_SOMETHING = 0.03  # below this cosine two texts share no word worth a look
SAME_QUESTION = 0.3  # similarity from which two questions count as the same thing (tests/kb/test_similar.py)


@dataclass(frozen=True)
class Group:
    """Texts that ask the same thing: their indexes in the input, the first one (the leader) first."""

    members: tuple[int, ...]

    @property
    def leader(self) -> int:
        return self.members[0]

    def __len__(self) -> int:
        return len(self.members)


class Similarity:
    """Pairwise similarity (0..1) of one batch of texts, computed on demand, one row at a time."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.folded = [fold(t) for t in texts]
        self.index = NgramIndex(self.folded)

    def row(self, i: int, upto: int | None = None) -> np.ndarray:
        """Similarity of text i with every text of the batch (with the first `upto` only, if given)."""
        return self.scores(self.folded[i], upto=upto)

    def scores(self, text: str, folded: bool = True, upto: int | None = None) -> np.ndarray:
        """Similarity of a text (already folded unless `folded` is False) with every text of the batch (with
        the first `upto` only, if given)."""
        query = text if folded else fold(text)
        if not self.folded:
            return np.zeros(0)
        cosine, _ = self.index.cosines(query)
        cosine = cosine[:upto]
        # Word overlap means shared n-grams too: the word-level ratio (the costly part) is only worked out for
        # texts whose cosine says they share something.
        near = np.flatnonzero(cosine >= SHARES_SOMETHING)
        ratio = np.zeros(len(cosine))
        if len(near):
            ratio[near] = cdist([query], [self.folded[i] for i in near], scorer=fuzz.token_set_ratio,
                                dtype=np.float32)[0] / 100.0
        return np.maximum(cosine, np.clip((ratio - RATIO_FLOOR) / (1 - RATIO_FLOOR), 0.0, 1.0))


def group(texts: Sequence[str], threshold: float = SAME_QUESTION) -> list[Group]:
    """Greedy clustering in the order given: each text joins the group of the most similar earlier text at or
    above `threshold` (so a group can follow a question's wordings as they drift), else starts a new group;
    groups never merge. Groups come largest first (ties: the earlier first text first)."""
    if not texts:
        return []
    sim = Similarity(texts)
    group_of: list[int] = []            # text index -> the index of its group's first text
    members: dict[int, list[int]] = {}
    for i in range(len(texts)):
        if i:
            scores = sim.row(i, upto=i)
            best = int(np.argmax(scores))  # the first of equals: deterministic
            if scores[best] >= threshold:
                group_of.append(group_of[best])
                members[group_of[best]].append(i)
                continue
        group_of.append(i)
        members[i] = [i]
    groups = [Group(tuple(m)) for m in members.values()]
    return sorted(groups, key=lambda g: (-len(g), g.leader))


def nearest(question: str, texts: Sequence[str], limit: int = 3,
            threshold: float = SAME_QUESTION) -> list[tuple[int, float]]:
    """The `limit` texts most similar to `question` at or above `threshold`: (index, similarity), best first
    (ties: the earlier index first)."""
    if not texts or limit <= 0:
        return []
    scores = Similarity(texts).scores(question, folded=False)
    order = sorted((i for i in range(len(texts)) if scores[i] >= threshold), key=lambda i: (-scores[i], i))
    return [(i, float(scores[i])) for i in order[:limit]]
