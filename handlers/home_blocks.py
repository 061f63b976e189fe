"""Pure Block Kit builders for the App Home (a person's requests, their team's queue, who handles what, KB
search) and the small forms it opens. Data in (bot.home.HomeData, bot.search.Found), views out."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.home import HomeData, HomeItem, Queue
from bot.records import RequestView
from bot.search import Found
from bot.words import Resolution, Status
from handlers.action_ids import ActionId, CallbackId
from handlers.blocks import Blocks, button, asker, context, mention, section, short
from handlers.escalation_blocks import slack_time
from handlers.escape import clean, mrkdwn
from handlers.i18n import N_, tr, weekday_names
from handlers.oncall_blocks import department_roster
from handlers.parse import database_id, dig, strings
from kb import Department

MAX_BLOCKS = 100          # Slack's limit for a Home or a modal
OWN_SHOWN = 8             # own requests shown (the rest are counted)
QUEUE_SHOWN = 8           # per queue list
STALE_SHOWN = 5
DEPARTMENTS_SHOWN = 12
COVERS_WORDS = 8          # routing keywords shown as "covers"
ANSWER_CHARS = 1500       # a KB answer in search results
MESSAGE_CHARS = 3000      # a message added from the Home
SEARCH_LIMIT = 6
LAST_CHARS = 200
OWN_BUTTONS = {"fixed": N_("It's fixed"), "need_help": N_("I still need help"),
               "none": N_("None of these: ask a person"), "add": N_("Add a message"),
               "broken": N_("Still broken"), "reopen": N_("Reopen")}


# --- the Home ------------------------------------------------------------------------------------------------
def home_view(data: HomeData, lang: str = "en") -> dict[str, Any]:
    """The whole App Home of one person, in their language (at most 100 blocks)."""
    blocks = _own_section(data, lang)
    if data.queue is not None:
        blocks += _queue_section(data.queue, data, lang)
    blocks += _search_section(lang)
    blocks += _departments_section(data.departments, data.now, MAX_BLOCKS - len(blocks), lang)
    return {"type": "home", "blocks": blocks[:MAX_BLOCKS]}


def _own_section(data: HomeData, lang: str) -> Blocks:
    blocks: Blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": tr(lang, "Your requests")}},
        {"type": "actions", "block_id": "home-ask", "elements": [
            button(ActionId.OPEN_FORM, tr(lang, "Ask for help"), "form", "primary")]},
    ]
    if not data.own:
        blocks.append(context(tr(lang, "You have no open or recent requests. Ask for help above, send me a direct "
                                 "message, or search the answers below.")))
        return blocks
    for item in data.own[:OWN_SHOWN]:
        blocks += _own_item(item, data, lang)
    if len(data.own) > OWN_SHOWN:
        blocks.append(context(tr(lang, "…and {count} more.", count=len(data.own) - OWN_SHOWN)))
    return blocks


def _own_item(item: HomeItem, data: HomeData, lang: str) -> Blocks:
    request = item.request
    urgent = " · :rotating_light: " + tr(lang, "urgent") if request.urgent else ""
    lines = [f"*#{request.id}* · {mrkdwn(request.department_name)} · {own_status(request, lang)}{urgent}",
             f"“{short(request.text)}”"]
    blocks: Blocks = [section("\n".join(lines))]
    if item.last is not None:
        who = tr(lang, "You") if item.last.author_id in (None, data.user_id) else mention(item.last.author_id)
        blocks.append(context(tr(lang, "Last message · {who} · {time}: {text}", who=who,
                                 time=slack_time(item.last.at, lang=lang), text=short(item.last.text, LAST_CHARS))))
    buttons = own_buttons(item)
    if buttons:
        blocks.append({"type": "actions", "block_id": f"own-{request.id}", "elements": [
            button(a, tr(lang, label), str(request.id), style) for a, label, style in buttons]})
    return blocks


def own_status(request: RequestView, lang: str = "en") -> str:
    """Where the employee's request stands, and who has it, in plain words."""
    if request.status == Status.ESCALATED:
        department = mrkdwn(request.department_name)
        if request.oncall_user_id:
            return tr(lang, "waiting for someone from {department} to take it; {person} is on call",
                      department=department, person=mention(request.oncall_user_id))
        return tr(lang, "waiting for someone from {department} to take it", department=department)
    if request.status in (Status.CLAIMED, Status.REOPENED, Status.RESOLVED):
        person = mention(request.resolved_by or request.claimed_by if request.status == Status.RESOLVED
                         else request.claimed_by)
        return tr(lang, OWN_STATUS[request.status], person=person)
    if request.status in OWN_STATUS:
        return tr(lang, OWN_STATUS[request.status])
    return tr(lang, CLOSED_AS.get(request.resolution, N_("closed")))


