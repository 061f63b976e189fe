"""KbError and the translation of pydantic errors into one readable line each."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError


class KbError(Exception):
    """The knowledge base is invalid; `.errors` holds every problem, one line each."""

    def __init__(self, errors: Iterable[str]) -> None:
        self.errors: list[str] = list(errors)
        super().__init__("\n".join(self.errors))

    def __str__(self) -> str:
        return "\n".join(self.errors)


def show_path(path: Path) -> str:
    """Return path relative to the current directory when it lies below it, else as given."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except (ValueError, OSError):
        return str(path)


# Fields whose "missing", "wrong type" and "empty" problems all mean the same thing to an author.
_NON_EMPTY_LISTS = {"questions", "staff", "members", "rotation.members", "departments"}

_TYPE_NAMES = {
    "string_type": "a string",
    "list_type": "a list",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "date_type": "a date (YYYY-MM-DD)",
    "date_parsing": "a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "a date (YYYY-MM-DD)",
    "date_from_datetime_inexact": "a date without a time (YYYY-MM-DD)",
    "time_type": 'a time ("HH:MM")',
    "time_parsing": 'a time ("HH:MM")',
}


def field_path(loc: Iterable[Any]) -> str:
    """Render a pydantic loc like ('rotation', 'members', 2) as 'rotation.members[2]'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _message(err: dict[str, Any]) -> str:
    kind = err["type"]
    loc = err["loc"]
    field = field_path(loc)
    ctx = err.get("ctx") or {}
    value = err.get("input")
    if field in _NON_EMPTY_LISTS and kind in {"missing", "list_type", "too_short"}:
        return f"{field} must be a non-empty list"
    if kind == "missing":
        return f"{field} is required"
    if kind in {"value_error", "assertion_error"}:
        text = str(ctx.get("error", err["msg"]))
        return f"{field} {text}" if field else text
    if kind in _TYPE_NAMES:
        return f"{field} must be {_TYPE_NAMES[kind]}, got {_describe(value)}"
    if kind == "too_short":
        return f"{field} must not be empty"
    for bound, words in (("gt", "greater than"), ("ge", "at least"), ("lt", "less than"), ("le", "at most")):
        if bound in ctx:
            limit = ctx[bound]
            shown = f"{limit:g}" if isinstance(limit, float) else str(limit)
            return f"{field} must be {words} {shown}, got {_describe(value)}"
    return f"{field} {err['msg'][:1].lower()}{err['msg'][1:]}".strip()


def translate(prefix: str, exc: ValidationError) -> list[str]:
    """Turn a ValidationError into readable lines starting with prefix (file and item)."""
    lines = []
    for err in exc.errors(include_url=False):
        line = f"{prefix}: {_message(err)}"
        if line not in lines:  # alias choices can report one problem twice
            lines.append(line)
    return lines
