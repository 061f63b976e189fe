"""Pure Block Kit builders for `/helploop`: the on-call roster and the usage text."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.oncall import Shift, in_working_hours, next_shifts, shifts_at
from handlers.blocks import context, section
from handlers.escape import mrkdwn
from handlers.i18n import N_, local_time, tr
from kb import Department

Blocks = list[dict[str, Any]]
MAX_DEPARTMENTS = 45  # Slack allows 50 blocks per message; keep room for the header and footer

USAGE = N_("*helploop* commands:\n"
           "• `/helploop` — a form to ask for help: department, urgency, anonymous or not\n"
           "• `/helploop <your question>` — ask; I answer in our direct messages\n"
           "• `/helploop anonymous <your question>` — ask without your name; the team can still reply to you\n"
           "• `/helploop search <words>` — search the answers, e.g. `/helploop search vpn password`\n"
           "• `/helploop feedback [department]` — tell a department what works and what doesn't, "
           "anonymously if you like\n"
           "• `/helploop oncall` — who is on call in every department, now and next\n"
           "• `/helploop oncall <department>` — the same for one department, e.g. `/helploop oncall it`\n"
           "• `/helploop help` — this message\n"
           "• helploop's *Home* tab — your requests, who handles what, and a search box")


def _who(shift: Shift, lang: str = "en") -> str:
    person = f"<@{shift.user_id}>" if shift.user_id else tr(lang, "nobody")
    return tr(lang, "{person} (covering)", person=person) if shift.override else person


def department_roster(department: Department, at: datetime, lang: str = "en") -> str:
    """One department's layers at `at`: who is on call, until when, and who is next (mrkdwn)."""
    zone = ZoneInfo(department.schedule.timezone)
    hours = ""
    if department.working_hours is not None:
        hours = " · " + (tr(lang, "in working hours") if in_working_hours(department, at)
                         else tr(lang, "outside working hours"))
    lines = [f"*{mrkdwn(department.name)}* (`{department.id}`) · {department.schedule.timezone}{hours}"]
    for now, nxt in zip(shifts_at(department, at), next_shifts(department, at), strict=True):
        lines.append(f"• *{now.layer}*: " + tr(lang, "{now} until {until}, then {next}", now=_who(now, lang),
                                              until=local_time(now.until, zone, lang), next=_who(nxt, lang)))
    return "\n".join(lines)


def roster_message(departments: Iterable[Department], at: datetime, lang: str = "en") -> tuple[str, Blocks]:
    """The on-call roster of `departments` at `at` (fallback text, blocks)."""
    chosen = list(departments)[:MAX_DEPARTMENTS]
    text = tr(lang, "On call:") + " " + "; ".join(
        f"{mrkdwn(d.name)}: " + ", ".join(f"{mrkdwn(s.layer)} <@{s.user_id}>" for s in shifts_at(d, at) if s.user_id)
        for d in chosen)
    blocks: Blocks = [section(":telephone_receiver: " + tr(lang, "*Who is on call*"))]
    blocks.extend(section(department_roster(d, at, lang)) for d in chosen)
    blocks.append(context(tr(lang, "Schedules live in departments.yaml; times are each department's local time.")))
    return text, blocks


def usage_message(unknown: str | None = None, lang: str = "en") -> tuple[str, Blocks]:
    """How to use /helploop; names the subcommand that was not understood, if any."""
    intro = tr(lang, "Sorry, I don't know `/helploop {command}`.", command=mrkdwn(unknown)) + " " if unknown else ""
    text = intro + tr(lang, USAGE)
    return text, [section(text)]


def unknown_department_message(wanted: str, known: Iterable[str], lang: str = "en") -> tuple[str, Blocks]:
    """A polite reply for `/helploop oncall <department>` naming a department that does not exist."""
    text = tr(lang, "There is no department `{department}`. Try one of: {known}.", department=mrkdwn(wanted),
              known=", ".join(f"`{d}`" for d in known))
    return text, [section(text)]
