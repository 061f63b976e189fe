"""Searching the KB by words (the App Home's search box, `/helploop search`): the matcher's ranking, by department."""
from __future__ import annotations

from dataclasses import dataclass

from kb import Department, Entry, KnowledgeBase

MAX_RESULTS = 6
FLOOR = 0.5  # of the choice band's floor: a search shows weaker matches than "Did you mean …?" would


@dataclass(frozen=True)
class Found:
    """The entries of one department that match the words, best first."""

    department: Department
    entries: tuple[Entry, ...]


def search(kb: KnowledgeBase, words: str, limit: int = MAX_RESULTS) -> list[Found]:
    """The best-matching entries for `words`, grouped by department (the best department first)."""
    text = " ".join(words.split())
    if not text:
        return []
    floor = kb.settings.min_choice_score * FLOOR
    ranked = [c.entry for c in kb.match(text).candidates if c.score >= floor][:limit]
    grouped: dict[str, list[Entry]] = {}
    for entry in ranked:
        grouped.setdefault(entry.department, []).append(entry)
    return [Found(kb.departments[d], tuple(entries)) for d, entries in grouped.items() if d in kb.departments]
