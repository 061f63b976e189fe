"""Pure Block Kit builders: a request's state in, (fallback text, blocks) out."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.records import Refusal, RequestView
from bot.states import Verb, can
from bot.words import Resolution, Status
from handlers.action_ids import ActionId
from handlers.escape import mrkdwn

Blocks = list[dict[str, Any]]
TRIAGE_BUTTONS: list[tuple[Verb, tuple[ActionId, str, str | None]]] = [  # shown when the verb is possible
    (Verb.CLAIM, (ActionId.CLAIM, "Claim", "primary")),
    (Verb.RESOLVE, (ActionId.RESOLVE, "Resolve", "primary")),
    (Verb.UNCLAIM, (ActionId.UNCLAIM, "Unclaim", None)),
    (Verb.TRANSFER, (ActionId.TRANSFER, "Transfer", None)),
]
QUOTE_CHARS = 600  # long questions are cut in previews; the link leads to the whole message


def asker(request: RequestView) -> str:
    """Who asked, as staff see it: a mention, or "an employee" for an anonymous request."""
    return "an employee" if request.anonymous else f"<@{request.user_id}>"


def question_quote(request: RequestView) -> str:
    """The question, quoted back in the DM when it was asked with a command rather than a message."""
    return f"You asked: “{mrkdwn(request.text)}”"


def answer_message(request: RequestView, answer: str,
                   related: Sequence[tuple[str, str]] = ()) -> tuple[str, Blocks]:
    """The KB answer offered to the employee, with "solved" / "still need help" buttons, then related entries."""
    body: Blocks = [
        section(mrkdwn(answer)),
        context("Did this answer your question?"),
        _actions(request.id, (ActionId.SOLVED, "That solved it", "primary"),
                 (ActionId.NEED_HELP, "I still need help", None)),
    ]
    if related:
        body.append(context("People who asked this also asked:"))
        body.append({"type": "actions", "block_id": f"related-{request.id}", "elements": [
            _button(f"{ActionId.RELATED}.{n}", short(title, 70), f"{request.id}|{entry_id}", None)
            for n, (entry_id, title) in enumerate(related[:3])]})
    return mrkdwn(answer), body


def choices_message(request: RequestView, choices: Sequence[tuple[str, str]]) -> tuple[str, Blocks]:
    """ "Did you mean …?" with one button per close KB entry, and a way to a human."""
    text = "I'm not sure which of these you mean. Did you mean…"
    buttons = [{"type": "button", "action_id": f"{ActionId.PICK}.{n}", "value": f"{request.id}|{entry_id}",
                "text": {"type": "plain_text", "text": short(title, 70)}}
               for n, (entry_id, title) in enumerate(choices)]
    buttons.append({"type": "button", "action_id": str(ActionId.NONE_OF_THESE), "value": str(request.id),
                    "text": {"type": "plain_text", "text": "None of these: ask a human"}})
    return text, [section(text), {"type": "actions", "block_id": f"choices-{request.id}", "elements": buttons}]


def choices_after_none(request: RequestView) -> tuple[str, Blocks]:
    """The "Did you mean …?" message once the employee said none of them fits."""
    text = f"None of those fit, so I've passed your question to *{mrkdwn(request.department_name)}*."
    return text, [section(text)]


def answer_after_verdict(request: RequestView) -> tuple[str, Blocks]:
    """The KB answer once the employee said whether it helped (buttons gone)."""
    answer = mrkdwn(request.answer_text or "(answer)")
    if request.status == Status.CLOSED:
        note = ":white_check_mark: Marked as solved. Glad it helped!"
    else:
        note = f":arrow_right: Passed to *{mrkdwn(request.department_name)}*. Someone will follow up here."
    return answer, [section(answer), context(note)]


def escalation_notice(request: RequestView, after_hours: str = "") -> str:
    """Tell the employee, politely, who has their request (and, after hours, when to expect a reply)."""
    who = f"<@{request.oncall_user_id}> is on call, and someone" if request.oncall_user_id else "Someone"
    return (f"I couldn't find a confident answer, so I've passed your request to "
            f"*{mrkdwn(request.department_name)}*. {who} will get back to you right here. "
            f"(Request #{request.id}){after_hours}")


def triage_message(request: RequestView, permalink: str | None,
                   extra: dict[str, Any] | None = None) -> tuple[str, Blocks]:
    """The escalation as shown in the department's triage channel, for the request's current state."""
    header = f"*Request #{request.id}* from {asker(request)}"
    link = f" · <{permalink}|original message>" if permalink else " · in a direct message"
    oncall = f" · on call: <@{request.oncall_user_id}>" if request.oncall_user_id else ""
    status, buttons = _triage_state(request)
    blocks: Blocks = [
        section(f"{header}{link}{oncall}\n{_quote(request.text)}"),
        context(status),
    ]
    if extra:
        blocks.append(extra)
    if buttons:
        blocks.append(_actions(request.id, *buttons))
    return f"Request #{request.id} from {asker(request)}: {short(request.text, 200)}", blocks


def requester_claimed(request: RequestView) -> str:
    """Tell the employee who is on it."""
    return f"<@{request.claimed_by}> from *{mrkdwn(request.department_name)}* is on it."


def requester_resolved(request: RequestView) -> str:
    """Tell the employee their request was resolved and that we'll check back."""
    who = request.resolved_by or request.claimed_by  # whoever actually resolved it
    by = f"<@{who}>" if who else "Support"
    return (f"{by} marked your request as resolved. I'll check back with you later "
            f"to make sure it's really fixed.{notes_text(request)}")


