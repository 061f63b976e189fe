"""Which department gets a request the KB cannot answer confidently."""
from __future__ import annotations

from kb import KnowledgeBase, MatchResult, fold

# A best candidate this strong, with no other department's candidate close behind, names the
# department even when it is not confident enough to answer.
CLEAR_SCORE = 45.0
CLEAR_MARGIN = 8.0


def route(kb: KnowledgeBase, result: MatchResult, text: str) -> str:
    """Department id: the answering entry's, else a clear best candidate's, else keywords, else default."""
    if result.entry is not None:
        return result.entry.department
    clear = _clear_candidate_department(result)
    if clear is not None:
        return clear
    return _keyword_department(kb, text) or kb.default_department


def _clear_candidate_department(result: MatchResult) -> str | None:
    if result.best is None or result.best_score < CLEAR_SCORE:
        return None
    department = result.best.department
    for candidate in result.candidates:
        if candidate.entry.department != department and candidate.score > result.best_score - CLEAR_MARGIN:
            return None
    return department


def _keyword_department(kb: KnowledgeBase, text: str) -> str | None:
    words = set(fold(text).split())
    padded = f" {fold(text)} "
    hits: dict[str, int] = {}
    for department in kb.departments.values():
        count = 0
        for keyword in department.keywords:
            folded = fold(keyword)
            # Multi-word keywords match as phrases; single words as whole words.
            if folded and (folded in words or (" " in folded and f" {folded} " in padded)):
                count += 1
        if count:
            hits[department.id] = count
    if not hits:
        return None
    ranked = sorted(hits.items(), key=lambda item: item[1], reverse=True)
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return None
    return ranked[0][0]