OWN_STATUS = {Status.ANSWERED: N_("answered from the help articles: did it help?"),
              Status.SUGGESTED: N_("waiting for you to pick an answer"),
              Status.CLAIMED: N_("{person} is on it"), Status.REOPENED: N_("reopened; back with {person}"),
              Status.RESOLVED: N_("resolved by {person}: is it really fixed?")}
CLOSED_AS = {Resolution.SELF_SERVED: N_("closed: the answer helped"),
             Resolution.CONFIRMED: N_("closed: you confirmed it's fixed")}


def own_buttons(item: HomeItem) -> list[tuple[ActionId, str, str | None]]:
    """The buttons that make sense for the request's state (each goes to the same handler as in the DM)."""
    status = item.request.status
    words = OWN_BUTTONS  # English msgids: the caller translates them
    if status == Status.ANSWERED:
        return [(ActionId.SOLVED, words["fixed"], "primary"), (ActionId.NEED_HELP, words["need_help"], None)]
    if status == Status.SUGGESTED:
        return [(ActionId.NONE_OF_THESE, words["none"], None)]
    if status in (Status.ESCALATED, Status.CLAIMED, Status.REOPENED):
        return [(ActionId.ADD_MESSAGE, words["add"], None)]
    if status == Status.RESOLVED:
        return [(ActionId.FIXED_YES, words["fixed"], "primary"), (ActionId.FIXED_NO, words["broken"], None),
                (ActionId.ADD_MESSAGE, words["add"], None)]
    if item.can_reopen:
        return [(ActionId.REOPEN, words["reopen"], None)]
    return []


def _queue_section(queue: Queue, data: HomeData, lang: str) -> Blocks:
    names = ", ".join(clean(d.name) for d in queue.departments)  # plain text: shown as written
    blocks: Blocks = [{"type": "divider"}, {"type": "header", "text": {
        "type": "plain_text", "text": tr(lang, "Team queue: {departments}", departments=names)[:150]}}]
    blocks += [section(department_roster(d, data.now, lang)) for d in queue.departments[:3]]
    blocks += _queue_list(tr(lang, "*Unclaimed* ({count}), oldest first", count=len(queue.unclaimed)),
                          queue.unclaimed, data, "unclaimed", (ActionId.CLAIM, tr(lang, "Claim"), "primary"),
                          QUEUE_SHOWN, lang)
    blocks += _queue_list(tr(lang, "*Mine* ({count})", count=len(queue.mine)), queue.mine, data, "mine",
                          (ActionId.RESOLVE, tr(lang, "Resolve"), "primary"), QUEUE_SHOWN, lang)
    blocks += _queue_list(tr(lang, "*Stale* ({count}): claimed, nothing happened for a while",
                             count=len(queue.stale)), queue.stale, data, "stale", None, STALE_SHOWN, lang)
    return blocks


def _queue_list(title: str, items: Sequence[HomeItem], data: HomeData, kind: str,
                action_button: tuple[ActionId, str, str | None] | None, shown: int, lang: str) -> Blocks:
    blocks: Blocks = [section(title)]
    if not items:
        blocks.append(context(tr(lang, "Nothing here.")))
        return blocks
    for item in items[:shown]:
        block = section(queue_line(item, data.now, kind, lang))
        if action_button is not None:
            action, label, style = action_button
            block["accessory"] = button(action, label, str(item.request.id), style)
        block["block_id"] = f"{kind}-{item.request.id}"
        blocks.append(block)
    if len(items) > shown:
        blocks.append(context(tr(lang, "…and {count} more in the triage channel.", count=len(items) - shown)))
    return blocks


