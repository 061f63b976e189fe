"""Pure Block Kit builders for feedback: the rating after a fix, the re-check, feedback about a department, pulse."""
from __future__ import annotations

from typing import Any

from bot.records import RequestView
from handlers.action_ids import ActionId, CallbackId
from handlers.blocks import Blocks, button, context, mention, section, short
from handlers.escape import mrkdwn
from handlers.i18n import N_, language_block_id, tr

SCORES = (1, 2, 3, 4, 5)
SCORE_WORDS = {1: N_("1 · poor"), 2: "2", 3: "3", 4: "4", 5: N_("5 · great")}
COMMENT_CHARS = 2000
FEEDBACK_CHARS = 3000
RECHECK = N_("A little while ago “{question}” was fixed. Is it still fixed?")


def rating_prompt(request: RequestView) -> tuple[str, Blocks]:
    """After "Yes, it's fixed": one click rates the help 1-5; a comment is optional."""
    lang = request.language
    text = tr(lang, "How would you rate the help you got with “{question}”?", question=short(request.text, 80))
    return text, [section(text), _score_buttons(ActionId.RATE, str(request.id), lang),
                  _comment_actions(request.id, lang),
                  context(tr(lang, "Optional: one click is enough. Only the overall figures are reported."))]


def rating_recorded(request: RequestView, score: int | None, commented: bool) -> tuple[str, Blocks]:
    """The rating question once answered: thanks, and the comment button until a comment is given."""
    lang = request.language
    rated = tr(lang, "You rated it {score}/5 {stars}.", score=score, stars=":star:" * score) if score else ""
    note = " " + tr(lang, "Thanks for your comment too.") if commented else ""
    thanks = tr(lang, "Thanks for your feedback on “{question}”.", question=short(request.text, 80))
    text = f"{thanks} {rated}{note}".replace("  ", " ").strip()
    body: Blocks = [section(text)]
    if not commented:
        body.append(_comment_actions(request.id, lang))
    return text, body


def recheck_question(request: RequestView) -> tuple[str, Blocks]:
    """Some days after a confirmed fix: is it still fixed?"""
    lang = request.language
    text = tr(lang, RECHECK, question=short(request.text))
    return text, [section(text), {"type": "actions", "block_id": f"recheck-{request.id}", "elements": [
        button(ActionId.STILL_FIXED, tr(lang, "Yes, still fixed"), str(request.id), "primary"),
        button(ActionId.NOT_FIXED, tr(lang, "No, it's broken again"), str(request.id), None)]}]


def recheck_answered(request: RequestView, still_fixed: bool) -> tuple[str, Blocks]:
    """The re-check once answered (buttons gone)."""
    lang = request.language
    question = tr(lang, RECHECK, question=short(request.text))
    if still_fixed:
        note = ":white_check_mark: " + tr(lang, "Good to hear. Thanks for letting us know!")
    elif request.claimed_by:
        note = tr(lang, "Sorry about that. I've reopened it and told {person}.", person=mention(request.claimed_by))
    else:
        note = tr(lang, "Sorry about that. I've reopened it and told *{department}*.",
                  department=mrkdwn(request.department_name))
    return question, [section(question), context(note)]


def feedback_received(request: RequestView) -> str:
    """To the author of named feedback: where it went, and that the answer comes here."""
    return tr(request.language, "Thanks for your feedback: it went to *{department}*. If they answer, you'll see "
              "it here, and you can reply here too. (Feedback #{id})", department=mrkdwn(request.department_name),
              id=request.id)


def department_feedback(department_name: str, text: str, lang: str = "en") -> tuple[str, Blocks]:
    """Anonymous feedback in the department's triage channel (in its language): nobody is named, no answer."""
    title = ":speech_balloon: " + tr(lang, "Anonymous feedback about *{department}*", department=mrkdwn(department_name))
    quote = "\n".join(f"> {mrkdwn(line)}" for line in text.splitlines() or [""])
    return (tr(lang, "Anonymous feedback about {department}", department=mrkdwn(department_name)),
            [section(f"{title}\n{quote}"),
             context(tr(lang, "Sent anonymously: helploop does not know who wrote it, so it cannot be answered."))])


def pulse_question(department_name: str, survey_id: int, lang: str = "en") -> tuple[str, Blocks]:
    """A pulse survey question: the department's service overall, 1-5."""
    text = tr(lang, "A quick question: overall, how happy are you with the help you get from *{department}*?",
              department=mrkdwn(department_name))
    return text, [section(text), _score_buttons(ActionId.PULSE, str(survey_id), lang),
                  context(tr(lang, "One click. Only the overall figures are reported."))]


