"""Pure Block Kit builders for `/helploop`: the on-call roster and the usage text."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.oncall import Shift, in_working_hours, next_shifts, shifts_at
from handlers.blocks import context, section
from handlers.escape import mrkdwn
from kb import Department

Blocks = list[dict[str, Any]]
MAX_DEPARTMENTS = 45  # Slack allows 50 blocks per message; keep room for the header and footer

USAGE = ("*helploop* commands:\n"
         "• `/helploop <your question>` — ask; I answer in our direct messages\n"
         "• `/helploop anonymous <your question>` — ask without your name; the team can still reply to you\n"
         "• `/helploop oncall` — who is on call in every department, now and next\n"
         "• `/helploop oncall <department>` — the same for one department, e.g. `/helploop oncall it`\n"
         "• `/helploop help` — this message")


def _who(shift: Shift) -> str:
    person = f"<@{shift.user_id}>" if shift.user_id else "nobody"
    return f"{person} (covering)" if shift.override else person


def _local(instant: datetime, zone: ZoneInfo) -> str:
    return instant.astimezone(zone).strftime("%a %d %b %H:%M %Z")


def department_roster(department: Department, at: datetime) -> str:
    """One department's layers at `at`: who is on call, until when, and who is next (mrkdwn)."""
    zone = ZoneInfo(department.schedule.timezone)
    hours = ""
    if department.working_hours is not None:
        hours = " · in working hours" if in_working_hours(department, at) else " · outside working hours"
    lines = [f"*{mrkdwn(department.name)}* (`{department.id}`) · {department.schedule.timezone}{hours}"]
    for now, nxt in zip(shifts_at(department, at), next_shifts(department, at), strict=True):
        lines.append(f"• *{now.layer}*: {_who(now)} until {_local(now.until, zone)}, then {_who(nxt)}")
    return "\n".join(lines)


def roster_message(departments: Iterable[Department], at: datetime) -> tuple[str, Blocks]:
    """The on-call roster of `departments` at `at` (fallback text, blocks)."""
    chosen = list(departments)[:MAX_DEPARTMENTS]
    text = "On call: " + "; ".join(
        f"{mrkdwn(d.name)}: " + ", ".join(f"{mrkdwn(s.layer)} <@{s.user_id}>" for s in shifts_at(d, at) if s.user_id)
        for d in chosen)
    blocks: Blocks = [section(":telephone_receiver: *Who is on call*")]
    blocks.extend(section(department_roster(d, at)) for d in chosen)
    blocks.append(context("Schedules live in departments.yaml; times are each department's local time."))
    return text, blocks


def usage_message(unknown: str | None = None) -> tuple[str, Blocks]:
    """How to use /helploop; names the subcommand that was not understood, if any."""
    intro = f"Sorry, I don't know `/helploop {mrkdwn(unknown)}`. " if unknown else ""
    text = intro + USAGE
    return text, [section(text)]


def unknown_department_message(wanted: str, known: Iterable[str]) -> tuple[str, Blocks]:
    """A polite reply for `/helploop oncall <department>` naming a department that does not exist."""
    text = (f"There is no department `{mrkdwn(wanted)}`. Try one of: "
            + ", ".join(f"`{d}`" for d in known) + ".")
    return text, [section(text)]