def queue_line(item: HomeItem, now: datetime, kind: str, lang: str = "en") -> str:
    """One request in a staff queue: number, who asked, how long it waited (or went quiet), marks, question."""
    request = item.request
    marks = ((" · :rotating_light: " + tr(lang, "*urgent*") if request.urgent else "")
             + (" · :star: " + tr(lang, "front line") if item.frontline else ""))
    if kind == "unclaimed":
        since = tr(lang, "waiting {age}", age=age(now - (item.waiting_since or request.created_at), lang))
    else:
        since = tr(lang, "{person} · quiet for {age}", person=mention(request.claimed_by),
                   age=age(now - (item.quiet_since or request.created_at), lang))
    line = f"*#{request.id}* · {mrkdwn(request.department_name)} · {asker(request)} · {since}{marks}"
    last = "\n" + tr(lang, "_Last:_ {text}", text=short(item.last.text, 100)) if item.last is not None else ""
    return f"{line}\n“{short(request.text)}”{last}"


def age(elapsed: timedelta, lang: str = "en") -> str:
    """A short, rounded-down duration: "4 min", "2 h 5 min", "3 d 4 h"."""
    minutes = max(0, int(elapsed.total_seconds() // 60))
    days, hours, mins = minutes // 1440, minutes // 60 % 24, minutes % 60
    if days == 1:  # Polish says "1 dzień" but "2 dni"
        return tr(lang, "1 d {hours} h", hours=hours)
    if days:
        return tr(lang, "{days} d {hours} h", days=days, hours=hours)
    if hours:
        return tr(lang, "{hours} h {minutes} min", hours=hours, minutes=mins)
    return tr(lang, "{minutes} min", minutes=mins)


def _search_section(lang: str) -> Blocks:
    return [
        {"type": "divider"},
        {"type": "header", "text": {"type": "plain_text", "text": tr(lang, "Search the answers")}},
        {"type": "input", "block_id": "home-search", "dispatch_action": True, "optional": True,
         "label": {"type": "plain_text", "text": tr(lang, "What do you need help with?")},
         "element": {"type": "plain_text_input", "action_id": str(ActionId.SEARCH),
                     "placeholder": {"type": "plain_text", "text": tr(lang, "e.g. VPN password, payslip, parking")},
                     "dispatch_action_config": {"trigger_actions_on": ["on_enter_pressed"]}}},
        context(tr(lang, "Press Enter to search. Anywhere in Slack: `/helploop search <words>`.")),
    ]


def _departments_section(departments: Sequence[Department], now: datetime, room: int, lang: str) -> Blocks:
    shown = list(departments)[:max(0, min(DEPARTMENTS_SHOWN, room - 3))]
    if not shown:
        return []
    blocks: Blocks = [{"type": "divider"},
                      {"type": "header", "text": {"type": "plain_text", "text": tr(lang, "Who handles what")}}]
    blocks += [section(department_card(d, now, lang)) for d in shown]
    if len(shown) < len(departments):
        blocks.append(context(tr(lang, "…and {count} more: `/helploop oncall`.", count=len(departments) - len(shown))))
    return blocks


def department_card(department: Department, now: datetime, lang: str = "en") -> str:
    """What a department covers, its working hours, and who is on call now and next."""
    covers = ", ".join(mrkdwn(k) for k in department.keywords[:COVERS_WORDS])
    lines = [department_roster(department, now, lang)]
    if covers:
        lines.append(tr(lang, "Covers: {keywords}", keywords=covers))
    lines.append(tr(lang, "Working hours: {hours}", hours=working_hours(department, lang)))
    return "\n".join(lines)


def working_hours(department: Department, lang: str = "en") -> str:
    """ "Mon–Fri 09:00–17:30 (Europe/Warsaw)", or "any time" when the department sets no hours."""
    hours = department.working_hours
    if hours is None:
        return tr(lang, "any time (no working hours set)")
    names = weekday_names(lang)
    days = sorted(hours.weekdays)
    contiguous = days == list(range(days[0], days[-1] + 1))
    when = f"{names[days[0]]}–{names[days[-1]]}" if contiguous and len(days) > 2 else ", ".join(names[d] for d in days)
    start, end = hours.hours
    return (f"{when} {start // 60:02d}:{start % 60:02d}–{end // 60 % 24:02d}:{end % 60:02d} "
            f"({department.working_timezone})")


# --- search ----------------------------------------------------------------------------------------------------
def search_blocks(words: str, found: Sequence[Found], lang: str = "en") -> tuple[str, Blocks]:
    """The KB entries matching `words`, by department, each with its answer in `lang` (fallback text, blocks)."""
    if not found:
        text = tr(lang, "No answers found for “{words}”. Try other words, or ask for help: `/helploop` opens the "
                  "form.", words=short(words, 100))
        return text, [section(text)]
    blocks: Blocks = [section(":mag: " + tr(lang, "Answers for “{words}”", words=short(words, 100)))]
    for group in found:
        blocks.append(context(f"*{mrkdwn(group.department.name)}*"))
        for entry in group.entries[:SEARCH_LIMIT]:
            answer = entry.answer_for(lang)
            answer = answer if len(answer) <= ANSWER_CHARS else answer[:ANSWER_CHARS] + "…"
            blocks.append(section(f"*{short(entry.questions[0], 150)}*\n{mrkdwn(answer)}"))
    blocks.append(context(tr(lang, "Not what you need? `/helploop` opens a form to ask a person.")))
    first = found[0].entries[0]
    return (tr(lang, "{count} answers; best: {question}", count=len(blocks) - 2, question=short(first.questions[0], 150)),
            blocks[:MAX_BLOCKS // 2])


def search_modal(words: str, found: Sequence[Found], lang: str = "en") -> dict[str, Any]:
    """The search results, as a modal opened from the Home's search box."""
    _text, blocks = search_blocks(words, found, lang)
    return {"type": "modal", "callback_id": str(CallbackId.SEARCH_RESULTS),
            "title": {"type": "plain_text", "text": tr(lang, "Search results")},
            "close": {"type": "plain_text", "text": tr(lang, "Close")}, "blocks": blocks}


def search_words(body: dict[str, Any]) -> str:
    """The words typed in the Home's search box (a dispatched input's value)."""
    try:
        return clean(str(body["actions"][0].get("value") or "")).strip()
    except (KeyError, IndexError, TypeError, AttributeError):
        return ""


# --- add a message -------------------------------------------------------------------------------------------
def add_message_modal(request_id: int, lang: str = "en") -> dict[str, Any]:
    """The small form "Add a message" opens: the text is relayed to the team like a reply in the DM."""
    return {
        "type": "modal", "callback_id": str(CallbackId.ADD_MESSAGE), "private_metadata": str(request_id),
        "title": {"type": "plain_text", "text": tr(lang, "Request #{id}", id=request_id)[:24]},
        "submit": {"type": "plain_text", "text": tr(lang, "Send")},
        "close": {"type": "plain_text", "text": tr(lang, "Cancel")},
        "blocks": [
            {"type": "input", "block_id": "message",
             "label": {"type": "plain_text", "text": tr(lang, "Your message")},
             "element": {"type": "plain_text_input", "action_id": "value", "multiline": True,
                         "max_length": MESSAGE_CHARS}},
            context(tr(lang, "The team sees it in the request's thread, as if you had replied in our direct "
                       "messages.")),
        ],
    }


def add_message_submission(view: dict[str, Any]) -> tuple[int | None, str]:
    """(request id, text) of a submitted "add a message" form."""
    text = strings(dig(dig(view, "state", "values"), "message", "value")).get("value") or ""
    return database_id(strings(view).get("private_metadata", "")), clean(text).strip()


