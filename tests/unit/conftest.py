"""Fixtures for the pure unit layer: the example knowledge base, loaded once."""
from __future__ import annotations

from pathlib import Path

import pytest

from kb import KnowledgeBase, load_kb

EXAMPLE_KB = Path(__file__).resolve().parents[2] / "kb" / "example"


@pytest.fixture(scope="session")
def example_kb() -> KnowledgeBase:
    """kb/example: departments it, hr, facilities, finance (read-only; do not mutate)."""
    return load_kb(EXAMPLE_KB)
