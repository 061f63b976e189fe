"""Lexical matcher: IDF-weighted, typo-tolerant token overlap between a question and KB phrasings."""

from __future__ import annotations

import bisect
import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bench.legacy.normalize import surface_tokens
from kb.schema import Entry

MAX_CHARS = 2000  # a pasted log or e-mail: the question is nearly always at the start
MAX_TOKENS = 64
CANDIDATES = 5  # size of MatchResult.candidates
SHORTLIST = 20  # entries scored exactly after the cheap accumulation pass

# Scoring knobs, tuned on banking77 train (see bench/README.md), not on the test split.
QUERY_SIDE = 0.6  # weight of "how much of the question is explained" vs "how much of the phrasing"
OOV_FACTOR = 0.5  # an unknown word weighs this fraction of the rarest known word
ACCENT_MISS = 0.92  # folded match whose diacritics differ from what the user typed
PREFIX_SIM = 0.8  # "print" ~ "printer": likely the same stem
STEM_SIM = 0.7  # "drukarce" ~ "drukarka", "wydrukować" ~ "drukować": Polish inflection/verb prefixes
STEM_SHARE = 0.6  # the shared prefix must cover this share of the longer word...
STEM_SUFFIX = 4  # ...and each word may differ only in its last this-many letters
# Polish verbal prefixes ("wy-drukować", "za-instalować"), longest first; stripped only when the
# rest is a known word of 5+ letters, so English words are rarely touched.
VERB_PREFIXES = ("prze", "przy", "roz", "wy", "za", "po", "od", "na", "do", "u", "z", "s")
STOP_FACTOR = 0.15  # filler words keep a little weight so "how"/"where" can still break ties
KEYWORD_BONUS = 4.0
CENTROID_WEIGHT = 0.4  # blend of nearest phrasing (0) and whole-entry centroid (1)

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
    """Outcome of KnowledgeBase.match; entry is None exactly when the bot should escalate."""

    entry: Entry | None
    score: float
    best: Entry | None
    best_score: float
    phrasing: str | None
    candidates: list[Candidate] = field(default_factory=list)
    margin: float = 0.0  # best_score minus the runner-up from a different entry
    choices: list[Candidate] = field(default_factory=list)  # "Did you mean …?" when 2-3 are close


@dataclass(frozen=True, slots=True)
class _Phrasing:
    entry: int
    text: str
    terms: frozenset[str]  # folded terms
    accents: dict[str, frozenset[str]] | None  # folded -> accented spellings, only where they differ
    weight: float  # sum of idf over terms


@dataclass(frozen=True, slots=True)
class _QueryToken:
    weight: float
    matches: tuple[tuple[str, float], ...]  # (vocabulary term, similarity), best first
    accented: str | None  # the user's spelling when it carries diacritics


@dataclass(frozen=True, slots=True)
class Scored:
    """Internal: an entry's score and the phrasing that produced it."""

    entry: int
    score: float
    phrasing: int


_Raw = tuple[int, str, frozenset[str], dict[str, frozenset[str]] | None]  # entry, text, terms, accents


def _accent_map(pairs: list[tuple[str, str]]) -> dict[str, frozenset[str]] | None:
    """Folded term -> the accented spellings one phrasing uses, only where they differ (else None)."""
    # Most phrasings have no diacritics at all, so they carry no accent map.
    accents: dict[str, set[str]] = {}
    for folded, accented in pairs:
        if accented != folded:
            accents.setdefault(folded, set()).add(accented)
    for folded, accented in pairs:
        if folded in accents and accented == folded:
            accents[folded].add(folded)  # spelled both ways in one phrasing
    return {t: frozenset(a) for t, a in accents.items()} or None


def _tokenize_entries(entries: list[Entry]) -> tuple[list[_Raw], list[set[str]], list[frozenset[str]]]:
    """Every non-empty phrasing as a _Raw, and per entry: all its terms, and its keyword terms."""
    raw: list[_Raw] = []
    entry_terms: list[set[str]] = []
    entry_keywords: list[frozenset[str]] = []
    for ei, entry in enumerate(entries):
        terms_of_entry: set[str] = set()
        for text in entry.questions:
            pairs = surface_tokens(text)
            if not pairs:
                continue
            terms = frozenset(f for f, _ in pairs)
            raw.append((ei, text, terms, _accent_map(pairs)))
            terms_of_entry.update(terms)
        kws = frozenset(f for kw in entry.keywords for f, _ in surface_tokens(kw))
        entry_keywords.append(kws)
        entry_terms.append(terms_of_entry | kws)
    return raw, entry_terms, entry_keywords


def _deletion_variants(vocab: list[str]) -> dict[str, str | tuple[str, ...]]:
    """Typo candidates via single-deletion variants (SymSpell style): a lookup is a few dict probes
    instead of a scan of the vocabulary; rapidfuzz then verifies the edit distance. A variant usually
    belongs to one word, so it is stored as a str, as a tuple only when shared."""
    deletes: dict[str, str | tuple[str, ...]] = {}
    for t in vocab:
        if len(t) < 4:
            continue
        for v in {t[:i] + t[i + 1 :] for i in range(len(t))}:
            old = deletes.get(v)
            deletes[v] = t if old is None else (*((old,) if isinstance(old, str) else old), t)
    return deletes


