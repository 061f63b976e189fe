"""Pure builders and parsers for the resolution form (what was done, how to fix it yourself next time)."""
from __future__ import annotations

from typing import Any

from bot.records import RequestView
from handlers.action_ids import CallbackId
from handlers.blocks import section, short
from handlers.escape import clean
from handlers.parse import database_id, dig, strings

NOTE_CHARS = 2000


def resolve_modal(request: RequestView) -> dict[str, Any]:
    """The form Resolve opens: the note goes to the employee with "was it really fixed?" and is stored."""
    return {
        "type": "modal", "callback_id": str(CallbackId.RESOLVE), "private_metadata": str(request.id),
        "title": {"type": "plain_text", "text": f"Resolve #{request.id}"[:24]},
        "submit": {"type": "plain_text", "text": "Resolve"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            section(f"“{short(request.text)}”"),
            _text_input("done", "What was done", optional=True),
            _text_input("self_help", "How to fix it yourself next time", optional=True),
        ],
    }


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
