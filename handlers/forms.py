"""Pure builders and parsers for the resolution form (what was done, how to fix it yourself next time)."""
from __future__ import annotations

from typing import Any

from bot.records import RequestView
from handlers.action_ids import CallbackId
from handlers.blocks import section, short
from handlers.escape import clean
from handlers.i18n import language_block_id, tr, view_language
from handlers.parse import database_id, dig, strings

NOTE_CHARS = 2000
SAVE_ANSWER = "save_answer"


def resolve_modal(request: RequestView) -> dict[str, Any]:
    """The form Resolve opens: the note goes to the employee with "was it really fixed?" and is stored."""
    lang = request.staff_language
    return {
        "type": "modal", "callback_id": str(CallbackId.RESOLVE), "private_metadata": str(request.id),
        "title": {"type": "plain_text", "text": tr(lang, "Resolve #{id}", id=request.id)[:24]},
        "submit": {"type": "plain_text", "text": tr(lang, "Resolve")},
        "close": {"type": "plain_text", "text": tr(lang, "Cancel")},
        "blocks": [
            {**section(f"“{short(request.text)}”"), "block_id": language_block_id(lang)},
            _text_input("done", tr(lang, "What was done"), optional=True),
            _text_input("self_help", tr(lang, "How to fix it yourself next time"), optional=True),
            _save_answer_input(lang),
        ],
    }


def save_as_answer(view: dict[str, Any]) -> bool:
    """Whether "Save as answer" was ticked in a submitted resolution form."""
    chosen = dig(view, "state", "values", SAVE_ANSWER, "value").get("selected_options")
    return isinstance(chosen, list) and any(strings(o).get("value") == SAVE_ANSWER for o in chosen)


def resolve_errors(view: dict[str, Any]) -> dict[str, Any] | None:
    """The ack for a resolution form that asks to save an answer without writing one (the form stays open)."""
    try:
        _, done, self_help = resolve_submission(view)
        wanted = save_as_answer(view)
    except (AttributeError, TypeError, ValueError):  # not shaped as Slack shapes a submitted modal
        return None
    if wanted and not (done or self_help):
        return {"response_action": "errors", "errors": {
            "self_help": tr(view_language(view), "To save this as an answer, write how to fix it (or what was done).")}}
    return None


def _save_answer_input(lang: str = "en") -> dict[str, Any]:
    option = {"text": {"type": "plain_text", "text": tr(lang, "Save as answer")},
              "description": {"type": "plain_text",
                              "text": tr(lang, "Draft a knowledge base entry from this question and your notes, "
                                               "for an admin to review")},
              "value": SAVE_ANSWER}
    return {"type": "input", "block_id": SAVE_ANSWER, "optional": True,
            "label": {"type": "plain_text", "text": tr(lang, "Knowledge base")},
            "element": {"type": "checkboxes", "action_id": "value", "options": [option]}}


def resolve_submission(view: dict[str, Any]) -> tuple[int | None, str | None, str | None]:
    """Request id, what was done, and the self-help tip from a submitted resolution form."""
    values = dig(view, "state", "values")
    return (database_id(strings(view).get("private_metadata", "")), _value(values, "done"),
            _value(values, "self_help"))


def _text_input(block_id: str, label: str, optional: bool) -> dict[str, Any]:
    return {"type": "input", "block_id": block_id, "optional": optional,
            "label": {"type": "plain_text", "text": label},
            "element": {"type": "plain_text_input", "action_id": "value", "multiline": True,
                        "max_length": NOTE_CHARS}}


def _value(values: dict[str, Any], block_id: str) -> str | None:
    value = strings(dig(values, block_id, "value")).get("value")
    return (clean(value).strip() or None) if value else None
