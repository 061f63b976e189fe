"""Knowledge base: YAML -> validated entries -> normalised index -> matcher (pure, no I/O besides reading the KB)."""

from kb.calibrate import MatchSettings
from kb.errors import KbError
from kb.knowledge import KnowledgeBase
from kb.loader import load_kb
from kb.matcher import Candidate, MatchResult
from kb.normalize import fold, tokenize
from kb.schedule import AfterHours, Escalation, Layer, OnCall, Override, WorkingHours
from kb.schema import Department, Entry, Rotation

__all__ = [
    "AfterHours",
    "Escalation",
    "Layer",
    "OnCall",
    "Override",
    "WorkingHours",
    "Candidate",
    "Department",
    "Entry",
    "KbError",
    "KnowledgeBase",
    "MatchResult",
    "MatchSettings",
    "Rotation",
    "fold",
    "load_kb",
    "tokenize",
]
