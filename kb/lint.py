"""KB quality findings for `helploop kb check`: shared phrasings and phrasings another entry steals,
ranked (worst first), grouped per entry, capped with a count."""

from __future__ import annotations

import random
from dataclasses import dataclass

from kb.knowledge import KnowledgeBase
from kb.lang import language
from kb.schema import Entry
from kb.normalize import fold

# Checking every phrasing costs one leave-one-out match each (about a minute at 50,000 phrasings); a KB
# larger than this is checked on a seeded sample unless every phrasing is asked for (`kb check --all`).
CHECK_SAMPLE = 1000
STEAL_SHORTLIST = 4
SHOWN = 20  # findings printed without --all


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

    @property
    def severity(self) -> float:
        """Higher is worse: a shared phrasing always answers with the wrong entry for someone; a steal by
        the size of the other entry's lead."""
        return 100.0 if self.kind == "shared" else self.score - self.own_score

    def __str__(self) -> str:
        if self.kind == "shared":
            return f'{self.source}: {self.entry}: phrasing "{self.phrasing}" is also a phrasing of {self.other}'
        return (f'{self.source}: {self.entry}: phrasing "{self.phrasing}" matches {self.other} ({self.score:.1f}) '
                f"better than its own entry ({self.own_score:.1f})")


@dataclass(frozen=True, slots=True)
class Report:
    """Every finding, and how many phrasings the steal analysis looked at."""

    findings: list[Finding]
    checked: int
    phrasings: int


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


def steals(kb: KnowledgeBase, check_all: bool = False) -> tuple[list[Finding], int]:
    """Phrasings that, left out of the index (as calibration does), the bot would answer with another entry;
    and the number of phrasings examined (a seeded sample of CHECK_SAMPLE unless check_all)."""
    index = kb.index
    folded = [fold(p.text) for p in index.phrasings]
    owners: dict[str, set[int]] = {}
    for p, text in zip(index.phrasings, folded, strict=True):
        owners.setdefault(text, set()).add(p.entry)
    todo = [pi for pi, p in enumerate(index.phrasings)
            if len(index.entry_phrasings[p.entry]) >= 2 and len(owners[folded[pi]]) == 1]
    if not check_all and len(todo) > CHECK_SAMPLE:
        todo = sorted(random.Random(0).sample(todo, CHECK_SAMPLE))
    found: list[Finding] = []
    for pi in todo:
        p = index.phrasings[pi]
        ranked = index.score(index.query(p.text), exclude_phrasings=[pi], limit=STEAL_SHORTLIST)
        if not ranked or ranked[0].entry == p.entry:
            continue
        own = next((s.score for s in ranked if s.entry == p.entry), 0.0)
        lead = ranked[0].score - (ranked[1].score if len(ranked) > 1 else 0.0)
        if ranked[0].score < kb.settings.min_score or lead < kb.settings.min_margin:
            continue  # the bot would not answer it with the other entry: it offers choices or escalates
        entry = index.entries[p.entry]
        found.append(Finding("steal", entry.source, entry.id, p.text, index.entries[ranked[0].entry].id,
                             round(ranked[0].score, 1), round(own, 1)))
    return found, len(todo)


def lint(kb: KnowledgeBase, check_all: bool = False) -> list[Finding]:
    """Every finding, shared phrasings first, each group in file order."""
    return shared_phrasings(kb) + steals(kb, check_all)[0]


def report(kb: KnowledgeBase, check_all: bool = False) -> Report:
    """Findings ranked worst first (entries with the worst finding first, an entry's findings together)."""
    stolen, checked = steals(kb, check_all)
    findings = shared_phrasings(kb) + stolen
    worst: dict[str, float] = {}
    for f in findings:
        worst[f.entry] = max(worst.get(f.entry, 0.0), f.severity)
    findings.sort(key=lambda f: (-worst[f.entry], f.entry, -f.severity))
    return Report(findings, checked, len(kb.index.phrasings))


def answer_languages(entry: Entry) -> set[str]:
    """The languages an entry answers in: its per-language answers, else the language its one answer is
    written in (vi or pl by their letters and words, otherwise taken as en)."""
    return set(entry.answers) or {language(entry.answer.casefold()) or "en"}


def missing_languages(kb: KnowledgeBase, show_all: bool = False) -> list[str]:
    """Entries without an answer in a language that other entries of the KB answer in (one line each)."""
    answered = {entry.id: answer_languages(entry) for entry in kb.entries.values()}
    languages = sorted(set().union(*answered.values())) if answered else []
    lines = [f"entry {entry.id} ({entry.source}): no answer in {', '.join(missing)} (other entries have one; "
             f"it answers in its first language)"
             for entry in kb.entries.values() if (missing := [c for c in languages if c not in answered[entry.id]])]
    if len(lines) > SHOWN and not show_all:
        lines = lines[:SHOWN] + [f"... and {len(lines) - SHOWN} more entries missing a language "
                                 "(kb check --all shows every one)"]
    return lines


def render(rep: Report, load_warnings: list[str], show_all: bool = False) -> list[str]:
    """Warning lines for `kb check`: loader warnings, then findings grouped per entry, capped at SHOWN."""
    lines = [f"warning: {w}" for w in load_warnings]
    shown = rep.findings if show_all else rep.findings[:SHOWN]
    current = None
    for f in shown:
        if f.entry != current:
            n = sum(1 for g in rep.findings if g.entry == f.entry)
            lines.append(f"entry {f.entry} ({f.source}): {n} finding{'s' if n != 1 else ''}")
            current = f.entry
        lines.append(f"  warning: {f}")
    hidden = len(rep.findings) - len(shown)
    if hidden:
        lines.append(f"... and {hidden} more finding{'s' if hidden != 1 else ''} (kb check --all shows every one)")
    if rep.checked < rep.phrasings and not show_all:
        lines.append(f"note: steal analysis on a sample of {rep.checked:,} of {rep.phrasings:,} phrasings "
                     f"(kb check --all checks every one)")
    return lines
