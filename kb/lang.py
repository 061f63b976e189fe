"""Language-aware pieces of normalisation: which phrasings are Vietnamese or Polish, Vietnamese syllable
bigrams, and Polish lemmas (Morfeusz 2, loaded lazily and only when the KB holds Polish text).

Why Morfeusz 2 (bench/README.md, "Polish lemmatiser"): of simplemma, pystempel and morfeusz2 it is the only
one that loads fast (0.17 s vs 4.6 s / 7.7 s) and small (+55 MB RSS vs +400 MB / +170 MB), and it is exact
on inflected forms typed with diacritics; for forms typed without them we try the few diacritic restorations
of the word (bounded) and keep the lemmas Morfeusz recognises.
"""

from __future__ import annotations

import itertools
import threading
import unicodedata

from kb.normalize import fold

# Letters only Vietnamese uses among the KB's languages (casefolded). "ó", "ò"... are shared, so not listed.
_VI_LETTERS = frozenset("ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹĩũ")
_PL_LETTERS = frozenset("ąćęłńśźż")
# Frequent words that tell an unaccented message's language (folded). Words shared with English left out.
_VI_WORDS = frozenset("khong duoc cua toi minh bi roi nhu nao voi gi sao lam muon dau oi nhe vay nha giup hoi em anh "
                      "chi bao cai nay khi thi ma co cong ty xin phep lai mat may".split())
_PL_WORDS = frozenset("jak nie sie czy mam jest mnie mi gdzie prosze moge mozna co juz bo ze dla tak przez od moj moja "
                      "moje mojego jaki jaka jakie ktory zeby zrobic trzeba dziala chce".split())
_TELLING = _VI_WORDS | _PL_WORDS


def language(surface: str) -> str:
    """"vi", "pl" or "" for a casefolded text (accents kept): by telltale letters, else by frequent words."""
    letters = set(surface)
    if letters & _VI_LETTERS:
        return "vi"
    if letters & _PL_LETTERS:
        return "pl"
    words = fold(surface).split()
    vi = sum(1 for w in words if w in _VI_WORDS)
    pl = sum(1 for w in words if w in _PL_WORDS)
    if max(vi, pl) >= 2:
        return "vi" if vi > pl else "pl"
    return ""


def bigrams(folded_tokens: list[str]) -> list[str]:
    """Adjacent syllable pairs: Vietnamese words are mostly two syllables ("máy in" printer, "phòng họp")."""
    return [f"{a}_{b}" for a, b in itertools.pairwise(folded_tokens)]


# Polish letters a folded (diacritic-free) letter may stand for.
_RESTORE = {"a": "ą", "c": "ć", "e": "ę", "l": "ł", "n": "ń", "o": "ó", "s": "ś", "z": "żź"}
MAX_RESTORATIONS = 32  # diacritic restorations tried per unaccented word (2^5): bounded cost per new word


class PolishLemmas:
    """Folded Polish word -> folded lemmas (Morfeusz 2), cached; empty when morfeusz2 is unavailable."""

    def __init__(self) -> None:
        self._morf = None
        self._tried = False
        self._lock = threading.Lock()
        self._cache: dict[str, frozenset[str]] = {}

    @property
    def available(self) -> bool:
        return self._analyser() is not None

    def _analyser(self):  # type: ignore[no-untyped-def]
        if not self._tried:
            with self._lock:
                if not self._tried:
                    try:
                        import morfeusz2

                        self._morf = morfeusz2.Morfeusz(generate=False, expand_tags=False)
                    except (ImportError, OSError, RuntimeError):  # no wheel for this platform: no lemmas
                        self._morf = None
                    self._tried = True
        return self._morf

    def _analyse(self, word: str) -> set[str]:
        morf = self._analyser()
        if morf is None:
            return set()
        found = set()
        try:
            analyses = morf.analyse(word)
        except Exception:  # noqa: BLE001 - a C++ analyser must never break a match
            return set()
        for _, _, (_, lemma, tag, *_) in analyses:
            if tag == "ign":
                continue
            lemma = fold(lemma.split(":")[0])
            if lemma:
                found.add(lemma)
        return found

    def lemmas(self, folded: str, accented: str | None = None) -> frozenset[str]:
        """Lemmas of a word: of its accented spelling when the user typed one, else of every recognised
        restoration of its Polish diacritics ("hasla" -> hasło -> "haslo")."""
        key = accented or folded
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        if len(folded) < 3 or not folded.isalpha() or not folded.isascii() and accented is None:
            result: frozenset[str] = frozenset()
        elif accented is not None and accented != folded:
            result = frozenset(self._analyse(accented))
        else:
            found = self._analyse(folded)
            for variant in _restorations(folded):
                found |= self._analyse(variant)
            result = frozenset(found)
        if len(self._cache) < 200_000:
            self._cache[key] = result
        return result


def _restorations(word: str) -> list[str]:
    """Spellings of an unaccented word with some Polish diacritics put back (at most MAX_RESTORATIONS)."""
    slots = [(i, _RESTORE[ch]) for i, ch in enumerate(word) if ch in _RESTORE]
    out: list[str] = []
    options = [[word[i], *alts] for i, alts in slots]
    for combo in itertools.product(*options):
        if len(out) >= MAX_RESTORATIONS:
            break
        chars = list(word)
        for (i, _), ch in zip(slots, combo, strict=True):
            chars[i] = ch
        variant = "".join(chars)
        if variant != word:
            out.append(unicodedata.normalize("NFC", variant))
    return out


POLISH = PolishLemmas()  # one analyser per process: Morfeusz's dictionary is shared by every KB (reloads too)


def language_of(folded: list[str], accented: list[str]) -> str:
    """language() for an already tokenised text: folded tokens and the tokens typed with diacritics."""
    if accented:
        letters = set("".join(accented))
        if letters & _VI_LETTERS:
            return "vi"
        if letters & _PL_LETTERS:
            return "pl"
    telling = [w for w in folded if w in _TELLING]  # usually none: the counts below are rarely needed
    if len(telling) < 2:
        return ""
    vi = sum(1 for w in telling if w in _VI_WORDS)
    pl = sum(1 for w in telling if w in _PL_WORDS)
    if max(vi, pl) >= 2:
        return "vi" if vi > pl else "pl"
    return ""
