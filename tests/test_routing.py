"""Routing of questions the KB cannot answer: clear best candidate, then keywords, then the default."""
from __future__ import annotations

import pytest

from bot.routing import CLEAR_MARGIN, CLEAR_SCORE, route
from wiring.settings import EXAMPLE_KB_DIR
from kb import Candidate, MatchResult, load_kb


@pytest.fixture(scope="module")
def kb():
    return load_kb(EXAMPLE_KB_DIR)


def _entry(kb, department: str):
    return next(e for e in kb.entries.values() if e.department == department)


def _unconfident(best, score: float, *others: tuple[object, float]) -> MatchResult:
    candidates = [Candidate(best, score, best.questions[0])] + [Candidate(e, s, e.questions[0]) for e, s in others]
    return MatchResult(entry=None, score=0.0, best=best, best_score=score, phrasing=best.questions[0],
                       candidates=candidates)


def test_a_confident_answer_routes_to_its_entry(kb):
    hr = _entry(kb, "hr")
    result = MatchResult(entry=hr, score=90, best=hr, best_score=90, phrasing=hr.questions[0])
    assert route(kb, result, "whatever") == "hr"


def test_a_clear_unconfident_best_candidate_names_the_department(kb):
    finance, it = _entry(kb, "finance"), _entry(kb, "it")
    result = _unconfident(finance, CLEAR_SCORE + 5, (it, CLEAR_SCORE + 5 - CLEAR_MARGIN - 1))
    assert route(kb, result, "zzz") == "finance"


def test_close_candidates_from_two_departments_fall_back_to_keywords(kb):
    finance, it = _entry(kb, "finance"), _entry(kb, "it")
    result = _unconfident(finance, CLEAR_SCORE + 5, (it, CLEAR_SCORE + 4))
    assert route(kb, result, "my urlop request is stuck") == "hr"  # "urlop" is an HR keyword


def test_keywords_match_without_diacritics_and_as_phrases(kb):
    nothing = MatchResult(entry=None, score=0, best=None, best_score=0, phrasing=None)
    assert route(kb, nothing, "cho em hoi ve hop dong lao dong") == "hr"       # hợp đồng
    assert route(kb, nothing, "the meeting room screen is dead") == "facilities"


def test_nothing_clear_goes_to_the_default_department(kb):
    nothing = MatchResult(entry=None, score=0, best=None, best_score=0, phrasing=None)
    assert route(kb, nothing, "hello there") == kb.default_department == "it"
