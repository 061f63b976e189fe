"""Lexical matcher: IDF-weighted, typo- and inflection-tolerant word coverage plus character n-gram TF-IDF,
scored for every phrasing at once with numpy (cost grows with the KB's size, not with phrasings per entry)."""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA

from kb.lang import POLISH, bigrams, language_of
from kb.ngrams import NgramIndex
from kb.normalize import fold, surface_tokens
from kb.schema import Entry

MAX_CHARS = 2000  # a pasted log or e-mail: the question is nearly always at the start
MAX_TOKENS = 64
CANDIDATES = 5  # size of MatchResult.candidates
SHORTLIST = 20  # entries returned by Index.score

# Scoring knobs; chosen on development data only (BANKING77 train, bench/data/*_dev.yaml), see bench/README.md.
QUERY_SIDE = 0.6  # weight of "how much of the question is explained" vs "how much of the phrasing"
OOV_FACTOR = 0.5  # an unknown word weighs this fraction of the rarest known word
ACCENT_MISS = 0.92  # folded match whose diacritics differ from what the user typed
PREFIX_SIM = 0.8  # "print" ~ "printer": likely the same stem
LEMMA_SIM = 0.95  # same Polish lemma (Morfeusz 2): "drukarce" ~ "drukarka", "hasla" ~ "hasło"
STEM_SIM = 0.7  # fallback for words Morfeusz does not know: shared long prefix, Polish verb prefixes
STEM_SHARE = 0.6  # the shared prefix must cover this share of the longer word...
STEM_SUFFIX = 4  # ...and each word may differ only in its last this-many letters
VERB_PREFIXES = ("prze", "przy", "roz", "wy", "za", "po", "od", "na", "do", "u", "z", "s")
STOP_FACTOR = 0.15  # filler words keep a little weight so "how"/"where" can still break ties
BIGRAM_FACTOR = 1.0  # a Vietnamese syllable pair weighs its idf times this
KEYWORD_BONUS = 4.0
# Entry score = W_LEX * best phrasing (word coverage) + W_CENTROID * entry centroid cosine
#             + W_NGRAM * best phrasing character n-gram cosine (+ KEYWORD_BONUS).
W_LEX, W_CENTROID, W_NGRAM = 0.45, 0.25, 0.30
COMMON_SHARE, COMMON_MIN = 0.02, 2000  # words in more phrasings than both are looked up, not gathered
MIN_QUERY_COVER = 0.05  # phrasings explaining less of the question than this are not scored lexically

# Filler words in the KB's three languages (folded). IDF alone cannot learn them from a small KB.
STOPWORDS = frozenset(
    ["a", "an", "the", "i", "me", "my", "we", "our", "you", "your", "it", "its", "is", "are", "was", "be", "been", "am", "do", "does", "did", "doing", "have", "has", "had", "can", "could", "would", "should", "will", "to", "of", "in", "on", "at", "for", "from", "with", "by", "about", "as", "and", "or", "but", "if", "so", "that", "this", "these", "those", "there", "what", "which", "who", "how", "where", "when", "why", "any", "some", "please", "hi", "hello", "hey", "thanks", "thank", "just", "get", "got", "need", "want", "help", "im", "dont", "cant", "isnt", "also", "still", "again", "already", "very", "really", "quite", "some", "sorry", "bother", "team", "guys", "everyone", "morning", "afternoon", "today", "yesterday", "now", "asap", "urgent", "quick", "question", "wondering", "wonder", "know", "tell", "could", "would", "like", "trying", "tried", "try", "ok", "okay", "thx", "pls", "plz", "regards", "best", "jak", "jaki", "jaka", "jakie", "sie", "nie", "w", "we", "na", "z", "ze", "do", "i", "a", "to", "mam", "moj", "moja", "moje", "czy", "co", "jest", "mi", "o", "po", "dla", "mnie", "moge", "mozna", "prosze", "czesc", "dziekuje", "jestem", "ktory", "gdzie", "kiedy", "ten", "ta", "tego", "toi", "la", "cua", "co", "khong", "the", "nao", "lam", "cho", "va", "duoc", "bi", "minh", "em", "anh", "chi", "oi", "a", "voi", "de", "nhu", "gi", "o", "thi", "nay", "ai", "dau", "khi", "mot", "cac", "nhung", "ban", "vui", "long", "cam", "on", "xin", "hay"]
)