def notes_text(request: RequestView) -> str:
    """What was done and how to fix it yourself next time, when staff wrote it."""
    done = f"\n*What was done:* {mrkdwn(request.resolution_note)}" if request.resolution_note else ""
    tip = f"\n*Next time:* {mrkdwn(request.self_help_note)}" if request.self_help_note else ""
    return done + tip


def claimer_reopened(request: RequestView) -> str:
    """Tell the claimer the employee says it is not fixed."""
    who = f"<@{request.claimed_by}> " if request.claimed_by else ""
    return f"{who}:warning: {asker(request)} says request #{request.id} is not fixed. It's reopened."


def followup_question(request: RequestView) -> tuple[str, Blocks]:
    """Ask the employee whether the issue was really fixed."""
    text = f"Was “{short(request.text)}” really fixed?"
    return text, [
        section(text + notes_text(request)),
        _actions(request.id, (ActionId.FIXED_YES, "Yes, it's fixed", "primary"),
                 (ActionId.FIXED_NO, "No, still broken", None)),
    ]


def followup_after_verdict(request: RequestView) -> tuple[str, Blocks]:
    """The follow-up question once answered or expired (buttons gone)."""
    question = f"Was “{short(request.text)}” really fixed?"
    if request.status == Status.CLOSED and request.resolution == Resolution.CONFIRMED:
        note = ":tada: Thanks for confirming. Glad it's fixed!"
    elif request.status == Status.CLOSED:
        note = "No answer, so I've closed this request. If it comes back, reopen it here."
    else:
        who = f"<@{request.claimed_by}>" if request.claimed_by else f"*{mrkdwn(request.department_name)}*"
        note = f"Sorry to hear that. I've reopened it and told {who}."
    body = [section(question), context(note)]
    if request.status == Status.CLOSED:  # the reopen window is checked when the button is used
        body.append(_actions(request.id, (ActionId.REOPEN, "Reopen", None)))
    return question, body


def conversation_line(author: str, text: str, files: Sequence[tuple[str, str]] = ()) -> str:
    """One relayed message: who wrote it, what they wrote, and links to their files."""
    links = "".join(f"\n:paperclip: <{url}|{mrkdwn(name)}>" for name, url in files if url.startswith("https://"))
    return f"*{author}:* {mrkdwn(text)}{links}"


def which_request_message(request: RequestView, held_id: int) -> tuple[str, Blocks]:
    """Ask once whether a new DM belongs to the open request."""
    text = f"Is this about your open request #{request.id} “{short(request.text, 80)}”?"
    return text, [section(text), {"type": "actions", "block_id": f"held-{held_id}", "elements": [
        _button(ActionId.ADD_TO_REQUEST, "Add to it", str(held_id), "primary"),
        _button(ActionId.NEW_QUESTION, "New question", str(held_id), None)]}]


