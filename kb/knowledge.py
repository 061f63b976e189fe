"""KnowledgeBase: the loaded entries and departments plus the matcher built over them."""

from __future__ import annotations

import dataclasses
import re

from kb.calibrate import MAX_CHOICES, MatchSettings, calibrate
from kb.lang import language
from kb.matcher import CANDIDATES, Candidate, Index, MatchResult, Scored
from kb.normalize import fold, surface
from kb.schema import Department, Entry, MatchingOverride

MAX_PARTS = 6  # a message split into more pieces than this is a paste, not a list of questions
# Where one question ends and the next begins: sentence ends and line breaks, then "and"-like joiners.
_SENTENCES = re.compile(r"[?!;\n]+|\.(?:\s|$)+")
_JOINERS = {
    "": r"\b(?:and also|and|also|plus|as well as)\b",
    "pl": r"\b(?:oraz|a także|a takze|i jeszcze|i|plus|a do tego)\b",
    "vi": r"\b(?:và|va|với lại|voi lai|còn|con nua|ngoài ra|ngoai ra|thêm nữa|them nua|với cả|voi ca)\b",
}


class KnowledgeBase:
    """Validated KB; build it with kb.load_kb()."""

    def __init__(
        self,
        entries: dict[str, Entry],
        departments: dict[str, Department],
        default_department: str,
        warnings: list[str] | None = None,
        files: list[str] | None = None,
        override: MatchingOverride | None = None,
    ) -> None:
        self.entries = entries
        self.departments = departments
        self.default_department = default_department
        self.warnings = list(warnings or [])
        self.files = list(files or [])
        self.index = Index(list(entries.values()))
        self.settings = self._settings(override or MatchingOverride())

    def _settings(self, override: MatchingOverride) -> MatchSettings:
        given = {k: v for k, v in (("min_score", override.min_score), ("min_margin", override.min_margin),
                                   ("min_choice_score", override.min_choice_score)) if v is not None}
        if override.min_score is not None and override.min_margin is not None:
            # Both answer thresholds given: skip the leave-one-out work entirely.
            choice = given.get("min_choice_score", round(0.7 * override.min_score, 1))
            return MatchSettings(override.min_score, override.min_margin, "departments.yaml",
                                 min_choice_score=min(choice, override.min_score))
        auto = calibrate(self.index)
        if not given:
            return auto
        merged = dataclasses.replace(auto, **given, source="departments.yaml",
                                     detail=f"partly {auto.source}" + (f": {auto.detail}" if auto.detail else ""))
        if "min_choice_score" not in given and merged.min_choice_score > merged.min_score:
            merged = dataclasses.replace(merged, min_choice_score=merged.min_score)
        # The calibration's expectations were for its own thresholds, not these.
        return dataclasses.replace(merged, expected_precision=None, expected_recall=None,
                                   expected_choice_recall=None, expected_unknown_offered=None)

    # -- matching ---------------------------------------------------------------------------

    def match(self, question: str) -> MatchResult:
        """Best entry for a question, in one of three bands: answer (result.entry), offer choices
        (result.choices) or escalate. A message asking several things gets result.parts (see MatchResult)."""
        whole = self._match_one(question)
        parts = self._parts(question)
        if not parts:
            return whole
        return dataclasses.replace(whole, entry=None, score=0.0, choices=[], related=[], parts=parts)

    def match_all(self, text: str) -> list[MatchResult]:
        """One result per question of the message: result.parts for a multi-question message, else [result]."""
        result = self.match(text)
        return result.parts or [result]

    def _match_one(self, question: str) -> MatchResult:
        idx = self.index
        ranked = idx.score(idx.query(question))
        if not ranked:
            return MatchResult(None, 0.0, None, 0.0, None, [], text=question)
        candidates = [self._candidate(s) for s in ranked[:CANDIDATES]]
        top = candidates[0]
        runner_up = ranked[1].score if len(ranked) > 1 else 0.0
        margin = round(ranked[0].score - runner_up, 1)
        s = self.settings
        confident = ranked[0].score >= s.min_score and margin >= s.min_margin
        choices = [] if confident else self._choices(candidates)
        related = [self.entries[r] for r in top.entry.related if r in self.entries] if confident else []
        return MatchResult(
            entry=top.entry if confident else None,
            score=top.score if confident else 0.0,
            best=top.entry,
            best_score=top.score,
            phrasing=top.phrasing,
            candidates=candidates,
            margin=margin,
            choices=choices,
            related=related,
            text=question,
        )

    def _candidate(self, s: Scored) -> Candidate:
        idx = self.index
        text = idx.phrasings[s.phrasing].text if s.phrasing >= 0 else idx.entries[s.entry].questions[0]
        return Candidate(idx.entries[s.entry], round(s.score, 1), text)

    def _choices(self, candidates: list[Candidate]) -> list[Candidate]:
        # Not confident enough to answer but above the choice band's floor: let the employee pick.
        best = candidates[0].score
        s = self.settings
        if best < s.min_choice_score:
            return []
        return [c for c in candidates[:MAX_CHOICES] if c.score >= best - s.choice_window]

    # -- several questions in one message ---------------------------------------------------

    def _parts(self, text: str) -> list[MatchResult]:
        """Results for the message's questions when it asks two or more things the KB answers with
        different entries; [] for a single question (then the whole message is matched as one).

        Rule: split at sentence ends, line breaks and joiners ("and", "oraz", "và"...); merge neighbouring
        pieces that match the same entry; pieces below the choice band (greetings, thanks) are dropped. It is a
        multi-question message when two pieces are answered outright with different entries, or when three
        pieces reach the choice band with different best entries and one of them is answered outright.
        """
        pieces = split_questions(text)
        if len(pieces) < 2 or len(pieces) > MAX_PARTS:
            return []
        results = [self._match_one(p) for p in pieces]
        merged: list[MatchResult] = []
        for piece, r in zip(pieces, results, strict=True):
            if r.best is None or r.best_score < self.settings.min_choice_score:
                continue  # not a question the KB knows anything about: context, greeting, thanks
            if merged and merged[-1].best is not None and merged[-1].best.id == r.best.id:
                merged[-1] = self._match_one(f"{merged[-1].text} {piece}")
                continue
            merged.append(r)
        known = {r.best.id for r in merged if r.best is not None}  # every kept piece is at least in the choice band
        confident = {r.entry.id for r in merged if r.entry is not None}
        return merged if len(confident) >= 2 or (len(known) >= 3 and confident) else []


def split_questions(text: str) -> list[str]:
    """The message cut at sentence ends, line breaks and joiners; pieces without a letter are dropped."""
    lang = language(surface(text[:2000]))
    joiner = re.compile(_JOINERS.get(lang, _JOINERS[""]) + (("|" + _JOINERS[""]) if lang else ""), re.IGNORECASE)
    out = []
    for sentence in _SENTENCES.split(text[:2000]):
        for piece in joiner.split(sentence):
            piece = piece.strip(" ,:-–—\t")
            if any(ch.isalnum() for ch in piece) and fold(piece):
                out.append(piece)
    return out