@dataclass(frozen=True, slots=True)
class Candidate:
    """One scored entry."""

    entry: Entry
    score: float
    phrasing: str


@dataclass(frozen=True, slots=True)
class MatchResult:
    """Outcome of KnowledgeBase.match.

    Three bands: `entry` is set -> answer it; else `choices` non-empty -> offer "Did you mean …?"; else escalate.
    `related` lists up to three entries to offer as buttons under an answer. `parts` is non-empty when the
    message asks several things: then `entry` is None and `choices` empty (a bot that ignores `parts`
    escalates, never answers one part), and `answer_parts` says whether every part has its own answer.
    """

    entry: Entry | None
    score: float
    best: Entry | None
    best_score: float
    phrasing: str | None
    candidates: list[Candidate] = field(default_factory=list)
    margin: float = 0.0  # best_score minus the runner-up from a different entry
    choices: list[Candidate] = field(default_factory=list)  # "Did you mean …?" when 2-3 are close
    related: list[Entry] = field(default_factory=list)  # the answered entry's `related:` entries
    parts: list[MatchResult] = field(default_factory=list)  # one result per question of a multi-question message
    text: str = ""  # the question (or the part of the message) this result is about

    @property
    def band(self) -> str:
        """"answer", "choices", "parts" (several questions, each answered) or "escalate"."""
        if self.entry is not None:
            return "answer"
        if self.choices:
            return "choices"
        if self.parts and self.answer_parts:
            return "parts"
        return "escalate"

    @property
    def answer_parts(self) -> bool:
        """True when the message holds several questions and every one of them has a confident answer."""
        return len(self.parts) >= 2 and all(p.entry is not None for p in self.parts)


@dataclass(frozen=True, slots=True)
class _QueryToken:
    weight: float
    matches: tuple[tuple[str, float], ...]  # (vocabulary term, similarity), best first
    accented: str | None  # the user's spelling when it carries diacritics


@dataclass(frozen=True, slots=True)
class Scored:
    """Internal: an entry's score, the phrasing that produced it, and the signals behind it."""

    entry: int
    score: float
    phrasing: int
    lex: float = 0.0
    centroid: float = 0.0
    ngram: float = 0.0


@dataclass(frozen=True, slots=True)
class Query:
    """A question prepared for scoring: weighted tokens and its folded text (for n-grams)."""

    tokens: list[_QueryToken]
    folded: str


@dataclass(frozen=True, slots=True)
class _Phrasing:
    entry: int
    text: str


def _deletion_variants(vocab: list[str]) -> dict[str, str | tuple[str, ...]]:
    """Typo candidates via single-deletion variants (SymSpell style)."""
    deletes: dict[str, str | tuple[str, ...]] = {}
    for t in vocab:
        if len(t) < 4 or "_" in t:
            continue
        for v in {t[:i] + t[i + 1 :] for i in range(len(t))}:
            old = deletes.get(v)
            deletes[v] = t if old is None else (*((old,) if isinstance(old, str) else old), t)
    return deletes


def _best_per_row(rows: list[np.ndarray], vals: list[np.ndarray], extra: list[np.ndarray]):  # type: ignore[no-untyped-def]
    """Merge one query word's matches (best first): each row keeps its first (best) match only."""
    r = np.concatenate(rows)
    _, first = np.unique(r, return_index=True)  # first occurrence of each row (a stable sort)
    return r[first], np.concatenate(vals)[first], np.concatenate(extra)[first]


def _accumulate(rows: np.ndarray, qv: np.ndarray, pv: np.ndarray, size: int):  # type: ignore[no-untyped-def]
    """Per distinct row with a non-zero qv sum: (rows, qv sums, pv sums). Few rows (a question touches few of
    a big KB's phrasings): summed over the touched rows only; many: over all of them."""
    if len(rows) * 4 < size:
        touched, inv = np.unique(rows, return_inverse=True)
        q_acc = np.bincount(inv, weights=qv, minlength=len(touched))
        p_acc = np.bincount(inv, weights=pv, minlength=len(touched))
        live = q_acc != 0
        return touched[live], q_acc[live], p_acc[live]
    q_acc = np.bincount(rows, weights=qv, minlength=size)
    p_acc = np.bincount(rows, weights=pv, minlength=size)
    cand = np.flatnonzero(q_acc)
    return cand, q_acc[cand], p_acc[cand]


