"""Character n-gram TF-IDF over the folded text, vectorised with numpy (the matcher's second signal).

Robust to word order, inflection, glued or split words ("wifi" / "wi fi") and syllables across word breaks
(Vietnamese "may in"): each phrasing is a unit vector of hashed 3- and 4-grams of " folded text ", and a
question's score against every phrasing is one sparse gather plus a bincount, whatever the KB's shape.
"""

from __future__ import annotations

import numpy as np

NGRAM_SIZES = (3, 4)
BUCKETS_BITS = 20  # hashed n-gram ids; collisions are rare at this size and harmless for a ranking signal
GATHER_BUDGET = 40_000  # postings read per question: the most common n-grams (lowest idf) are skipped beyond it
_MULT = np.uint64(1_000_003)
_MASK = np.uint64((1 << BUCKETS_BITS) - 1)


def _codes(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Code points of " t " for every text, joined by 0 separators, and each position's text number."""
    joined = "\x00".join(f" {t} " for t in texts)
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    sep = codes == 0
    row = np.cumsum(sep)  # position -> text number (a separator belongs to the next text; never used)
    return codes, row


def hashed(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(text number, n-gram bucket) for every n-gram occurrence of every text."""
    codes, row = _codes(texts)
    rows, grams = [], []
    zero = codes == 0
    for n in NGRAM_SIZES:
        if len(codes) < n:
            continue
        m = len(codes) - n + 1
        h = np.zeros(m, dtype=np.uint64)
        bad = np.zeros(m, dtype=bool)
        for k in range(n):
            h = h * _MULT + codes[k : k + m]
            bad |= zero[k : k + m]
        h = (h ^ (h >> np.uint64(29)) ^ np.uint64(n)) & _MASK
        keep = ~bad
        rows.append(row[:m][keep])
        grams.append(h[keep])
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(rows).astype(np.int64), np.concatenate(grams).astype(np.int64)


class NgramIndex:
    """Unit TF-IDF vectors of every phrasing, stored by n-gram (CSC) for one-gather scoring."""

    def __init__(self, texts: list[str]) -> None:
        self.n = n = len(texts)
        buckets = 1 << BUCKETS_BITS
        rows, grams = hashed(texts)
        # One sort by (gram, row): runs are the distinct (gram, row) pairs, already grouped by gram (CSC).
        key = np.sort(grams * max(1, n) + rows)
        if len(key):
            starts = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
            counts = np.diff(np.concatenate([starts, [len(key)]]))
            key = key[starts]
        else:
            counts = np.zeros(0, dtype=np.int64)
        grams, rows = key // max(1, n), key % max(1, n)
        df = np.bincount(grams, minlength=buckets)
        self.idf = (np.log((n + 1) / (df + 1.0)) + 1.0).astype(np.float32)
        w = (1.0 + np.log(counts)) * self.idf[grams]
        norm = np.sqrt(np.bincount(rows, weights=w * w, minlength=n))
        w = w / np.where(norm[rows] > 0, norm[rows], 1.0)
        self.rows = rows.astype(np.int32)
        self.vals = w.astype(np.float32)
        self.indptr = np.concatenate([[0], np.cumsum(df)]).astype(np.int64)

    def query(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The question's unit vector: (buckets, weights)."""
        _, grams = hashed([text])
        if not len(grams):
            return grams, np.zeros(0)
        g, counts = np.unique(grams, return_counts=True)
        w = (1.0 + np.log(counts)) * self.idf[g]
        norm = float(np.sqrt((w * w).sum())) or 1.0
        return g, w / norm

    def cosines(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Cosine of the question with every phrasing (array of length n), and the rows it touched
        (with repeats) so callers need not scan the whole array."""
        g, w = self.query(text)
        if not len(g):
            return np.zeros(self.n, dtype=np.float64), np.zeros(0, dtype=np.int32)
        starts, ends = self.indptr[g], self.indptr[g + 1]
        lens = ends - starts
        if lens.sum() > GATHER_BUDGET:  # keep the rarest n-grams within the budget
            order = np.argsort(lens, kind="stable")
            keep = order[np.cumsum(lens[order]) <= GATHER_BUDGET]
            starts, lens, w = starts[keep], lens[keep], w[keep]
        total = int(lens.sum())
        if not total:
            return np.zeros(self.n, dtype=np.float64), np.zeros(0, dtype=np.int32)
        offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens)
        idx = offsets + np.arange(total)
        rows = self.rows[idx]
        return np.bincount(rows, weights=self.vals[idx] * np.repeat(w, lens), minlength=self.n), rows
