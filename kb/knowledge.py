"""KnowledgeBase: the loaded entries and departments plus the matcher built over them."""

from __future__ import annotations

import dataclasses

from kb.calibrate import MAX_CHOICES, MatchSettings, calibrate
from kb.matcher import CANDIDATES, Candidate, Index, MatchResult, Scored
from kb.parts import split_message
from kb.schema import Department, Entry, MatchingOverride


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
        parts = self._parts(question, whole)
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

    def _parts(self, text: str, whole: MatchResult) -> list[MatchResult]:
        """Results for the message's questions when it asks several things (kb/parts.py); [] for one question."""
        return split_message(text, self._match_one, self.settings.min_choice_score, whole)
