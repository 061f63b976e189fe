"""departments.yaml `feedback:`: ratings sampling, cooldown, re-check and pulse settings, with readable errors."""
from __future__ import annotations

import pytest

from conftest import DEPARTMENTS, WriteKb
from kb import KbError, load_kb
from kb.schema import Feedback


def _with(block: str) -> str:
    deps = DEPARTMENTS.replace("    name: IT\n", f"    name: IT\n{block}", 1)
    assert deps != DEPARTMENTS
    return deps


def test_feedback_defaults_ask_every_confirmed_fix_and_nothing_else(write_kb: WriteKb) -> None:
    feedback = load_kb(write_kb()).departments["it"].feedback
    assert feedback == Feedback(sample_rate=1.0, cooldown_days=0, recheck_days=None, pulse_days=None)


def test_feedback_settings_load(write_kb: WriteKb) -> None:
    block = ("    feedback: {sample_rate: 0.25, cooldown_days: 14, recheck_days: 7, pulse_days: 30,\n"
             "               pulse_sample: 10, pulse_lookback_days: 60}\n")
    feedback = load_kb(write_kb(departments=_with(block))).departments["it"].feedback
    assert (feedback.sample_rate, feedback.cooldown_days, feedback.recheck_days, feedback.pulse_days,
            feedback.pulse_sample, feedback.pulse_lookback_days) == (0.25, 14, 7, 30, 10, 60)


def test_an_unknown_feedback_key_is_an_error_naming_the_right_one(write_kb: WriteKb) -> None:
    with pytest.raises(KbError) as info:
        load_kb(write_kb(departments=_with("    feedback: {sample_rat: 0.5}\n")))
    assert any("departments[0] (it): feedback: unknown field 'sample_rat' (did you mean 'sample_rate'?)" in e
               for e in info.value.errors), info.value.errors


@pytest.mark.parametrize("block", ["{sample_rate: 1.5}", "{sample_rate: -0.1}", "{cooldown_days: -1}",
                                   "{recheck_days: 0}", "{pulse_days: 0}"])
def test_out_of_range_feedback_settings_are_errors(write_kb: WriteKb, block: str) -> None:
    with pytest.raises(KbError) as info:
        load_kb(write_kb(departments=_with(f"    feedback: {block}\n")))
    assert any("feedback" in e for e in info.value.errors), info.value.errors
