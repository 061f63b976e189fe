"""Fuzz kb.load_kb with mutated copies of kb/example: it returns a KnowledgeBase or raises KbError, nothing else.

An admin edits YAML by hand; whatever they write (a key deleted, a value of the wrong type, a stray
string, a broken line), `helploop kb check` and the running bot's reload must report it, not crash.
The copies are kept small (departments.yaml whole, two entries each of it.yaml and hr.yaml) so that
each example loads in a fraction of a second.
"""
from __future__ import annotations

import copy
import datetime as dt
import math
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from kb import KbError, KnowledgeBase, load_kb
from tests.fuzz.strategies import FUZZ, fuzz
from wiring.settings import EXAMPLE_KB_DIR

ENTRY_FILES = {"it.yaml": 2, "hr.yaml": 2}  # file -> how many of its entries the copy keeps
KB_WORDS = ["it", "hr", "facilities", "nope", "", " ", "UTC", "Europe/Warsaw", "Mars/Phobos", "../../etc/passwd",
            "Etc/GMT+14", "monday", "mon", "funday", "09:00", "25:61", "09:00-17:30", "17:30-09:00", "24:00",
            "2026-01-05", "2026-02-30", "2026-12-21 09:00", "none", "oncall", "staff", "backup", "manager",
            "primary", "U0HLANNA", "U0HLNOBODY", "C0HLITTRIAGE", "it-printer", "Weird Id!", "x" * 300,
            "ąęś đ ắ 💥", "\t", "-1", "1e400", "null", "~", "yes", "no"]
kb_scalars = (st.none() | st.booleans() | st.integers(min_value=-10**6, max_value=10**6)
              | st.integers(min_value=-2**70, max_value=2**70) | st.floats()
              | st.dates() | st.datetimes() | st.text(max_size=20) | st.sampled_from(KB_WORDS))
kb_values = st.recursive(kb_scalars, lambda inner: st.lists(inner, max_size=3)
                         | st.dictionaries(st.text(max_size=8) | st.sampled_from(KB_WORDS), inner, max_size=3),
                         max_leaves=8)


def _base() -> dict[str, Any]:
    files = {"departments.yaml": yaml.safe_load((EXAMPLE_KB_DIR / "departments.yaml").read_text("utf-8"))}
    for name, keep in ENTRY_FILES.items():
        data = yaml.safe_load((EXAMPLE_KB_DIR / name).read_text("utf-8"))
        files[name] = {**data, "entries": data["entries"][:keep]}
    return files


BASE = _base()


def dump(value: Any) -> str:
    return yaml.safe_dump(value, allow_unicode=True, sort_keys=False)


def load(files: dict[str, str]) -> KnowledgeBase | KbError:
    """Write the files into a fresh directory and load it; anything but a KB or a KbError fails the test."""
    with tempfile.TemporaryDirectory(prefix="helploop-kbfuzz-") as directory:
        for name, text in files.items():
            Path(directory, name).write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            kb = load_kb(Path(directory))
        except KbError as error:
            assert error.errors and all(isinstance(line, str) and line for line in error.errors), error.errors
            return error
    assert isinstance(kb, KnowledgeBase)
    return kb


def test_the_unmutated_copy_loads():
    kb = load({name: dump(data) for name, data in BASE.items()})
    assert isinstance(kb, KnowledgeBase) and len(kb.entries) == sum(ENTRY_FILES.values())


def _containers(value: Any, path: tuple = ()) -> list[tuple[tuple, Any]]:
    """Every dict and list inside `value` (itself included), with the path to it."""
    found = [(path, value)] if isinstance(value, dict | list) and value else []
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, child in children:
        found.extend(_containers(child, (*path, key)))
    return found


