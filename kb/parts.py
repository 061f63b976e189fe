"""Several questions in one message: split it, decide per part, never answer one part of it only.

"my chair squeaks and I need a new monitor and VPN" asks three things. The message is cut at sentence ends,
line breaks, ";" and joiners ("and", "i", "oraz", "a także", "và", "và cả"...); pleasantries are dropped;
neighbouring pieces about the same entry are merged back (context of one question). Then:

- one question left: the whole message is matched as one (`[]` here);
- every question confidently answered by a different entry: one result per question (answer each);
- two pieces answered by different entries, not all of them: escalate (the results are returned with a part
  that has no answer; a bot that looks only at `entry`/`choices` escalates too);
- the whole message would be answered with one entry although another piece asks about something else (the
  KB answers it with another entry, or it names a subject the entry never mentions): escalate, instead of
  answering one of its parts only;
- else the other pieces are context of one question ("... and I cannot log in"): `[]`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from kb.lang import language
from kb.matcher import STOPWORDS, MatchResult
from kb.normalize import fold, surface
from kb.schema import Entry

MAX_PARTS = 6  # a message split into more pieces than this is a paste, not a list of questions
MAX_CHARS = 2000
# Where one question ends and the next begins: sentence ends, ";" and line breaks, then "and"-like joiners.
_SENTENCES = re.compile(r"[?!;\n]+|(?<!\d)\.(?:\s|$)+")  # not after a digit: "na 5. piętrze" is one place
_JOINERS = {
    "": r"\b(?:and also|and|also|plus|as well as)\b",
    "pl": r"\b(?:oraz|a także|a takze|i jeszcze|i|plus|a do tego|ponadto)\b",
    # Not a bare "còn": "còn lại" is "remaining", "còn giấy không" "is there still paper".
    "vi": r"\b(?:và cả|va ca|và|va|với lại|voi lai|với cả|voi ca|còn nữa|con nua|ngoài ra|ngoai ra|thêm nữa|them nua)\b",
}
# Greetings and thanks (folded): a piece made only of these and filler words asks nothing.
PLEASANTRIES = frozenset(
    "hi hello hey hiya thanks thank thx ty cheers please pls plz good morning evening afternoon regards best "
    "advance appreciated appreciate dear all team folks guys anyone somebody someone urgent asap "
    "czesc dzien dobry witam witajcie dzieki dziekuje dziekuje pozdrawiam prosze gory pilne hej siema "
    "chao xin cam on nhe nha a oi anh chi em ban moi nguoi giup voi gap".split()
)
# Words that point back at something named before: a piece using them continues the previous question.
# Not "to", "do", "no": English uses them everywhere ("how do I book a desk" is a question of its own).
BACK_REFERENCES = frozenset("it this that these those them why tego tej tym je go dlaczego czemu nay vay sao".split())
# Words that describe a symptom of whatever was named before ("... and it doesn't work"), not a new subject.
GENERIC = frozenset(
    "cannot doesn didn won wont work works working worked broken problem problems issue issues anymore since "
    "tried able unable nothing something anything thing things still seems keep keeps anyone anybody "
    "log login logon sign signin access open use "
    "nie dziala dzialaja dzialal problem problemu problemy moge mozna nadal ciagle wciaz zalogowac "
    "zalogowac wejsc dostepu dostep otworzyc "
    "khong duoc loi van hoai roi sao the nao gi dang nhap vao mo".split()
)


def split_questions(text: str) -> list[str]:
    """The message cut at sentence ends, line breaks and joiners; pieces without a letter are dropped."""
    lang = language(surface(text[:MAX_CHARS]))
    joiner = re.compile(_JOINERS.get(lang, _JOINERS[""]) + (("|" + _JOINERS[""]) if lang else ""), re.IGNORECASE)
    out = []
    for sentence in _SENTENCES.split(text[:MAX_CHARS]):
        for piece in joiner.split(sentence):
            piece = piece.strip(" ,:-–—\t")
            if any(ch.isalnum() for ch in piece) and fold(piece):
                out.append(piece)
    return out


def content_words(text: str) -> list[str]:
    """Folded words of a piece that say what it is about (no filler, no greetings, no one- or two-letter words)."""
    return [w for w in fold(text).split() if len(w) >= 3 and w not in STOPWORDS and w not in PLEASANTRIES]


def split_message(text: str, match_one: Callable[[str], MatchResult], choice_floor: float,
                  whole: MatchResult | None = None) -> list[MatchResult]:
    """One result per question of a message that asks several things (see the module docstring); [] for a
    message that asks one thing. A returned list whose results are not all answered means: escalate."""
    pieces = split_questions(text)
    if len(pieces) < 2 or len(pieces) > MAX_PARTS:
        return []
    questions = _questions(pieces, match_one, choice_floor)
    if len(questions) < 2:
        return []
    # A piece answered on the strength of one word ("... was denied") is not sure to be a question of its own.
    answered = {r.entry.id for r in questions if r.entry is not None and len(_subject_words(r.text)) >= 2}
    if all(r.entry is not None for r in questions) and len({r.entry.id for r in questions}) == len(questions) \
            or len(answered) >= 2:  # type: ignore[union-attr]
        return questions  # each answered with its own entry, or two different answers for one message
    whole = match_one(text) if whole is None else whole
    if whole.entry is None:
        return []  # not answered as a whole: choices or a person, as for any question
    # Answered with one entry: only if every other piece is context for that entry.
    if any(_asks_something_else(r, whole.entry, choice_floor) for r in questions):
        return questions
    return []


def _subject_words(text: str) -> list[str]:
    return [w for w in content_words(text) if w not in GENERIC]


def _questions(pieces: Sequence[str], match_one: Callable[[str], MatchResult],
               choice_floor: float) -> list[MatchResult]:
    """Pieces that ask something, neighbours about the same entry merged into one question."""
    merged: list[MatchResult] = []
    for piece in pieces:
        if not content_words(piece):
            continue  # greeting, thanks, filler
        if merged and _follows_up(piece):  # "... How do I activate it?": the same question
            merged[-1] = match_one(f"{merged[-1].text} {piece}")
            continue
        r = match_one(piece)
        known = r.best is not None and r.best_score >= choice_floor
        last = merged[-1] if merged else None
        if known and last is not None and last.best is not None and last.best_score >= choice_floor \
                and last.best.id == r.best.id:  # type: ignore[union-attr]
            merged[-1] = match_one(f"{last.text} {piece}")
            continue
        merged.append(r)
    return merged


def _follows_up(piece: str) -> bool:
    """The piece points back at what came before ("it", "this", "why", "dlaczego", "vậy") and names at most one
    thing itself."""
    words = fold(piece).split()
    return any(w in BACK_REFERENCES for w in words) and len(_subject_words(piece)) <= 1


def _asks_something_else(r: MatchResult, entry: Entry, choice_floor: float) -> bool:
    """True when a piece is not about the entry the whole message would be answered with: the KB answers it
    with another entry, or it names something the entry never mentions (unless the entry is among the piece's
    close candidates)."""
    if r.entry is not None:
        return r.entry.id != entry.id
    unexplained = [w for w in content_words(r.text) if w not in GENERIC and not _explains(entry, w)]
    if r.best is not None and r.best_score >= choice_floor:
        if entry.id in {c.entry.id for c in r.candidates[:3] if c.score >= choice_floor}:
            return False
    return bool(unexplained)


def _explains(entry: Entry, word: str) -> bool:
    """The entry's phrasings or keywords use the word (or, for a long word, one with its first five letters)."""
    vocabulary = _vocabulary(entry)
    return word in vocabulary or (len(word) >= 5 and word[:5] in vocabulary)


def _vocabulary(entry: Entry) -> frozenset[str]:
    words = {w for text in (*entry.questions, *entry.keywords) for w in fold(text).split()}
    return frozenset(words | {w[:5] for w in words if len(w) >= 5})
