"""Text folding and tokenising shared by the index and the queries."""

from __future__ import annotations

import unicodedata

# Letters that carry their "accent" as part of the base character, so NFD does not split them
# off; folded explicitly so Vietnamese and Polish typed without diacritics still match.
_SPECIAL = {"đ": "d", "ł": "l", "ø": "o", "æ": "ae", "œ": "oe", "ı": "i"}


class _Table(dict[int, object]):
    """str.translate table filled lazily: one category lookup per distinct character ever seen."""

    def __init__(self, strip_marks: bool) -> None:
        super().__init__()
        self.strip_marks = strip_marks

    def __missing__(self, code: int) -> object:
        ch = chr(code)
        cat = unicodedata.category(ch)
        value: object
        if cat == "Mn":
            # Non-spacing marks are the diacritics after NFD (Vietnamese tones, Polish ogonek...).
            value = None if self.strip_marks else code
        elif self.strip_marks and ch in _SPECIAL:
            value = _SPECIAL[ch]
        elif cat[0] in "LNM":
            value = code
        else:
            # Punctuation, symbols (emoji included), separators, controls: all word breaks.
            value = " "
        self[code] = value
        return value


_FOLD = _Table(strip_marks=True)
_SURFACE = _Table(strip_marks=False)


def fold(text: str) -> str:
    """Return text in NFC, casefolded, punctuation as spaces, diacritics removed, spaces collapsed."""
    s = unicodedata.normalize("NFD", unicodedata.normalize("NFC", text).casefold())
    return " ".join(unicodedata.normalize("NFC", s.translate(_FOLD)).split())


def surface(text: str) -> str:
    """Return text like fold() but keeping diacritics (used to reward exact accents)."""
    s = unicodedata.normalize("NFD", unicodedata.normalize("NFC", text).casefold())
    return " ".join(unicodedata.normalize("NFC", s.translate(_SURFACE)).split())


def tokenize(text: str) -> list[str]:
    """Split text into folded tokens."""
    return fold(text).split()


_TOKEN_CACHE: dict[str, str] = {}


def surface_tokens(text: str) -> list[tuple[str, str]]:
    """Return (folded, accented) token pairs; tokens that fold to nothing are dropped."""
    pairs = []
    for tok in surface(text).split():
        if tok.isascii():  # nothing to fold: the common case, and the bulk of index build time
            pairs.append((tok, tok))
            continue
        folded = _TOKEN_CACHE.get(tok)
        if folded is None:
            folded = fold(tok)
            if len(_TOKEN_CACHE) < 100_000:  # bounded: queries are user input
                _TOKEN_CACHE[tok] = folded
        # A token can fold to several (e.g. a symbol glued inside) or to nothing (marks only).
        for part in folded.split():
            pairs.append((part, tok if part == folded else part))
    return pairs