def mutate(data: st.DataObject, tree: Any) -> list[str]:
    """Apply one random edit somewhere in `tree` (in place); returns what was done, for the failure message."""
    path, target = data.draw(st.sampled_from(_containers(tree)), label="where")
    key = data.draw(st.sampled_from(list(target) if isinstance(target, dict) else list(range(len(target)))),
                    label="key")
    action = data.draw(st.sampled_from(["delete", "replace", "none", "stringify", "wrap", "unknown_key",
                                        "duplicate", "empty"]), label="action")
    if action == "delete":
        del target[key]
    elif action == "replace":
        target[key] = data.draw(kb_values, label="value")
    elif action == "none":
        target[key] = None
    elif action == "stringify":
        target[key] = data.draw(st.sampled_from(KB_WORDS) | st.text(max_size=20), label="string")
    elif action == "wrap":
        target[key] = [target[key]] if data.draw(st.booleans(), label="as list") else {"x": target[key]}
    elif action == "unknown_key" and isinstance(target, dict):
        target[data.draw(st.text(max_size=10), label="new key")] = data.draw(kb_values, label="value")
    elif action == "duplicate" and isinstance(target, list):
        target.append(copy.deepcopy(target[key]))
    elif action == "empty":
        target[key] = data.draw(st.sampled_from([[], {}, ""]), label="empty")
    return [f"{action} at {(*path, key)!r}"]


@FUZZ
@given(data=st.data())
def test_a_structurally_mutated_kb_loads_or_is_reported(data):
    tree = copy.deepcopy(BASE)
    done: list[str] = []
    for _ in range(data.draw(st.integers(min_value=1, max_value=3), label="edits")):
        name = data.draw(st.sampled_from(sorted(tree)), label="file")
        if not isinstance(tree[name], dict | list) or not tree[name]:
            tree[name] = data.draw(kb_values, label="whole file")
            continue
        done += [f"{name}: {what}" for what in mutate(data, tree[name])]
    try:
        files = {name: dump(value) for name, value in tree.items()}
    except (yaml.YAMLError, ValueError, OverflowError):
        return  # not every Python value can be written as YAML; nothing to load
    load(files)


@fuzz(80)
@given(data=st.data())
def test_a_textually_mutated_kb_loads_or_is_reported(data):
    texts = {name: dump(value) for name, value in BASE.items()}
    name = data.draw(st.sampled_from(sorted(texts)), label="file")
    text = texts[name]
    start = data.draw(st.integers(min_value=0, max_value=len(text)), label="at")
    end = data.draw(st.integers(min_value=start, max_value=min(len(text), start + 40)), label="to")
    insert = data.draw(st.text(max_size=20) | st.sampled_from([": ", "- ", "\t", "  ", "\n", "{", "[", "&a", "*a",
                                                               "!!python/object:os.system", "---\n", "\x00",
                                                               "\ufeff", "%YAML 1.1\n"]), label="insert")
    texts[name] = text[:start] + insert + text[end:]
    load(texts)


@pytest.mark.parametrize("content", [b"\xff\xfe not utf-8", b"", b"- just\n- a list\n", b"entries: 5\n",
                                     b"entries:\n  - 5\n", b"a: &a [*a]\n", b"!!binary aGVsbG8=\n"])
def test_odd_entry_files_are_reported(content):
    with tempfile.TemporaryDirectory(prefix="helploop-kbfuzz-") as directory:
        Path(directory, "departments.yaml").write_text(dump(BASE["departments.yaml"]), encoding="utf-8")
        Path(directory, "odd.yaml").write_bytes(content)
        try:
            kb = load_kb(Path(directory))
        except KbError:
            return
        assert isinstance(kb, KnowledgeBase)


def test_non_finite_numbers_are_reported_not_crashing():
    for value in (math.inf, -math.inf, math.nan, 10**30, -1, dt.date(2026, 1, 1)):
        tree = copy.deepcopy(BASE)
        tree["departments.yaml"]["departments"][0]["followup_delay_hours"] = value
        tree["departments.yaml"]["matching"] = {"min_score": value}
        load({name: dump(data) for name, data in tree.items()})
