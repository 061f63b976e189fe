"""Character n-gram TF-IDF over the folded text, vectorised with numpy (the matcher's second signal).

Robust to word order, inflection, glued or split words ("wifi" / "wi fi") and syllables across word breaks
(Vietnamese "may in"): each phrasing is a unit vector of hashed 3- and 4-grams of " folded text ", and a
question's score against every phrasing is one sparse gather plus a bincount, whatever the KB's shape.
"""

from __future__ import annotations

import numpy as np

NGRAM_SIZES = (3, 4)
BUCKETS_BITS = 20  # hashed n-gram ids; collisions are rare at this size and harmless for a ranking signal
BUILD_CHUNK = 1 << 12  # texts hashed at a time while building: bounds the build's temporaries (and 32-bit keys)
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


def _distinct(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (n-gram bucket, text number) pairs of a chunk of at most 2^12 texts as sorted keys
    bucket << 12 | text, and how often each occurs."""
    rows, grams = hashed(texts)
    key = np.sort((grams << 12 | rows).astype(np.uint32))
    if not len(key):
        return key, np.zeros(0, dtype=np.int32)
    starts = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
    counts = np.diff(np.concatenate([starts, [len(key)]])).astype(np.int32)
    return key[starts], counts


def _runs(sorted_values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs of equal values in a sorted array: (value, start, length) of each."""
    if not len(sorted_values):
        return sorted_values, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.concatenate([[True], sorted_values[1:] != sorted_values[:-1]]))
    return sorted_values[starts], starts, np.diff(np.concatenate([starts, [len(sorted_values)]]))


class NgramIndex:
    """Unit TF-IDF vectors of every phrasing, stored by n-gram (CSC) for one-gather scoring."""

    def __init__(self, texts: list[str]) -> None:
        self.n = n = len(texts)
        buckets = 1 << BUCKETS_BITS
        # Hashed and de-duplicated a chunk of texts at a time, so the n-gram occurrences of a big KB never sit in
        # memory as 64-bit temporaries all at once (that was most of the load's peak memory). A chunk holds whole
        # texts, each text's n-grams in bucket order (the order the unit vectors' norms are summed in).
        parts = [_distinct(texts[lo : lo + BUILD_CHUNK]) for lo in range(0, n, BUILD_CHUNK)]
        df = np.zeros(buckets, dtype=np.int64)
        for key, _ in parts:
            grams, _, lengths = _runs((key >> 12).astype(np.int32))
            df[grams] += lengths
        self.idf = (np.log((n + 1) / (df + 1.0)) + 1.0).astype(np.float32)
        # CSC by bucket, each bucket's rows ascending: every chunk's pairs go straight to their place (a chunk is
        # sorted by bucket and chunks come in row order), no sort of the whole KB's pairs, no copy of them.
        self.indptr = np.concatenate([[0], np.cumsum(df)]).astype(np.int64)
        self.rows = np.empty(int(self.indptr[-1]), dtype=np.int32)
        self.vals = np.empty(int(self.indptr[-1]), dtype=np.float32)
        filled = self.indptr[:-1].copy()
        for i, lo in enumerate(range(0, n, BUILD_CHUNK)):
            key, counts = parts[i]
            parts[i] = None  # type: ignore[call-overload]
            grams, local = (key >> 12).astype(np.int32), (key & 0xFFF).astype(np.int32)
            run_grams, run_starts, lengths = _runs(grams)
            pos = np.repeat(filled[run_grams] - run_starts, lengths) + np.arange(len(grams))
            self.rows[pos] = local + np.int32(lo)
            self.vals[pos] = self._unit(grams, local, counts, min(BUILD_CHUNK, n - lo))
            filled[run_grams] += lengths

    def _unit(self, grams: np.ndarray, local_rows: np.ndarray, counts: np.ndarray, m: int) -> np.ndarray:
        """TF-IDF weights of one chunk's (text, n-gram) pairs, scaled so each text's vector has unit length."""
        w = (1.0 + np.log(counts)) * self.idf[grams]
        norm = np.sqrt(np.bincount(local_rows, weights=w * w, minlength=m))
        w /= np.where(norm > 0, norm, 1.0)[local_rows]
        return w.astype(np.float32)

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