def what_is_wrong_text(request: RequestView) -> str:
    """After "No, still broken": invite the employee to say what is still wrong."""
    who = f"<@{request.claimed_by}>" if request.claimed_by else f"*{mrkdwn(request.department_name)}*"
    return f"Sorry it's still not right. What is still wrong? Just reply here and I'll pass it to {who}."


def already_on_it_text(request: RequestView) -> str:
    """A second @mention in a thread that already has a request."""
    state, _buttons = _triage_state(request)
    who = f" <@{request.claimed_by}> has it." if request.claimed_by and request.status != Status.CLOSED else ""
    return f"I'm already on this: request #{request.id} is {request.status}.{who} ({_plain(state)})"


def _plain(state: str) -> str:
    return state.split(" ", 1)[1] if state.startswith(":") else state


def refusal_text(refusal: Refusal, request: RequestView | None) -> str:
    """An ephemeral, polite explanation of why a click did nothing."""
    if refusal is Refusal.ALREADY_CLAIMED and request and request.claimed_by:
        return f"This request is already claimed by <@{request.claimed_by}>."
    if refusal is Refusal.NOT_STAFF:
        team = mrkdwn(request.department_name) if request else "the department"
        return f"Only members of {team} can claim or resolve this request."
    if refusal is Refusal.NOT_CLAIMER and request and request.claimed_by:
        return f"Only <@{request.claimed_by}>, who claimed it, can unclaim this request."
    if refusal is Refusal.NOT_CLAIMER:
        return "This request is not claimed by anyone any more, so there is nothing to unclaim."
    if refusal is Refusal.NOT_REQUESTER and request:
        return f"Only {'the person' if request.anonymous else asker(request)}, who asked, can answer this."
    if refusal is Refusal.SAME_DEPARTMENT and request:
        return f"This request is already with {mrkdwn(request.department_name)}."
    if refusal is Refusal.TOO_LATE:
        return "This request was closed too long ago to reopen. Please ask again: I'll link it for the team."
    if refusal is Refusal.UNKNOWN_DEPARTMENT:
        return "That department no longer exists in the knowledge base; please pick another."
    if refusal is Refusal.ALREADY_DONE and request:
        return f"This request has already moved on (it is now {request.status})."
    return "I can't find that request any more."


def _triage_state(request: RequestView) -> tuple[str, list[tuple[ActionId, str, str | None]]]:
    buttons = [button for verb, button in TRIAGE_BUTTONS if can(verb, request.status)]
    if request.status == Status.ESCALATED:
        again = " (reopened)" if request.reopen_count else ""
        return f":inbox_tray: Waiting for someone to claim it{again}.", buttons
    if request.status == Status.CLAIMED:
        return f":raising_hand: Claimed by <@{request.claimed_by}>", buttons
    if request.status == Status.REOPENED:
        return (f":warning: Reopened: {asker(request)} says it is not fixed "
                f"(claimed by <@{request.claimed_by}>)"), buttons
    if request.status == Status.RESOLVED:
        return (f":white_check_mark: Resolved by <@{request.resolved_by or request.claimed_by}>; "
                "follow-up scheduled."), buttons
    if request.status == Status.CLOSED and request.resolution == Resolution.CONFIRMED:
        return ":lock: Closed: the employee confirmed it's fixed.", buttons
    if request.status == Status.CLOSED:
        return ":lock: Closed: no answer to the follow-up (unconfirmed).", buttons
    return f"Status: {request.status}", buttons


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
    elements = [_button(action_id, label, str(request_id), style) for action_id, label, style in buttons]
    return {"type": "actions", "block_id": f"request-{request_id}", "elements": elements}


def _button(action_id: str, label: str, value: str, style: str | None) -> dict[str, Any]:
    button: dict[str, Any] = {"type": "button", "action_id": str(action_id),
                              "text": {"type": "plain_text", "text": label}, "value": value}
    if style:
        button["style"] = style
    return button
