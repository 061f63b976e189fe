"""KB quality findings for `helploop kb check`: shared phrasings and phrasings another entry steals."""

from __future__ import annotations

from dataclasses import dataclass

from kb.calibrate import leave_one_out
from kb.knowledge import KnowledgeBase
from kb.matcher import Index
from kb.normalize import fold

# kb check scores every phrasing once; the full shortlist (20) would make a 50,000-phrasing KB take
# about a minute. A thief must share the phrasing's rarest words, so it is among the first few.
STEAL_SHORTLIST = 4


@dataclass(frozen=True, slots=True)
class Finding:
    """One warning about an entry: kind is "shared" or "steal"; other is the entry involved."""

    kind: str
    source: str  # the entry's file, as shown in messages
    entry: str
    phrasing: str
    other: str
    score: float = 0.0  # steal: the other entry's score
    own_score: float = 0.0  # steal: the entry's own score without this phrasing

    def __str__(self) -> str:
        if self.kind == "shared":
            return f'{self.source}: {self.entry}: phrasing "{self.phrasing}" is also a phrasing of {self.other}'
        return (f'{self.source}: {self.entry}: phrasing "{self.phrasing}" matches {self.other} ({self.score:.1f}) '
                f"better than its own entry ({self.own_score:.1f})")


def shared_phrasings(kb: KnowledgeBase) -> list[Finding]:
    """Phrasings that two or more entries use (compared after folding), reported on the later entries."""
    first: dict[str, str] = {}
    found: list[Finding] = []
    for entry in kb.entries.values():
        for text in dict.fromkeys(fold(q) for q in entry.questions):  # a repeat inside one entry is harmless
            owner = first.setdefault(text, entry.id)
            if owner != entry.id:
                original = next(q for q in entry.questions if fold(q) == text)
                found.append(Finding("shared", entry.source, entry.id, original, owner))
    return found


def steals(kb: KnowledgeBase) -> list[Finding]:
    """Phrasings that, left out of the index (as calibration does), match another entry best at >= min_score."""
    index = kb.index
    folded = [fold(p.text) for p in index.phrasings]
    owners: dict[str, set[int]] = {}
    for p, text in zip(index.phrasings, folded, strict=True):
        owners.setdefault(text, set()).add(p.entry)
    found: list[Finding] = []
    for pi, p in enumerate(index.phrasings):
        if len(index.entry_phrasings[p.entry]) < 2 or len(owners[folded[pi]]) > 1:
            continue  # nothing left to compare with, or already reported as shared
        if not _contested(index, pi):
            continue
        ranked = leave_one_out(index, pi, STEAL_SHORTLIST)
        if not ranked or ranked[0].entry == p.entry:
            continue
        own = next((s.score for s in ranked if s.entry == p.entry), 0.0)
        if ranked[0].score <= own or ranked[0].score < kb.settings.min_score:
            continue  # a tie sorted by position, or a thief the bot would not answer with anyway
        entry = index.entries[p.entry]
        found.append(Finding("steal", entry.source, entry.id, p.text, index.entries[ranked[0].entry].id,
                             round(ranked[0].score, 1), round(own, 1)))
    return found


def _contested(index: Index, pi: int) -> bool:
    """False when no rival can beat pi's own entry: its exact score vs. cheap rival upper bounds."""
    p = index.phrasings[pi]
    tokens = index.query(p.text)
    query_terms = {t for tok in tokens for t, _ in tok.matches}
    rivals = index.shortlist(tokens, exclude_entry=p.entry, limit=STEAL_SHORTLIST)
    own = index.score_entry(tokens, p.entry, query_terms, exclude_phrasing=pi)
    floor = own.score if own is not None else 0.0
    return any(index.upper_bound(tokens, ei, floor) > floor for ei in rivals)


def lint(kb: KnowledgeBase) -> list[Finding]:
    """Every finding, shared phrasings first, each group in file order."""
    return shared_phrasings(kb) + steals(kb)
