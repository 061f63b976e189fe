"""Logic of `helploop oncall`: who is on call now and next, per department and layer, on streams."""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from rich.text import Text

from bot.oncall import Shift, in_working_hours, next_shifts, shifts_at
from cli.names import Names, cached_names, named
from cli.render import show as show_rich
from cli.render import table
from kb import Department, KbError, load_kb


def parse_at(text: str) -> datetime:
    """Read an ISO 8601 instant with an offset (or Z); a naive time is refused, it names no instant."""
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"--at {text!r} is not an ISO 8601 time, e.g. 2026-11-23T09:30+01:00") from None
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"--at {text!r} has no UTC offset; add one, e.g. {text.strip()}+01:00 or {text.strip()}Z")
    return at


def _shift_json(shift: Shift, zone: ZoneInfo) -> dict[str, Any]:
    return {"user": shift.user_id, "since": shift.since.astimezone(zone).isoformat(),
            "until": shift.until.astimezone(zone).isoformat(), "override": shift.override}


def roster(department: Department, at: datetime) -> dict[str, Any]:
    """One department's on-call state at `at` as the JSON object `helploop oncall --json` prints."""
    zone = ZoneInfo(department.schedule.timezone)
    layers = []
    for now, nxt in zip(shifts_at(department, at), next_shifts(department, at), strict=True):
        layers.append({"name": now.layer, **_shift_json(now, zone), "next": _shift_json(nxt, zone)})
    return {"id": department.id, "name": department.name, "timezone": department.schedule.timezone,
            "in_working_hours": in_working_hours(department, at), "layers": layers}


def _local(instant: datetime, zone: ZoneInfo) -> str:
    return instant.astimezone(zone).strftime("%a %Y-%m-%d %H:%M %Z")


def _table(department: Department, at: datetime, out: TextIO, names: Names) -> None:
    zone = ZoneInfo(department.schedule.timezone)
    hours = "" if department.working_hours is None else \
        ("; in working hours" if in_working_hours(department, at) else "; outside working hours")
    heading = Text(f"{department.name} ({department.id}) — {department.schedule.timezone}, "
                   f"at {_local(at, zone)}{hours}", style="bold")
    rows = table("LAYER", "ON CALL", "SINCE", "UNTIL", "NEXT")
    for now, nxt in zip(shifts_at(department, at), next_shifts(department, at), strict=True):
        rows.add_row(now.layer, _who(now, names), _local(now.since, zone), _local(now.until, zone),
                     Text.assemble(_who(nxt, names), f" until {_local(nxt.until, zone)}"))
    show_rich(out, heading, rows)


def _who(shift: Shift, names: Names) -> Text:
    """The person on a shift (their cached name, else the Slack user id), marked when an override put them there."""
    return Text.assemble(named(shift.user_id, names), (" (override)", "yellow") if shift.override else "")


def show(kb_dir: Path, department: str | None, at: datetime | None, as_json: bool, out: TextIO, err: TextIO,
         now: datetime, database_url: str | None = None) -> int:
    """Print who is on call at `at` (default `now`): 0, 1 for an invalid KB, 2 for a bad argument.
    The table names people as the bot's people directory at `database_url` knows them; --json keeps ids."""
    at = at or now
    if at.tzinfo is None or at.utcoffset() is None:
        print(f"helploop oncall: the time must have a UTC offset, got {at.isoformat()}", file=err)
        return 2
    try:
        kb = load_kb(kb_dir)
    except KbError as exc:
        for line in exc.errors:
            print(line, file=err)
        return 1
    if department is not None and department not in kb.departments:
        print(f"helploop oncall: no department {department!r} (known: {', '.join(kb.departments)})", file=err)
        return 2
    chosen = [kb.departments[department]] if department else list(kb.departments.values())
    if as_json:
        print(json.dumps({"at": at.isoformat(), "departments": [roster(d, at) for d in chosen]},
                         ensure_ascii=False), file=out)
        return 0
    names = cached_names(database_url, (user for dep in chosen for user in dep.staff))
    for i, dep in enumerate(chosen):
        if i:
            print(file=out)
        _table(dep, at, out, names)
    return 0
