"""Today's matcher (commit 451807c: kb/matcher.py, calibrate.py, knowledge.py, normalize.py), frozen for side-by-side benchmarks.

Not used by the bot. `LegacyKnowledgeBase(entries, override)` matches like kb.KnowledgeBase did before issue 9.
"""

from bench.legacy.knowledge import KnowledgeBase as LegacyKnowledgeBase

__all__ = ["LegacyKnowledgeBase"]
