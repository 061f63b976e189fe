"""The weekly digest as Slack sees it (pure): its message in the department's staff language, and the chart's
upload (the chart's data travels in the outbox row; the PNG is drawn when the upload is sent)."""
from __future__ import annotations

from datetime import timedelta

from bot.digest import Digest, Measure
from bot.measures import Breach
from bot.outbox import SlackWrite
from handlers.blocks import Blocks, context, section
from handlers.escape import mrkdwn
from handlers.home_blocks import age
from handlers.i18n import N_, tr
from kb.standards import AT_MOST

UPLOAD = "files.uploadV2"  # the transport uploads with files.getUploadURLExternal + completeUploadExternal
NAMES = {"first_response": N_("First human response (median)"), "handling": N_("Handling time (median)"),
         "claim": N_("Time to claim (median)"), "resolve": N_("Time to resolve (median)"),
         "one_touch": N_("Solved at the first contact"), "reopen": N_("Reopened"), "rating": N_("Rating"),
         "self_service": N_("Confirmed self-service")}
DURATIONS = ("first_response", "handling", "claim", "resolve")
SHARES = ("one_touch", "reopen", "self_service")


def shown(language: str, name: str, value: float | None) -> str:
    """A figure as people read it: a duration, a percentage, a mean out of 5; n/a without data."""
    if value is None:
        return tr(language, "n/a")
    if name in DURATIONS:
        return age(timedelta(seconds=value), language)
    if name in SHARES:
        return f"{value:.0%}"
    return f"{value:.2f}/5"


def _against(language: str, name: str, target: float | None, at_most: bool) -> str:
    if target is None:
        return ""
    goal = shown(language, name, target)
    return tr(language, "target at most {target}", target=goal) if at_most \
        else tr(language, "target at least {target}", target=goal)


def _field(language: str, m: Measure, rating_count: int) -> dict[str, str]:
    mark = "" if m.target is None or m.value is None else (":warning: " if m.breached else ":white_check_mark: ")
    value = shown(language, m.name, m.value)
    if m.name == "rating" and m.value is not None:
        value = tr(language, "{mean} (n = {count})", mean=value, count=rating_count)
    target = _against(language, m.name, m.target, m.name in AT_MOST)
    line = f"{mark}{value}" + (f" · {target}" if target else "")
    return {"type": "mrkdwn", "text": f"*{tr(language, NAMES[m.name])}*\n{line}"}


def _breach(language: str, b: Breach) -> str:
    target = _against(language, b.standard, b.target, b.at_most)
    return f"• {tr(language, NAMES[b.standard])}: {shown(language, b.standard, b.value)} ({target})"


def digest_message(digest: Digest) -> tuple[str, Blocks]:
    """The digest's fallback text and blocks: the week's figures against the standards, breaches, thanks."""
    lang, week = digest.language, digest.week
    title = tr(lang, "Weekly digest for {department}, {first} to {last}", department=mrkdwn(digest.department_name),
               first=week.first_day.isoformat(), last=week.last_day.isoformat())
    served = f"{digest.self_served} ({shown(lang, 'self_service', digest.self_service_rate)})"
    requests = tr(lang, "Requests")
    fields = [{"type": "mrkdwn", "text": f"*{requests}*\n{digest.requests}"},
              {"type": "mrkdwn", "text": f"*{tr(lang, NAMES['self_service'])}*\n{served}"},
              *(_field(lang, m, digest.rating_count) for m in digest.measures)]
    body: Blocks = [section(f"*{title}*"), {"type": "section", "fields": fields}]
    if digest.breaches:
        lines = "\n".join(_breach(lang, b) for b in digest.breaches)
        heading = tr(lang, "Standards not met")
        body.append(section(f"*{heading}*\n{lines}"))
    elif any(m.target is not None for m in digest.measures):
        body.append(section(":white_check_mark: " + tr(lang, "Every standard with data was met.")))
    if digest.thanks:
        people = ", ".join(f"<@{user}>" for user in digest.thanks)
        body.append(section(":clap: " + tr(lang, "Thank you {people}: your help was rated highest this week.",
                                            people=people)))
    body.append(context(tr(lang, "Requests created in the week; times are medians of working time. "
                                 "The full report: helploop report --department {department}",
                           department=digest.department_id)))
    text = f"{title}: " + tr(lang, "{count} requests", count=digest.requests)
    return text, body


def digest_upload(digest: Digest) -> SlackWrite | None:
    """The chart's upload to the triage channel (None in a week without requests: nothing to draw)."""
    if not digest.requests:
        return None
    lang, week = digest.language, digest.week
    chart = {"days": [d.day for d in digest.days], "self_served": [d.self_served for d in digest.days],
             "escalated": [d.escalated for d in digest.days], "other": [d.other for d in digest.days],
             "first_response_hours": [d.first_response_hours for d in digest.days],
             "target_hours": digest.first_response_target_hours,
             "labels": {"self_served": tr(lang, "self-service confirmed"), "escalated": tr(lang, "escalated to staff"),
                        "other": tr(lang, "KB answer not confirmed"), "requests": tr(lang, "requests"),
                        "first_response": tr(lang, "first human response, median (working hours)"),
                        "target": tr(lang, "target")}}
    title = tr(lang, "{department}: requests and first response, {first} to {last}", department=digest.department_name,
               first=week.first_day.isoformat(), last=week.last_day.isoformat())
    return SlackWrite(UPLOAD, {"channel": digest.channel, "name": f"helploop-digest-{digest.department_id}-"
                                                                   f"{week.first_day.isoformat()}",
                               "title": title, "alt_txt": title, "chart": chart}, lane="staff")


class SlackDigestMessages:
    """bot.digest.DigestMessages rendered as Slack writes (pure)."""

    def digest(self, digest: Digest) -> SlackWrite:
        """The digest message in the department's triage channel."""
        text, body = digest_message(digest)
        return SlackWrite("chat.postMessage", {"channel": digest.channel, "text": text, "blocks": body,
                                               "unfurl_links": False}, lane="staff")

    def digest_chart(self, digest: Digest) -> SlackWrite | None:
        """The chart, uploaded after the message."""
        return digest_upload(digest)