def pulse_recorded(department_name: str, score: int, lang: str = "en") -> str:
    """The pulse question once answered."""
    return tr(lang, "Thanks! You rated *{department}* {score}/5.", department=mrkdwn(department_name), score=score)


def feedback_thanks(anonymous: bool, lang: str = "en") -> str:
    """What the form shows once sent."""
    if anonymous:
        return tr(lang, "Thanks. Your feedback was passed on without your name: nobody, helploop included, can tell "
                  "who sent it, so it cannot be answered.")
    return tr(lang, "Thanks. Your feedback was passed on; if the team answers, it will be in our direct messages.")


def feedback_modal(departments: list[tuple[str, str]], chosen: str | None = None,
                   draft: str | None = None, lang: str = "en") -> dict[str, Any]:
    """/helploop feedback [department | words]: which department, what (started with `draft`), anonymous or not."""
    options = [_option(name, department_id) for department_id, name in departments]
    select: dict[str, Any] = {"type": "static_select", "action_id": "value", "options": options,
                              "placeholder": {"type": "plain_text", "text": tr(lang, "Choose a department")}}
    initial = next((o for o in options if o["value"] == chosen), None)
    if initial:
        select["initial_option"] = initial
    anonymous = _option(tr(lang, "Send anonymously"), "anonymous",
                        tr(lang, "Nobody, helploop included, will know it was you; it can't be answered then."))
    intro = section(tr(lang, "Tell a department what works and what doesn't in the help they give."))
    intro["block_id"] = language_block_id(lang)  # the thank-you shown on submission is in the same language
    return {
        "type": "modal", "callback_id": str(CallbackId.FEEDBACK),
        "title": {"type": "plain_text", "text": tr(lang, "Feedback")},
        "submit": {"type": "plain_text", "text": tr(lang, "Send")},
        "close": {"type": "plain_text", "text": tr(lang, "Cancel")},
        "blocks": [
            intro,
            {"type": "input", "block_id": "department", "element": select,
             "label": {"type": "plain_text", "text": tr(lang, "Department")}},
            {"type": "input", "block_id": "text", "label": {"type": "plain_text", "text": tr(lang, "Your feedback")},
             "element": {"type": "plain_text_input", "action_id": "value", "multiline": True,
                         "max_length": FEEDBACK_CHARS, **({"initial_value": draft[:FEEDBACK_CHARS]} if draft else {})}},
            {"type": "input", "block_id": "anonymous", "optional": True,
             "label": {"type": "plain_text", "text": tr(lang, "Anonymous")},
             "element": {"type": "checkboxes", "action_id": "value", "options": [anonymous]}},
        ],
    }


def comment_modal(request: RequestView) -> dict[str, Any]:
    """The optional comment on a rating."""
    lang = request.language
    return {
        "type": "modal", "callback_id": str(CallbackId.COMMENT), "private_metadata": str(request.id),
        "title": {"type": "plain_text", "text": tr(lang, "Your comment")},
        "submit": {"type": "plain_text", "text": tr(lang, "Send")},
        "close": {"type": "plain_text", "text": tr(lang, "Cancel")},
        "blocks": [
            section(tr(lang, "About “{question}”", question=short(request.text, 200))),
            {"type": "input", "block_id": "comment", "label": {"type": "plain_text", "text": tr(lang, "Comment")},
             "element": {"type": "plain_text_input", "action_id": "value", "multiline": True,
                         "max_length": COMMENT_CHARS}},
        ],
    }


def thanks_view(text: str, lang: str = "en") -> dict[str, Any]:
    """A modal replaced by a thank-you once its form is sent."""
    return {"type": "modal", "title": {"type": "plain_text", "text": tr(lang, "Thank you")},
            "close": {"type": "plain_text", "text": tr(lang, "Close")}, "blocks": [section(text)]}


def _score_buttons(action: ActionId, target: str, lang: str) -> dict[str, Any]:
    return {"type": "actions", "block_id": f"scores-{target}", "elements": [
        button(f"{action}.{n}", tr(lang, SCORE_WORDS[n]), f"{target}|{n}", None) for n in SCORES]}


def _comment_actions(request_id: int, lang: str) -> dict[str, Any]:
    return {"type": "actions", "block_id": f"comment-{request_id}",
            "elements": [button(ActionId.COMMENT, tr(lang, "Add a comment"), str(request_id), None)]}


def _option(text: str, value: str, description: str | None = None) -> dict[str, Any]:
    option: dict[str, Any] = {"text": {"type": "plain_text", "text": text[:75]}, "value": value}
    if description:
        option["description"] = {"type": "plain_text", "text": description[:75]}
    return option
