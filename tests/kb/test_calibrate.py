"""Threshold calibration: picked from leave-one-out trials, defaults for tiny KBs."""

from __future__ import annotations

from kb import Entry, KnowledgeBase
from kb.calibrate import DEFAULT_MIN_MARGIN, DEFAULT_MIN_SCORE, Sample, choose


def test_choose_maximises_correct_answers_at_target_precision() -> None:
    samples = (
        [Sample(90, 30, True)] * 10  # confident and right
        + [Sample(60, 20, True)] * 10  # medium and right
        + [Sample(60, 20, False, in_scope=False)] * 1  # one medium mistake: 20/21 = 0.952 precision
        + [Sample(80, 3, False, in_scope=False)] * 10  # high score but no lead: only the margin can exclude these
    )
    min_score, min_margin, precision, recall = choose(samples, target=0.95)
    assert 50 < min_score <= 60
    assert 3 < min_margin <= 20
    assert precision == 20 / 21 and recall == 1.0
    # A stricter target drops the medium band.
    min_score, _, precision, recall = choose(samples, target=0.99)
    assert 60 < min_score <= 90 and precision == 1.0 and recall == 0.5


def test_choose_gives_up_without_positives() -> None:
    assert choose([Sample(80, 30, False)] * 5, target=0.9) is None


def test_tiny_kb_uses_defaults(write_kb) -> None:  # type: ignore[no-untyped-def]
    from kb import load_kb

    kb = load_kb(write_kb())
    assert (kb.settings.min_score, kb.settings.min_margin, kb.settings.source) == (
        DEFAULT_MIN_SCORE, DEFAULT_MIN_MARGIN, "default")


def test_mid_size_kb_is_calibrated_and_still_answers() -> None:
    topics = ["printer", "vpn", "payslip", "laptop", "badge", "parking", "invoice", "vacation", "wifi", "monitor",
              "keyboard", "locker", "expense", "contract", "pension", "desk", "email", "phone", "coffee", "shuttle"]
    actions = ["broken", "reset", "request", "lost", "access"]
    entries = {}
    for t in topics:
        for a in actions:
            eid = f"{t}-{a}"
            qs = [f"{t} {a}", f"my {t} {a} please", f"how to handle {a} {t}", f"{a} of the {t}", f"{t} needs {a}"]
            entries[eid] = Entry(id=eid, department="it", questions=qs, answer="x", source="t")
    kb = KnowledgeBase(entries, {}, "it")
    assert kb.settings.source == "calibrated"
    assert 35 <= kb.settings.min_score <= 90 and 2 <= kb.settings.min_margin <= 30
    assert kb.match("the printer is broken again").entry.id == "printer-broken"
    assert kb.match("printer").entry is None  # five printer entries: ambiguous