class Index:
    """Inverted index over every phrasing of every entry, built once."""

    def __init__(self, entries: Sequence[Entry]) -> None:
        self.entries = list(entries)
        n = len(self.entries)
        raw, entry_terms, self.entry_keywords = _tokenize_entries(self.entries)

        # Entry-level document frequency: a word repeated across one entry's phrasings is its
        # signature, not a common word.
        df: dict[str, int] = {}
        for terms in entry_terms:
            for t in terms:
                df[t] = df.get(t, 0) + 1
        self.idf = {t: max(0.05, math.log((n + 1) / (c + 0.5))) * (STOP_FACTOR if t in STOPWORDS else 1.0)
                    for t, c in df.items()}
        self.common_df = max(100, n // 20)
        self.oov_weight = OOV_FACTOR * math.log((n + 1) / 0.5)
        self.postings: dict[str, list[int]] = {}
        for ei, terms in enumerate(entry_terms):
            for t in terms:
                self.postings.setdefault(t, []).append(ei)
        self.phrasings = [
            _Phrasing(ei, text, terms, accents, sum(self.idf[t] for t in terms)) for ei, text, terms, accents in raw
        ]
        del raw
        self.entry_phrasings: list[list[int]] = [[] for _ in range(n)]
        for pi, p in enumerate(self.phrasings):
            self.entry_phrasings[p.entry].append(pi)
        self.centroids: list[dict[str, float]] = [self._centroid(ei) for ei in range(n)]
        self.sorted_vocab = sorted(df)
        self.deletes = _deletion_variants(self.sorted_vocab)
        self._expansions: dict[str, tuple[tuple[str, float], ...]] = {}

    def _centroid(self, ei: int) -> dict[str, float]:
        """Entry ei's centroid (idf x share of the entry's phrasings using the term), unit length:
        votes across all phrasings, which a single nearest phrasing cannot do."""
        counts: dict[str, float] = {}
        for pi in self.entry_phrasings[ei]:
            for t in self.phrasings[pi].terms:
                counts[t] = counts.get(t, 0.0) + 1.0
        for t in self.entry_keywords[ei]:
            counts[t] = counts.get(t, 0.0) + 1.0
        vec = {t: self.idf[t] * c for t, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {t: v / norm for t, v in vec.items()}

    # -- query side -------------------------------------------------------------------------

    def expand(self, token: str) -> tuple[tuple[str, float], ...]:
        """Vocabulary terms a query token may stand for, with similarity 0-1 (cached)."""
        cached = self._expansions.get(token)
        if cached is not None:
            return cached
        found: dict[str, float] = {}
        if token in self.idf:
            found[token] = 1.0
        if len(token) >= 4:
            self._typos(token, found)
            self._prefixes(token, found)
            self._stems(token, found)
        result = tuple(sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))[:4])
        if len(self._expansions) < 50_000:  # bounded: queries are user input
            self._expansions[token] = result
        return result

    def _typos(self, token: str, found: dict[str, float]) -> None:
        """Add vocabulary words one edit (two for a long token) away; optimal string alignment counts a
        swapped pair of letters as one edit."""
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
        # Inflected endings: a shared prefix of most of the longer word, short differing suffixes.
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

    def query(self, text: str) -> list[_QueryToken]:
        """Tokenise, de-duplicate and weight a question."""
        out: list[_QueryToken] = []
        seen: set[str] = set()
        for folded, accented in surface_tokens(text[:MAX_CHARS]):
            if folded in seen:
                continue
            seen.add(folded)
            matches = self.expand(folded)
            if matches:
                weight = self.idf[matches[0][0]]
            else:
                weight = self.oov_weight * (STOP_FACTOR if folded in STOPWORDS else 1.0)
            out.append(_QueryToken(weight, matches, accented if accented != folded else None))
            if len(out) >= MAX_TOKENS:
                break
        return out

    # -- scoring ----------------------------------------------------------------------------

    def shortlist(self, tokens: list[_QueryToken], exclude_entry: int = -1, limit: int = SHORTLIST) -> list[int]:
        """Entries worth scoring exactly: the best by summed weight of shared terms."""
        acc = self.accumulate(tokens)
        acc.pop(exclude_entry, None)
        return heapq.nlargest(limit, acc, key=acc.__getitem__)

    def accumulate(self, tokens: list[_QueryToken]) -> dict[int, float]:
        """Entry -> summed weight x similarity of the query terms it contains (the cheap first pass)."""
        acc: dict[int, float] = {}
        pairs = sorted(((len(self.postings.get(t, ())), t, tok.weight * sim) for tok in tokens for t, sim in tok.matches))
        for df, term, gain in pairs:
            # Rarest terms first; once they found candidates, a word shared by a large share of the
            # KB ("how", "card" in a bank) cannot pick candidates any better, only cost time.
            if acc and df > self.common_df:
                break
            for ei in self.postings.get(term, ()):
                acc[ei] = acc.get(ei, 0.0) + gain
        return acc

    def score_phrasing(self, tokens: list[_QueryToken], pi: int, keywords: frozenset[str]) -> float:
        """Score 0-100 of one phrasing against the query tokens."""
        p = self.phrasings[pi]
        total = matched = 0.0
        covered: dict[str, float] = {}
        for tok in tokens:
            total += tok.weight
            best = term_sim = 0.0
            best_term = ""
            for term, sim in tok.matches:
                if term not in p.terms:
                    if term in keywords and sim * 0.9 > best:
                        best = sim * 0.9
                    continue
                if tok.accented is not None:
                    forms = p.accents.get(term) if p.accents else None
                    if forms is None or tok.accented not in forms:
                        sim *= ACCENT_MISS
                best = max(best, sim)
                if sim > term_sim:
                    # Tracked apart from keyword hits: a keyword explaining the word better must
                    # not hide that the phrasing contains it too.
                    term_sim, best_term = sim, term
            if best:
                matched += tok.weight * best
                if best_term and covered.get(best_term, 0.0) < term_sim:
                    covered[best_term] = term_sim
        return self._blend(total, matched, covered, p)

    def _blend(self, total: float, matched: float, covered: dict[str, float], p: _Phrasing) -> float:
        """Score 0-100 from the query's weight (total, matched) and the phrasing's terms the query covers."""
        if not total or not matched:
            return 0.0
        q_cov = matched / total
        p_cov = sum(self.idf[t] * s for t, s in covered.items()) / p.weight if p.weight else 0.0
        if p_cov <= 0:
            return 0.0
        return 100.0 * (q_cov**QUERY_SIDE) * (p_cov ** (1 - QUERY_SIDE))

    def cosine(self, tokens: list[_QueryToken], ei: int) -> float:
        """Cosine between the idf-weighted query and the entry's centroid (0-1)."""
        centroid = self.centroids[ei]
        dot = norm = 0.0
        for tok in tokens:
            norm += tok.weight * tok.weight
            best = 0.0
            for term, sim in tok.matches:
                v = centroid.get(term)
                if v is not None and v * sim > best:
                    best = v * sim
            dot += tok.weight * best
        return dot / math.sqrt(norm) if norm else 0.0

    def upper_bound(self, tokens: list[_QueryToken], ei: int, floor: float = 100.0) -> float:
        """An upper bound of entry ei's score, without scoring its phrasings (kb check's pre-filter).

        The exact centroid cosine is only computed when the bound with cosine 1 exceeds floor.
        """
        query_terms = {t for tok in tokens for t, _ in tok.matches}
        terms = self.centroids[ei]  # keys: every term of the entry's phrasings and keywords
        total = sum(tok.weight for tok in tokens)
        # A phrasing explains at most the query words the entry has anywhere, and covers <= all of itself.
        reach = sum(tok.weight * max((sim for t, sim in tok.matches if t in terms), default=0.0) for tok in tokens)
        phrase_max = (1 - CENTROID_WEIGHT) * 100.0 * (reach / total) ** QUERY_SIDE if total else 0.0
        bonus = KEYWORD_BONUS if self.entry_keywords[ei] & query_terms else 0.0
        bound = phrase_max + CENTROID_WEIGHT * 100.0 + bonus
        if bound > floor:
            bound = phrase_max + CENTROID_WEIGHT * 100.0 * self.cosine(tokens, ei) + bonus
        return min(100.0, bound)

    def score_entry(
        self, tokens: list[_QueryToken], ei: int, query_terms: set[str], exclude_phrasing: int = -1
    ) -> Scored | None:
        """Score of one entry (None when none of its phrasings shares a word with the query)."""
        keywords = self.entry_keywords[ei]
        best, best_pi = 0.0, -1
        for pi in self.entry_phrasings[ei]:
            if pi == exclude_phrasing or self.phrasings[pi].terms.isdisjoint(query_terms):
                continue  # no shared term: the phrasing would score 0 (covers none of itself)
            s = self.score_phrasing(tokens, pi, keywords)
            if s > best:
                best, best_pi = s, pi
        if best_pi < 0:
            return None
        if CENTROID_WEIGHT:
            best = (1 - CENTROID_WEIGHT) * best + CENTROID_WEIGHT * 100.0 * self.cosine(tokens, ei)
        if keywords & query_terms:
            best = min(100.0, best + KEYWORD_BONUS)
        return Scored(ei, best, best_pi)

    def score(
        self, tokens: list[_QueryToken], exclude_entry: int = -1, exclude_phrasing: int = -1, limit: int = SHORTLIST
    ) -> list[Scored]:
        """Entries ranked by score, best first (exclusions serve leave-one-out calibration and kb check)."""
        ranked: list[Scored] = []
        query_terms = {t for tok in tokens for t, _ in tok.matches}
        for ei in self.shortlist(tokens, exclude_entry, limit):
            scored = self.score_entry(tokens, ei, query_terms, exclude_phrasing)
            if scored is not None:
                ranked.append(scored)
        ranked.sort(key=lambda s: (-s.score, s.entry))
        return ranked
