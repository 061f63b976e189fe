"""Pure builders and parsers for the request form (`/helploop` alone, the "Ask for help" shortcut, the Home)."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from handlers.action_ids import CallbackId
from handlers.blocks import context
from handlers.escape import clean
from handlers.i18n import tr
from handlers.parse import dig, strings
from kb import Department

QUESTION_CHARS = 3000
ANY_DEPARTMENT = "auto"   # the select's "let helploop decide" option (Slack wants a value)
NORMAL, BLOCKING = "normal", "blocking"
MAX_OPTIONS = 99          # Slack allows 100 options; one is "let helploop decide"


@dataclass(frozen=True)
class FormRequest:
    """What the person filled in."""

    text: str
    department: str | None   # None: the bot routes
    urgent: bool
    anonymous: bool


def request_modal(departments: Iterable[Department], anonymous: bool = True, lang: str = "en") -> dict[str, Any]:
    """The request form: department (optional), question, urgency, and (when allowed) anonymous."""
    auto = _option(tr(lang, "Let helploop decide"), ANY_DEPARTMENT)
    options = [auto] + [_option(d.name, d.id) for d in list(departments)[:MAX_OPTIONS]]
    normal = _option(tr(lang, "Normal"), NORMAL)
    blocks: list[dict[str, Any]] = [
        {"type": "input", "block_id": "question", "label": {"type": "plain_text", "text": tr(lang, "Your question")},
         "element": {"type": "plain_text_input", "action_id": "value", "multiline": True,
                     "max_length": QUESTION_CHARS,
                     "placeholder": {"type": "plain_text", "text": tr(lang, "What do you need help with?")}}},
        {"type": "input", "block_id": "department", "optional": True,
         "label": {"type": "plain_text", "text": tr(lang, "Department")},
         "hint": {"type": "plain_text", "text": tr(lang, "Not sure? Leave it: helploop sends it to the right team.")},
         "element": {"type": "static_select", "action_id": "value", "options": options, "initial_option": auto}},
        {"type": "input", "block_id": "urgency", "label": {"type": "plain_text", "text": tr(lang, "How urgent is it?")},
         "element": {"type": "radio_buttons", "action_id": "value", "initial_option": normal,
                     "options": [normal, _option(tr(lang, "It's blocking my work: page the on-call person now"),
                                                 BLOCKING)]}},
    ]
    if anonymous:
        blocks.append({"type": "input", "block_id": "anonymous", "optional": True,
                       "label": {"type": "plain_text", "text": tr(lang, "Privacy")},
                       "element": {"type": "checkboxes", "action_id": "value", "options": [_option(tr(
                           lang, "Ask anonymously: the team sees “an employee” and can still reply to you"), "yes")]}})
    blocks.append(context(tr(lang, "I'll answer in our direct messages; you can follow the request in my Home tab.")))
    return {"type": "modal", "callback_id": str(CallbackId.REQUEST_FORM),
            "title": {"type": "plain_text", "text": tr(lang, "Ask for help")},
            "submit": {"type": "plain_text", "text": tr(lang, "Send")},
            "close": {"type": "plain_text", "text": tr(lang, "Cancel")}, "blocks": blocks}


def request_submission(view: dict[str, Any]) -> FormRequest:
    """What a submitted request form asks (empty text: nothing to ask)."""
    values = dig(view, "state", "values")
    text = strings(dig(values, "question", "value")).get("value") or ""
    chosen = strings(dig(values, "department", "value", "selected_option")).get("value")
    urgency = strings(dig(values, "urgency", "value", "selected_option")).get("value")
    ticked = dig(values, "anonymous", "value").get("selected_options")
    anonymous = isinstance(ticked, list) and any(strings(o).get("value") == "yes" for o in ticked)
    return FormRequest(clean(text).strip(), chosen if chosen and chosen != ANY_DEPARTMENT else None,
                       urgency == BLOCKING, anonymous)


def _option(label: str, value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": label[:75]}, "value": value[:150]}
