"""Logic of `helploop kb gaps`, `kb drafts` and the drafts part of `kb check`, on streams."""
from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

from cli import dbtool
from cli.render import show, table
from kb import KbError, KnowledgeBase, load_kb
from kb.drafts import Draft, load_drafts
from kb.errors import show_path
from storage.engine import make_sessions

DEFAULT_SINCE = "30d"
_AGO = re.compile(r"(\d+)\s*([hdw])")
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}
_EXAMPLE_WIDTH = 70


def parse_since(text: str, now: datetime) -> datetime:
    """`30d`, `12h`, `2w` (that long before now) or an ISO date or time (UTC when it has no offset)."""
    ago = _AGO.fullmatch(text.strip().lower())
    if ago:
        return now - timedelta(**{_UNITS[ago.group(2)]: int(ago.group(1))})
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is neither a duration (30d, 12h, 2w) nor an ISO date (2026-11-01)") from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def gaps(url: str, kb_dir: Path, since: datetime, department: str | None, as_json: bool, out: TextIO,
         err: TextIO, min_count: int = 1) -> int:
    """Print the unanswered questions since `since`, grouped by similarity, largest group first: 0; 1 when the
    database is missing, empty or behind; 2 for a department the KB does not have; 3 unusable database."""
    from bot.capture import gaps as find_gaps

    names = _department_names(kb_dir)
    if department is not None and names and department not in names:
        print(f"helploop kb gaps: unknown department {department!r} (known: {', '.join(names)})", file=err)
        return 2
    try:
        with dbtool.existing(url) as (state, engine):
            problem = state.problem()
            found = None if problem or engine is None else dbtool.using(
                engine, lambda e: find_gaps(make_sessions(e), since=since, department_id=department))
    except dbtool.Unusable as error:
        print(f"helploop kb gaps: {error}", file=err)
        return dbtool.DATABASE_ERROR
    if found is None:
        print(f"helploop kb gaps: {problem}", file=err)
        return 1
    found = [g for g in found if g.count >= min_count]
    if as_json:
        print(json.dumps([{**g.as_dict(), "department_name": names.get(g.department_id, g.department_id)}
                          for g in found], ensure_ascii=False), file=out)
        return 0
    rows = table("ASKED", "PEOPLE", "DEPARTMENT", "EXAMPLES", "LAST ASKED", right=("ASKED", "PEOPLE"))
    for g in found:
        examples = " | ".join(_clip(e) for e in g.examples)
        rows.add_row(str(g.count), str(g.people), names.get(g.department_id, g.department_id), examples,
                     f"{g.last_at:%Y-%m-%d %H:%M}")
    title = f"unanswered questions since {since:%Y-%m-%d %H:%M} UTC from {state.where}, grouped by similarity"
    show(out, title, rows if found else "none: every escalated question in the period got a KB answer first")
    return 0


def drafts(kb_dir: Path, drafts_dir: Path, as_json: bool, out: TextIO, err: TextIO) -> int:
    """List the draft entries waiting for review: 0; 1 when the KB itself does not load."""
    kb = _kb(kb_dir, err)
    if kb is None:
        return 1
    found = load_drafts(drafts_dir, kb)
    if as_json:
        print(json.dumps([_draft_json(d) for d in found], ensure_ascii=False), file=out)
        return 0
    rows = table("FILE", "REQUEST", "ENTRY", "DEPARTMENT", "QUESTION", "CHECK")
    for d in found:
        entry = d.entries[0] if d.entries else None
        rows.add_row(d.path.name, str(d.request or "-"), entry.id if entry else "-",
                     entry.department if entry else str(d.department or "-"),
                     _clip(entry.questions[0]) if entry else "-",
                     "ok" if d.ok else f"{len(d.errors)} error{'s' if len(d.errors) != 1 else ''} (kb check)")
    show(out, f"{len(found)} draft{'s' if len(found) != 1 else ''} in {show_path(drafts_dir)}",
         *([rows] if found else []))
    return 0


def check_drafts(kb_dir: Path, drafts_dir: Path, out: TextIO, err: TextIO) -> int:
    """The drafts part of `kb check`: every error (1) or a line saying they are valid (0); nothing without drafts."""
    try:
        kb = load_kb(kb_dir)
    except KbError:
        return 1  # already reported by the KB check
    found = load_drafts(drafts_dir, kb)
    if not found:
        return 0
    errors = [e for d in found for e in d.errors]
    for line in errors:
        print(line, file=err)
    for line in (w for d in found for w in d.warnings):
        print(f"warning: {line}", file=out)
    where = show_path(drafts_dir)
    if errors:
        print(f"{len(errors)} error{'s' if len(errors) != 1 else ''} in the drafts in {where}", file=err)
        return 1
    print(f"drafts: {len(found)} in {where}, valid (review and merge them by hand)", file=out)
    return 0


def _draft_json(d: Draft) -> dict[str, object]:
    return {"file": str(d.path), "request": d.request, "department": d.department, "created": d.created,
            "entries": [{"id": e.id, "department": e.department, "questions": e.questions, "answer": e.answer}
                        for e in d.entries],
            "cases": d.cases, "errors": d.errors, "warnings": d.warnings}


def _department_names(kb_dir: Path) -> dict[str, str]:
    try:
        return {d.id: d.name for d in load_kb(kb_dir).departments.values()}
    except KbError:
        return {}  # the report still works on a database whose KB is broken, with ids for names


def _kb(kb_dir: Path, err: TextIO) -> KnowledgeBase | None:
    try:
        return load_kb(kb_dir)
    except KbError as exc:
        for line in exc.errors:
            print(line, file=err)
        print(f"the KB in {show_path(kb_dir)} does not load: fix it first (helploop kb check)", file=err)
        return None


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _EXAMPLE_WIDTH else text[: _EXAMPLE_WIDTH - 1] + "…"
