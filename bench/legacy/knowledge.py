"""KnowledgeBase: the loaded entries and departments plus the matcher built over them."""

from __future__ import annotations

from bench.legacy.calibrate import MatchSettings, calibrate
from bench.legacy.matcher import Candidate, Index, MatchResult, CANDIDATES
from kb.schema import Department, Entry, MatchingOverride


MAX_CHOICES = 3
CHOICE_FLOOR = 0.85   # offer choices when the best scores at least this share of the answer threshold
CHOICE_WINDOW = 2.0   # ... and the choices lie within this many answer margins of the best


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
        if override.min_score is not None and override.min_margin is not None:
            # Both given: skip the leave-one-out work entirely.
            return MatchSettings(override.min_score, override.min_margin, "departments.yaml")
        auto = calibrate(self.index)
        if override.min_score is None and override.min_margin is None:
            return auto
        return MatchSettings(
            override.min_score if override.min_score is not None else auto.min_score,
            override.min_margin if override.min_margin is not None else auto.min_margin,
            "departments.yaml",
            f"partly {auto.source}: {auto.detail}" if auto.detail else f"partly {auto.source}",
        )

    def match(self, question: str) -> MatchResult:
        """Best entry for a question; result.entry is None when the bot should escalate."""
        ranked = self.index.score(self.index.query(question))
        if not ranked:
            return MatchResult(None, 0.0, None, 0.0, None, [])
        idx = self.index
        candidates = [
            Candidate(idx.entries[s.entry], round(s.score, 1), idx.phrasings[s.phrasing].text)
            for s in ranked[:CANDIDATES]
        ]
        top = candidates[0]
        runner_up = ranked[1].score if len(ranked) > 1 else 0.0
        margin = round(ranked[0].score - runner_up, 1)
        confident = ranked[0].score >= self.settings.min_score and margin >= self.settings.min_margin
        choices = [] if confident else self._choices(candidates)
        return MatchResult(
            entry=top.entry if confident else None,
            score=top.score if confident else 0.0,
            best=top.entry,
            best_score=top.score,
            phrasing=top.phrasing,
            candidates=candidates,
            margin=margin,
            choices=choices,
        )

    def _choices(self, candidates: list[Candidate]) -> list[Candidate]:
        # Nearly good enough to answer but not clearly ahead: let the employee pick among the close ones.
        best = candidates[0].score
        if best < CHOICE_FLOOR * self.settings.min_score:
            return []
        close = [c for c in candidates[:MAX_CHOICES] if c.score >= best - CHOICE_WINDOW * self.settings.min_margin]
        return close if len(close) >= 2 else []