def _csc(keys: np.ndarray, rows: np.ndarray, vals: np.ndarray | None, n_keys: int):  # type: ignore[no-untyped-def]
    """Group (key, row[, val]) triples by key: (indptr, rows, vals)."""
    order = np.argsort(keys, kind="stable")
    counts = np.bincount(keys, minlength=n_keys)
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return indptr, rows[order].astype(np.int32), None if vals is None else vals[order]


class Index:
    """Every phrasing of every entry, indexed by term, by accented spelling and by character n-gram."""

    def __init__(self, entries: Sequence[Entry]) -> None:
        self.entries = list(entries)
        n = len(self.entries)
        phrasing_terms, phrasing_accents, folded_texts, pl_words, entry_terms = self._read_phrasings()
        # Entry-level document frequency: a word all of one entry's phrasings share is its signature.
        df: dict[str, int] = {}
        for terms in entry_terms:
            for t in terms:
                df[t] = df.get(t, 0) + 1
        self.idf = {t: max(0.05, math.log((n + 1) / (c + 0.5)))
                    * (STOP_FACTOR if t in STOPWORDS else BIGRAM_FACTOR if "_" in t else 1.0) for t, c in df.items()}
        self.oov_weight = OOV_FACTOR * math.log((n + 1) / 0.5)
        self.sorted_vocab = sorted(t for t in df if "_" not in t)
        self.deletes = _deletion_variants(self.sorted_vocab)
        self._expansions: dict[str, tuple[tuple[str, float], ...]] = {}
        self.term_id = {t: i for i, t in enumerate(df)}
        self.idf_arr = np.array([self.idf[t] for t in df], dtype=np.float64)
        n_terms = len(self.term_id)
        P = len(self.phrasings)
        self.entry_of = np.array([p.entry for p in self.phrasings], dtype=np.int32)

        # Phrasing postings by term, and each phrasing's terms (for leave-one-out centroid adjustments).
        lens = np.array([len(ts) for ts in phrasing_terms], dtype=np.int64)
        flat = np.fromiter((self.term_id[t] for ts in phrasing_terms for t in ts), dtype=np.int64, count=int(lens.sum()))
        rows = np.repeat(np.arange(P, dtype=np.int64), lens)
        self.pt_indptr = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
        self.pt_terms = flat.astype(np.int32)
        self.p_indptr, self.p_rows, _ = _csc(flat, rows, None, n_terms)
        self.p_weight = np.bincount(rows, weights=self.idf_arr[flat], minlength=P) if P else np.zeros(0)
        # Accented spellings: a query word typed with diacritics gets full credit only where the KB spells it so.
        acc_ids: dict[str, int] = {}
        acc_keys = [acc_ids.setdefault(a, len(acc_ids)) for accs in phrasing_accents for a in accs]
        acc_rows = np.repeat(np.arange(P, dtype=np.int64), [len(a) for a in phrasing_accents])
        self.accent_id = acc_ids
        self.a_indptr, self.a_rows, _ = _csc(np.array(acc_keys, dtype=np.int64), acc_rows, None, len(acc_ids))
        del phrasing_terms, phrasing_accents, entry_terms, acc_keys, acc_rows  # the load's peak memory is what counts

        # Entry centroids (idf x number of the entry's phrasings using the term, unit length), by term.
        kw_pairs = [(ei, self.term_id[t]) for ei, kws in enumerate(self.entry_keywords) for t in kws]
        n_terms_safe = max(1, n_terms)
        c_key = np.concatenate([self.entry_of[rows].astype(np.int64) * n_terms_safe + flat,
                                np.array([e * n_terms_safe + t for e, t in kw_pairs], dtype=np.int64)])
        c_key, c_count = np.unique(c_key, return_counts=True)
        c_entry, c_term = c_key // n_terms_safe, c_key % n_terms_safe
        c_vals = self.idf_arr[c_term] * c_count if len(c_key) else np.zeros(0)
        self.centroid_norm = np.sqrt(np.bincount(c_entry, weights=c_vals * c_vals, minlength=n))
        self.centroid_norm[self.centroid_norm == 0] = 1.0
        self.c_indptr, self.c_rows, self.c_vals = _csc(c_term, c_entry, c_vals / self.centroid_norm[c_entry], n_terms)
        self._kw_pairs = kw_pairs
        self.keyword_entries: dict[int, list[int]] = {}
        for ei, kws in enumerate(self.entry_keywords):
            for t in sorted(kws):
                self.keyword_entries.setdefault(self.term_id[t], []).append(ei)
        del rows, flat, c_key, c_count, c_entry, c_term, c_vals
        self.ngrams = NgramIndex(folded_texts)
        del folded_texts
        # Entries' phrasings are contiguous: entry ei owns rows [starts[ei], ends[ei]).
        counts_per_entry = np.bincount(self.entry_of, minlength=n) if P else np.zeros(n, dtype=np.int64)
        self.ends = np.cumsum(counts_per_entry).astype(np.int64)
        self.starts = self.ends - counts_per_entry
        self._owners = np.flatnonzero(counts_per_entry)  # entries with at least one phrasing
        self.common_cap = max(COMMON_MIN, int(COMMON_SHARE * P))

        self._build_lemmas(pl_words)

    def _read_phrasings(self):  # type: ignore[no-untyped-def]
        """Tokenise every phrasing: terms (with Vietnamese syllable pairs), accented spellings, folded text;
        the Polish words seen (folded -> accented), and each entry's terms and keyword terms."""
        self.phrasings: list[_Phrasing] = []
        self.entry_phrasings: list[list[int]] = []
        phrasing_terms: list[list[str]] = []
        phrasing_accents: list[list[str]] = []
        folded_texts: list[str] = []
        pl_words: dict[str, str | None] = {}  # folded -> accented spelling, of words in Polish phrasings
        entry_terms: list[set[str]] = []
        self.entry_keywords: list[frozenset[str]] = []
        for ei, entry in enumerate(self.entries):
            own: list[int] = []
            terms_of_entry: set[str] = set()
            for text in entry.questions:
                pairs = surface_tokens(text)
                if not pairs:
                    continue
                folded = [f for f, _ in pairs]
                accents = [a for f, a in pairs if a != f]
                lang = language_of(folded, accents)
                terms = list(dict.fromkeys(folded + (bigrams(folded) if lang == "vi" else [])))
                if lang == "pl":
                    for f, a in pairs:
                        pl_words.setdefault(f, a if a != f else None)
                own.append(len(self.phrasings))
                self.phrasings.append(_Phrasing(ei, text))
                phrasing_terms.append(terms)
                phrasing_accents.append(sorted(set(accents)) if accents else [])
                folded_texts.append(" ".join(folded))
                terms_of_entry.update(terms)
            kws = frozenset(f for kw in entry.keywords for f, _ in surface_tokens(kw))
            self.entry_keywords.append(kws)
            entry_terms.append(terms_of_entry | kws)
            self.entry_phrasings.append(own)

        return phrasing_terms, phrasing_accents, folded_texts, pl_words, entry_terms

    def _build_lemmas(self, pl_words: dict[str, str | None]) -> None:
        """Polish lemmas of the KB's Polish words; the analyser is loaded only when the KB has any."""
        self.lemma_terms: dict[str, set[str]] = {}
        self.term_lemmas: dict[str, frozenset[str]] = {}
        for f, a in pl_words.items():
            if f in STOPWORDS or not f.isalpha() or len(f) < 3:
                continue
            lemmas = POLISH.lemmas(f, a) if a is not None else POLISH.lemmas(f, f)
            self.term_lemmas[f] = lemmas
            for lemma in lemmas:
                self.lemma_terms.setdefault(lemma, set()).add(f)
                if lemma in self.idf and lemma != f:
                    self.lemma_terms[lemma].add(lemma)

    # -- query side -------------------------------------------------------------------------

    def expand(self, token: str, accented: str | None = None) -> tuple[tuple[str, float], ...]:
        """Vocabulary terms a query token may stand for, with similarity 0-1 (cached)."""
        key = accented or token
        cached = self._expansions.get(key)
        if cached is not None:
            return cached
        found: dict[str, float] = {}
        if token in self.idf:
            found[token] = 1.0
        if len(token) >= 3 and self.lemma_terms:
            self._lemmas(token, accented, found)
        if len(token) >= 4:
            self._typos(token, found)
            self._prefixes(token, found)
            self._stems(token, found)
        result = tuple(sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))[:4])
        if len(self._expansions) < 50_000:  # bounded: queries are user input
            self._expansions[key] = result
        return result

    def _lemmas(self, token: str, accented: str | None, found: dict[str, float]) -> None:
        """Add vocabulary words with the same Polish lemma ("drukarce" ~ "drukarka")."""
        lemmas = self.term_lemmas.get(token) if accented is None else None
        if lemmas is None:
            lemmas = POLISH.lemmas(token, accented)
        for lemma in sorted(lemmas):
            for term in sorted(self.lemma_terms.get(lemma, ())):
                if term != token:
                    found.setdefault(term, LEMMA_SIM)

    def _typos(self, token: str, found: dict[str, float]) -> None:
        """Add vocabulary words one edit (two for a long token) away (a swapped pair of letters is one edit)."""
        max_edits = 1 if len(token) <= 6 else 2
        variants = {token[:i] + token[i + 1 :] for i in range(len(token))}
        if max_edits == 2:
            variants |= {v[:i] + v[i + 1 :] for v in variants for i in range(len(v))}
        pool: set[str] = set()
        for key in (token, *variants):
            hit = self.deletes.get(key)
            if hit is not None:
                pool.update((hit,) if isinstance(hit, str) else hit)
            if key in self.idf and len(key) >= 4:
                pool.add(key)
        pool.discard(token)  # sorted below: set order varies with PYTHONHASHSEED, ties must not
        for term, dist, _ in process.extract(token, sorted(pool), scorer=OSA.distance, score_cutoff=max_edits, limit=4):
            if dist >= 2 and term[0] != token[0]:
                continue  # two edits *and* a different first letter is too loose
            found.setdefault(term, 1.0 - dist / max(len(term), len(token)))

    def _prefixes(self, token: str, found: dict[str, float]) -> None:
        """Add inflections by prefix: "reset" ~ "resetting", "printers" ~ "printer"."""
        lo = bisect.bisect_left(self.sorted_vocab, token)
        for term in self.sorted_vocab[lo : lo + 8]:
            if not term.startswith(token):
                break
            if term != token and len(term) - len(token) <= 4:
                found.setdefault(term, PREFIX_SIM)
        for k in range(max(4, len(token) - 4), len(token)):
            if token[:k] in self.idf:
                found.setdefault(token[:k], PREFIX_SIM)

    def _stems(self, token: str, found: dict[str, float]) -> None:
        """Add vocabulary words sharing a long prefix with token, or with token minus a verb prefix."""
        head = token[: max(4, math.ceil(STEM_SHARE * len(token)))]
        lo = bisect.bisect_left(self.sorted_vocab, head)
        for term in self.sorted_vocab[lo : lo + 16]:
            if not term.startswith(head):
                break
            if term in found:
                continue
            cp = len(head)
            while cp < min(len(term), len(token)) and term[cp] == token[cp]:
                cp += 1
            longest = max(len(term), len(token))
            if cp >= STEM_SHARE * longest and longest - cp <= STEM_SUFFIX:
                found[term] = STEM_SIM
        if token in self.idf:
            return
        for prefix in VERB_PREFIXES:
            rest = token[len(prefix) :]
            if token.startswith(prefix) and len(rest) >= 5 and rest in self.idf:
                found.setdefault(rest, STEM_SIM)
                break

    def query(self, text: str) -> Query:
        """Tokenise, de-duplicate and weight a question (words, then Vietnamese syllable pairs the KB knows)."""
        out: list[_QueryToken] = []
        seen: set[str] = set()
        folded_all: list[str] = []
        for folded, accented in surface_tokens(text[:MAX_CHARS]):
            folded_all.append(folded)
            if folded in seen or len(out) >= MAX_TOKENS:
                continue
            seen.add(folded)
            acc = accented if accented != folded else None
            matches = self.expand(folded, acc)
            if matches:
                weight = self.idf[matches[0][0]]
            else:
                weight = self.oov_weight * (STOP_FACTOR if folded in STOPWORDS else 1.0)
            out.append(_QueryToken(weight, matches, acc))
        for pair in dict.fromkeys(bigrams(folded_all[: MAX_TOKENS + 1])):
            if pair in self.idf and pair not in seen:
                out.append(_QueryToken(self.idf[pair], ((pair, 1.0),), None))
        return Query(out, " ".join(folded_all))

    # -- scoring ----------------------------------------------------------------------------

    def _postings(self, term: str) -> np.ndarray:
        t = self.term_id[term]
        return self.p_rows[self.p_indptr[t] : self.p_indptr[t + 1]]

    def _accented_rows(self, accented: str) -> np.ndarray | None:
        a = self.accent_id.get(accented)
        return None if a is None else self.a_rows[self.a_indptr[a] : self.a_indptr[a + 1]]

    def lexical(self, q: Query) -> tuple[np.ndarray, np.ndarray]:
        """Word-coverage score 0-100 of every phrasing: q_cov^0.6 * p_cov^0.4 (IDF-weighted), and the rows
        that score.

        Words found in a large share of the KB ("how", "card" in a bank) do not pick candidates: they are
        looked up only in the phrasings rarer words found, so a question costs what its rare words cost.
        """
        P = len(self.phrasings)
        total = sum(tok.weight for tok in q.tokens)
        rare, common = [], []
        for tok in q.tokens:
            if tok.matches:
                big = any(len(self._postings(t)) > self.common_cap for t, _ in tok.matches)
                (common if big else rare).append(tok)
        if not rare:
            rare, common = common, []
        if not rare or not total:
            return np.zeros(P), np.zeros(0, dtype=np.int64)
        rows_l, qv_l, pv_l = [], [], []
        for tok in rare:
            parts_r, parts_s, parts_i = [], [], []
            for term, sim in tok.matches:
                r = self._postings(term)
                parts_r.append(r)
                parts_s.append(self._accent_adjusted(tok, term, sim, r))
                parts_i.append(np.full(len(r), self.idf[term]))
            if len(parts_r) == 1:
                r, sv, iv = parts_r[0], parts_s[0], parts_i[0]
            else:
                r, sv, iv = _best_per_row(parts_r, parts_s, parts_i)
            rows_l.append(r)
            qv_l.append(tok.weight * sv)
            pv_l.append(iv * sv)
        cand, q_acc, p_acc = _accumulate(np.concatenate(rows_l), np.concatenate(qv_l), np.concatenate(pv_l), P)
        for tok in common:
            best_s = np.zeros(len(cand))
            best_i = np.zeros(len(cand))
            for term, sim in tok.matches:
                r = self._postings(term)
                pos = np.minimum(np.searchsorted(r, cand), len(r) - 1)
                hit = r[pos] == cand
                sv = np.where(hit, self._accent_adjusted(tok, term, sim, cand), 0.0)
                better = sv > best_s
                best_s[better] = sv[better]
                best_i[better] = self.idf[term] * sv[better]
            q_acc += tok.weight * best_s
            p_acc += best_i
        out = np.zeros(P)
        keep = q_acc > MIN_QUERY_COVER * total
        cand, q_acc, p_acc = cand[keep], q_acc[keep], p_acc[keep]
        q_cov = np.minimum(1.0, q_acc / total)
        p_cov = np.minimum(1.0, p_acc / self.p_weight[cand])
        out[cand] = 100.0 * np.exp(QUERY_SIDE * np.log(q_cov) + (1 - QUERY_SIDE) * np.log(np.maximum(p_cov, 1e-12)))
        return out, cand

    def _accent_adjusted(self, tok: _QueryToken, term: str, sim: float, rows: np.ndarray) -> np.ndarray:
        """sim for every row; x ACCENT_MISS where the user typed diacritics the phrasing does not have."""
        s = np.full(len(rows), sim)
        if tok.accented is None:
            return s
        s *= ACCENT_MISS
        acc_rows = self._accented_rows(tok.accented)
        if acc_rows is not None and len(acc_rows) and term == fold(tok.accented):
            pos = np.minimum(np.searchsorted(acc_rows, rows), len(acc_rows) - 1)
            s[acc_rows[pos] == rows] = sim
        return s

    def centroid_cosines(self, q: Query, adjust: tuple[int, np.ndarray] | None = None) -> np.ndarray:
        """Cosine 0-1 of the idf-weighted question with every entry's centroid; `adjust` = (entry, rows)
        recomputes that entry's centroid without those phrasings (leave-one-out)."""
        n = len(self.entries)
        norm = math.sqrt(sum(tok.weight * tok.weight for tok in q.tokens)) or 1.0
        dot = np.zeros(n)
        best = np.empty(n)
        for tok in q.tokens:
            if not tok.matches:
                continue
            if len(tok.matches) == 1:
                term, sim = tok.matches[0]
                t = self.term_id[term]
                lo, hi = self.c_indptr[t], self.c_indptr[t + 1]
                dot[self.c_rows[lo:hi]] += self.c_vals[lo:hi] * sim * tok.weight
                continue
            best.fill(0.0)
            for term, sim in reversed(tok.matches):  # the first (best) match of an entry is written last
                t = self.term_id[term]
                lo, hi = self.c_indptr[t], self.c_indptr[t + 1]
                best[self.c_rows[lo:hi]] = self.c_vals[lo:hi] * sim
            dot += best * tok.weight
        cos = dot / norm
        if adjust is not None:
            ei, drop = adjust
            cos[ei] = self._centroid_without(q, ei, drop) / norm
        return cos

    def _centroid_without(self, q: Query, ei: int, drop: np.ndarray) -> float:
        keep = np.setdiff1d(np.arange(self.starts[ei], self.ends[ei]), drop)
        terms = np.concatenate([self.pt_terms[self.pt_indptr[pi] : self.pt_indptr[pi + 1]] for pi in keep.tolist()]
                               + [np.array([t for e, t in self._kw_pairs if e == ei], dtype=np.int32)])
        ids, counts = np.unique(terms, return_counts=True)
        vals = self.idf_arr[ids] * counts
        vec = dict(zip(ids.tolist(), vals.tolist(), strict=True))
        vnorm = float(np.sqrt((vals * vals).sum())) or 1.0
        dot = 0.0
        for tok in q.tokens:
            best = max((vec.get(self.term_id[term], 0.0) * sim for term, sim in tok.matches), default=0.0)
            dot += tok.weight * best
        return dot / vnorm

    def _entry_max(self, per_row: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Per entry: the maximum over its phrasings (0 for an entry without one); per_row is 0 outside `rows`."""
        out = np.zeros(len(self.entries))
        if len(rows) * 8 < len(per_row):  # few rows touched: cheaper than a pass over every phrasing
            np.maximum.at(out, self.entry_of[rows], per_row[rows])
        elif len(self._owners):
            out[self._owners] = np.maximum(0.0, np.maximum.reduceat(per_row, self.starts[self._owners]))
        return out

    def _keyword_hits(self, q: Query) -> list[int]:
        """Entries one of whose `keywords` the question uses."""
        hit: set[int] = set()
        for tok in q.tokens:
            for term, _ in tok.matches:
                hit.update(self.keyword_entries.get(self.term_id[term], ()))
        return sorted(hit)

    def score(self, q: Query, exclude_entry: int = -1, exclude_phrasings: Sequence[int] | np.ndarray = (),
              limit: int = SHORTLIST, adjust_centroid: bool = False) -> list[Scored]:
        """Entries ranked by score, best first (exclusions serve leave-one-out calibration and kb check)."""
        if not self.phrasings or not q.tokens:
            return []
        lex, lex_rows = self.lexical(q)
        ngram, ngram_rows = self.ngrams.cosines(q.folded)
        drop = np.asarray(exclude_phrasings, dtype=np.int64)
        if len(drop):
            lex[drop] = 0.0
            ngram[drop] = 0.0
        adjust = (int(self.entry_of[drop[0]]), drop) if len(drop) and adjust_centroid else None
        cent = self.centroid_cosines(q, adjust)
        lex_e, ngram_e = self._entry_max(lex, lex_rows), self._entry_max(ngram, ngram_rows)
        total = W_LEX * lex_e + W_CENTROID * 100.0 * cent + W_NGRAM * 100.0 * ngram_e
        hit = self._keyword_hits(q)
        if hit:
            total[hit] += KEYWORD_BONUS
        if 0 <= exclude_entry < len(total):
            total[exclude_entry] = -1.0
        np.minimum(total, 100.0, out=total)
        live = np.flatnonzero(total > 0)
        if not len(live):
            return []
        k = min(limit, len(live))
        top = live[np.argpartition(-total[live], k - 1)[:k]] if len(live) > k else live
        top = sorted(top.tolist(), key=lambda e: (-total[e], e))
        out = []
        for rank, ei in enumerate(top):
            pi = -1
            if rank < CANDIDATES:  # the phrasing is shown for the first few only
                lo, hi = self.starts[ei], self.ends[ei]
                if hi > lo:
                    seg = lex[lo:hi] if lex_e[ei] > 0 else ngram[lo:hi]
                    pi = int(lo + int(np.argmax(seg)))
            out.append(Scored(ei, float(total[ei]), pi, float(lex_e[ei]), float(cent[ei]), float(ngram_e[ei])))
        return out
