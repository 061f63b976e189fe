"""Pure Block Kit builders: a request's state in, (fallback text, blocks) out."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.records import Refusal, RequestView
from bot.states import Verb, can
from bot.words import FEEDBACK_SOURCE, Resolution, Status
from handlers.action_ids import ActionId
from handlers.escape import mrkdwn
from handlers.i18n import N_, tr

Blocks = list[dict[str, Any]]
TRIAGE_BUTTONS: list[tuple[Verb, tuple[ActionId, str, str | None]]] = [  # shown when the verb is possible
    (Verb.CLAIM, (ActionId.CLAIM, N_("Claim"), "primary")),
    (Verb.RESOLVE, (ActionId.RESOLVE, N_("Resolve"), "primary")),
    (Verb.UNCLAIM, (ActionId.UNCLAIM, N_("Unclaim"), None)),
    (Verb.TRANSFER, (ActionId.TRANSFER, N_("Transfer"), None)),
]
URGENT_MARK = N_("*Urgent: blocking their work*")  # before the triage post's header, with :rotating_light:
STATUS_WORDS = {Status.ANSWERED: N_("answered"), Status.SUGGESTED: N_("suggested"), Status.ESCALATED: N_("escalated"),
                Status.CLAIMED: N_("claimed"), Status.REOPENED: N_("reopened"), Status.RESOLVED: N_("resolved"),
                Status.CLOSED: N_("closed")}
QUOTE_CHARS = 600  # long questions are cut in previews; the link leads to the whole message


def mention(user_id: str | None) -> str:
    """A Slack mention of a user (shown as their name in each reader's Slack)."""
    return f"<@{user_id}>"


def asker(request: RequestView) -> str:
    """Who asked, as staff see it: a mention, or "an employee" for an anonymous request."""
    return tr(request.staff_language, "an employee") if request.anonymous else f"<@{request.user_id}>"


def question_quote(request: RequestView) -> str:
    """The question, quoted back in the DM when it was asked with a command rather than a message."""
    return tr(request.language, "You asked: “{question}”", question=mrkdwn(request.text))


def answer_message(request: RequestView, answer: str,
                   related: Sequence[tuple[str, str]] = ()) -> tuple[str, Blocks]:
    """The KB answer offered to the employee, with "solved" / "still need help" buttons, then related entries."""
    body: Blocks = [
        section(mrkdwn(answer)),
        context(tr(request.language, "Did this answer your question?")),
        _actions(request.id, (ActionId.SOLVED, tr(request.language, "That solved it"), "primary"),
                 (ActionId.NEED_HELP, tr(request.language, "I still need help"), None)),
    ]
    if related:
        body.append(context(tr(request.language, "People who asked this also asked:")))
        body.append({"type": "actions", "block_id": f"related-{request.id}", "elements": [
            button(f"{ActionId.RELATED}.{n}", short(title, 70), f"{request.id}|{entry_id}", None)
            for n, (entry_id, title) in enumerate(related[:3])]})
    return mrkdwn(answer), body


def choices_message(request: RequestView, choices: Sequence[tuple[str, str]]) -> tuple[str, Blocks]:
    """ "Did you mean …?" with one button per close KB entry, and a way to a human."""
    text = tr(request.language, "I'm not sure which of these you mean. Did you mean…")
    buttons = [{"type": "button", "action_id": f"{ActionId.PICK}.{n}", "value": f"{request.id}|{entry_id}",
                "text": {"type": "plain_text", "text": short(title, 70)}}
               for n, (entry_id, title) in enumerate(choices)]
    buttons.append({"type": "button", "action_id": str(ActionId.NONE_OF_THESE), "value": str(request.id),
                    "text": {"type": "plain_text", "text": tr(request.language, "None of these: ask a human")}})
    return text, [section(text), {"type": "actions", "block_id": f"choices-{request.id}", "elements": buttons}]


def choices_after_none(request: RequestView) -> tuple[str, Blocks]:
    """The "Did you mean …?" message once the employee said none of them fits."""
    text = tr(request.language, "None of those fit, so I've passed your question to *{department}*.",
              department=mrkdwn(request.department_name))
    return text, [section(text)]


def answer_after_verdict(request: RequestView) -> tuple[str, Blocks]:
    """The KB answer once the employee said whether it helped (buttons gone)."""
    answer = mrkdwn(request.answer_text or tr(request.language, "(answer)"))
    if request.status == Status.CLOSED:
        note = ":white_check_mark: " + tr(request.language, "Marked as solved. Glad it helped!")
    else:
        note = ":arrow_right: " + tr(request.language, "Passed to *{department}*. Someone will follow up here.",
                                     department=mrkdwn(request.department_name))
    return answer, [section(answer), context(note)]


def escalation_notice(request: RequestView, after_hours: str = "") -> str:
    """Tell the employee, politely, who has their request (and, after hours, when to expect a reply)."""
    if request.oncall_user_id:
        text = tr(request.language, "I couldn't find a confident answer, so I've passed your request to "
                  "*{department}*. {oncall} is on call, and someone will get back to you right here. "
                  "(Request #{id})", department=mrkdwn(request.department_name),
                  oncall=mention(request.oncall_user_id), id=request.id)
    else:
        text = tr(request.language, "I couldn't find a confident answer, so I've passed your request to "
                  "*{department}*. Someone will get back to you right here. (Request #{id})",
                  department=mrkdwn(request.department_name), id=request.id)
    return text + after_hours


def triage_message(request: RequestView, permalink: str | None,
                   extra: dict[str, Any] | None = None) -> tuple[str, Blocks]:
    """The escalation as shown in the department's triage channel, for the request's current state."""
    staff = request.staff_language
    urgent = f":rotating_light: {tr(staff, URGENT_MARK)} · " if request.urgent else ""
    header = urgent + tr(staff, "*Request #{id}* from {asker}", id=request.id, asker=asker(request))
    if request.source == FEEDBACK_SOURCE:  # named feedback (/helploop feedback): answered in the thread
        header = tr(staff, "*Feedback #{id}* from {asker} · reply in this thread to answer", id=request.id,
                    asker=asker(request))
    link = (" · " + tr(staff, "<{link}|original message>", link=permalink) if permalink
            else " · " + tr(staff, "in a direct message"))
    oncall = " · " + tr(staff, "on call: {user}", user=mention(request.oncall_user_id)) if request.oncall_user_id else ""
    status, buttons = _triage_state(request)
    blocks: Blocks = [
        section(f"{header}{link}{oncall}\n{_quote(request.text)}"),
        context(status),
    ]
    if extra:
        blocks.append(extra)
    if buttons:
        blocks.append(_actions(request.id, *buttons))
    urgent = tr(staff, "Urgent:") + " " if request.urgent else ""
    return f"{urgent}" + tr(staff, "Request #{id} from {asker}: {text}", id=request.id, asker=asker(request),
                                    text=short(request.text, 200)), blocks


def requester_claimed(request: RequestView) -> str:
    """Tell the employee who is on it."""
    return tr(request.language, "{user} from *{department}* is on it.", user=mention(request.claimed_by),
              department=mrkdwn(request.department_name))


def requester_resolved(request: RequestView) -> str:
    """Tell the employee their request was resolved and that we'll check back."""
    who = request.resolved_by or request.claimed_by  # whoever actually resolved it
    if not who:
        return tr(request.language, "Support marked your request as resolved. I'll check back with you later "
                  "to make sure it's really fixed.") + notes_text(request)
    return tr(request.language, "{user} marked your request as resolved. I'll check back with you later "
              "to make sure it's really fixed.", user=mention(who)) + notes_text(request)


def notes_text(request: RequestView) -> str:
    """What was done and how to fix it yourself next time, when staff wrote it."""
    lang = request.language
    done = "\n" + tr(lang, "*What was done:* {note}", note=mrkdwn(request.resolution_note)) \
        if request.resolution_note else ""
    tip = "\n" + tr(lang, "*Next time:* {tip}", tip=mrkdwn(request.self_help_note)) if request.self_help_note else ""
    return done + tip


def claimer_reopened(request: RequestView) -> str:
    """Tell the claimer the employee says it is not fixed."""
    who = f"<@{request.claimed_by}> " if request.claimed_by else ""
    return who + ":warning: " + tr(request.staff_language, "{asker} says request #{id} is not fixed. It's reopened.",
                                   asker=asker(request), id=request.id)


def followup_question(request: RequestView) -> tuple[str, Blocks]:
    """Ask the employee whether the issue was really fixed."""
    text = tr(request.language, "Was “{question}” really fixed?", question=short(request.text))
    return text, [
        section(text + notes_text(request)),
        _actions(request.id, (ActionId.FIXED_YES, tr(request.language, "Yes, it's fixed"), "primary"),
                 (ActionId.FIXED_NO, tr(request.language, "No, still broken"), None)),
    ]


def followup_after_verdict(request: RequestView) -> tuple[str, Blocks]:
    """The follow-up question once answered or expired (buttons gone)."""
    lang = request.language
    question = tr(lang, "Was “{question}” really fixed?", question=short(request.text))
    if request.status == Status.CLOSED and request.resolution == Resolution.CONFIRMED:
        note = ":tada: " + tr(lang, "Thanks for confirming. Glad it's fixed!")
    elif request.status == Status.CLOSED:
        note = tr(lang, "No answer, so I've closed this request. If it comes back, reopen it here.")
    else:
        who = f"<@{request.claimed_by}>" if request.claimed_by else f"*{mrkdwn(request.department_name)}*"
        note = tr(lang, "Sorry to hear that. I've reopened it and told {who}.", who=who)
    body = [section(question), context(note)]
    if request.status == Status.CLOSED:  # the reopen window is checked when the button is used
        body.append(_actions(request.id, (ActionId.REOPEN, tr(lang, "Reopen"), None)))
    return question, body


def conversation_line(author: str, text: str, files: Sequence[tuple[str, str]] = ()) -> str:
    """One relayed message: who wrote it, what they wrote, and links to their files."""
    links = "".join(f"\n:paperclip: <{url}|{mrkdwn(name)}>" for name, url in files if url.startswith("https://"))
    return f"*{author}:* {mrkdwn(text)}{links}"


def which_request_message(request: RequestView, held_id: int) -> tuple[str, Blocks]:
    """Ask once whether a new DM belongs to the open request."""
    lang = request.language
    text = tr(lang, "Is this about your open request #{id} “{question}”?", id=request.id,
              question=short(request.text, 80))
    return text, [section(text), {"type": "actions", "block_id": f"held-{held_id}", "elements": [
        button(ActionId.ADD_TO_REQUEST, tr(lang, "Add to it"), str(held_id), "primary"),
        button(ActionId.NEW_QUESTION, tr(lang, "New question"), str(held_id), None)]}]


def what_is_wrong_text(request: RequestView) -> str:
    """After "No, still broken": invite the employee to say what is still wrong."""
    who = f"<@{request.claimed_by}>" if request.claimed_by else f"*{mrkdwn(request.department_name)}*"
    return tr(request.language, "Sorry it's still not right. What is still wrong? Just reply here and I'll pass it "
              "to {who}.", who=who)


def already_on_it_text(request: RequestView) -> str:
    """A second @mention in a thread that already has a request."""
    lang = request.language
    state, _buttons = _triage_state(request, lang)
    who = (" " + tr(lang, "{user} has it.", user=mention(request.claimed_by))
           if request.claimed_by and request.status != Status.CLOSED else "")
    return tr(lang, "I'm already on this: request #{id} is {status}.", id=request.id,
              status=tr(lang, STATUS_WORDS.get(request.status, request.status))) + f"{who} ({_plain(state)})"


def _plain(state: str) -> str:
    return state.split(" ", 1)[1] if state.startswith(":") else state


def refusal_language(request: RequestView | None, user: str) -> str:
    """Who clicked reads the refusal: the requester in their language, anyone else in the department's."""
    if request is None:
        return "en"
    return request.language if user and user == request.user_id else request.staff_language


def refusal_text(refusal: Refusal, request: RequestView | None, reader: str = "") -> str:
    """An ephemeral, polite explanation of why a click did nothing, in the language of `reader` (who clicked)."""
    lang = refusal_language(request, reader)
    if refusal is Refusal.ALREADY_CLAIMED and request and request.claimed_by:
        return tr(lang, "This request is already claimed by {user}.", user=mention(request.claimed_by))
    if refusal is Refusal.NOT_STAFF:
        team = mrkdwn(request.department_name) if request else tr(lang, "the department")
        return tr(lang, "Only members of {team} can claim or resolve this request.", team=team)
    if refusal is Refusal.NOT_CLAIMER and request and request.claimed_by:
        return tr(lang, "Only {user}, who claimed it, can unclaim this request.", user=mention(request.claimed_by))
    if refusal is Refusal.NOT_CLAIMER:
        return tr(lang, "This request is not claimed by anyone any more, so there is nothing to unclaim.")
    if refusal is Refusal.NOT_REQUESTER and request:
        who = tr(lang, "the person") if request.anonymous else f"<@{request.user_id}>"
        return tr(lang, "Only {who}, who asked, can answer this.", who=who)
    return _other_refusal(refusal, request, lang)


def _other_refusal(refusal: Refusal, request: RequestView | None, lang: str) -> str:
    if refusal is Refusal.SAME_DEPARTMENT and request:
        return tr(lang, "This request is already with {department}.", department=mrkdwn(request.department_name))
    if refusal is Refusal.TOO_LATE:
        return tr(lang, "This request was closed too long ago to reopen. Please ask again: I'll link it for the team.")
    if refusal is Refusal.UNKNOWN_DEPARTMENT:
        return tr(lang, "That department no longer exists in the knowledge base; please pick another.")
    if refusal is Refusal.ALREADY_DONE and request:
        return tr(lang, "This request has already moved on (it is now {status}).",
                  status=tr(lang, STATUS_WORDS.get(request.status, request.status)))
    return tr(lang, "I can't find that request any more.")


def _triage_state(request: RequestView, lang: str | None = None) -> tuple[str, list[tuple[ActionId, str, str | None]]]:
    lang = lang or request.staff_language
    buttons = [(action, tr(lang, label), style) for verb, (action, label, style) in TRIAGE_BUTTONS
               if can(verb, request.status)]
    return _state_line(request, lang), buttons


def _state_line(request: RequestView, lang: str) -> str:
    if request.status == Status.ESCALATED and request.reopen_count:
        return ":inbox_tray: " + tr(lang, "Waiting for someone to claim it (reopened).")
    if request.status == Status.ESCALATED:
        return ":inbox_tray: " + tr(lang, "Waiting for someone to claim it.")
    if request.status == Status.CLAIMED:
        return ":raising_hand: " + tr(lang, "Claimed by {user}", user=mention(request.claimed_by))
    if request.status == Status.REOPENED:
        return ":warning: " + tr(lang, "Reopened: {asker} says it is not fixed (claimed by {user})",
                                 asker=asker(request), user=mention(request.claimed_by))
    if request.status == Status.RESOLVED:
        return ":white_check_mark: " + tr(lang, "Resolved by {user}; follow-up scheduled.",
                                          user=mention(request.resolved_by or request.claimed_by))
    if request.status == Status.CLOSED and request.resolution == Resolution.CONFIRMED:
        return ":lock: " + tr(lang, "Closed: the employee confirmed it's fixed.")
    if request.status == Status.CLOSED:
        return ":lock: " + tr(lang, "Closed: no answer to the follow-up (unconfirmed).")
    return tr(lang, "Status: {status}", status=request.status)


def _quote(text: str) -> str:
    body = text if len(text) <= QUOTE_CHARS else text[:QUOTE_CHARS] + "…"
    return "\n".join(f"> {mrkdwn(line)}" for line in body.splitlines() or [""])


def short(text: str, limit: int = 120) -> str:
    """User text as one escaped line of at most `limit` characters (cut first, so no entity is split)."""
    one_line = " ".join(text.split())
    return mrkdwn(one_line if len(one_line) <= limit else one_line[:limit] + "…")


def section(text: str) -> dict[str, Any]:
    """A mrkdwn section block (cut to Slack's 3,000 characters)."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def context(text: str) -> dict[str, Any]:
    """A small-print context block."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:3000]}]}


def _actions(request_id: int, *buttons: tuple[ActionId, str, str | None]) -> dict[str, Any]:
    elements = [button(action_id, label, str(request_id), style) for action_id, label, style in buttons]
    return {"type": "actions", "block_id": f"request-{request_id}", "elements": elements}


def button(action_id: str, label: str, value: str, style: str | None = None) -> dict[str, Any]:
    """A Block Kit button (its label cut to Slack's 75 characters)."""
    element: dict[str, Any] = {"type": "button", "action_id": str(action_id),
                               "text": {"type": "plain_text", "text": label[:75]}, "value": value}
    if style:
        element["style"] = style
    return element
