"""Pure builders for knowledge capture: past cases under a triage post, the spike alert for the admins."""
from __future__ import annotations

from collections.abc import Sequence

from bot.records import PastCase, Spike
from handlers.blocks import Blocks, context, section, short
from handlers.escape import mrkdwn
from handlers.i18n import tr

NOTE_PREVIEW = 400


def past_cases_message(cases: Sequence[PastCase], links: Sequence[str | None], lang: str = "en") -> tuple[str, Blocks]:
    """Resolved requests like the new one, with what was done; never who asked them (in the staff's language)."""
    title = tr(lang, "Similar requests resolved before (what was done then):")
    lines = [_case_line(case, link, lang) for case, link in zip(cases, links, strict=True)]
    return f"{title} " + ", ".join(f"#{c.id}" for c in cases), [
        section(f"*{title}*"), *map(section, lines), context(tr(lang, "Only a hint: check it fits this case."))]


def _case_line(case: PastCase, link: str | None, lang: str) -> str:
    name = f"<{link}|#{case.id}>" if link else f"#{case.id}"
    tip = ("\n" + tr(lang, "_How to fix it yourself:_ {tip}", tip=short(case.self_help_note, NOTE_PREVIEW))
           if case.self_help_note else "")
    done = tr(lang, "_Done:_ {note}", note=short(case.resolution_note, NOTE_PREVIEW))
    return f"{name} “{short(case.text)}”\n{done}{tip}"


def spike_text(spike: Spike, lang: str = "en") -> str:
    """An early warning for the admins: the same unanswered question from many people (maybe an outage)."""
    hours = spike.window_minutes // 60
    if spike.window_minutes % 60:
        window = tr(lang, "{minutes} minutes", minutes=spike.window_minutes)
    else:
        window = tr(lang, "1 hour") if hours == 1 else tr(lang, "{hours} hours", hours=hours)
    where = ", ".join(mrkdwn(name) for name in spike.departments)
    wording = f"“{short(spike.example, 300)}”" if spike.example else \
        tr(lang, "(wording not shown: asked anonymously or of a private department)")
    return ":rotating_light: " + tr(
        lang, "{people} different people asked the same thing within {window} and the knowledge base has no answer "
        "for it ({departments}, latest request #{id}): {wording}. It may be an outage; if it goes on, consider an "
        "announcement or a KB entry.", people=spike.people, window=window, departments=where, id=spike.request_id,
        wording=wording)
