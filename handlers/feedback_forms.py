"""Parsing the feedback forms and buttons, and keeping an anonymous author's id out of storage at the edge."""
from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import urlencode

from handlers.action_ids import CallbackId
from handlers.escape import clean
from handlers.feedback_blocks import feedback_thanks, thanks_view
from handlers.i18n import view_language
from handlers.parse import database_id, dig, pick_of, strings

SCRUBBED_USER = {"id": ""}  # what an anonymous feedback submission says about its author
VIEW_KEPT = ("id", "type", "callback_id", "team_id", "app_id", "bot_id")  # of an anonymous form's view


def score_of(body: dict[str, Any]) -> tuple[int, int] | None:
    """(request or survey id, score 1-5) from a rating button's value "<id>|<score>"."""
    picked = pick_of(body)
    if picked is None or picked[1] not in ("1", "2", "3", "4", "5"):
        return None
    return picked[0], int(picked[1])


def feedback_submission(view: dict[str, Any]) -> tuple[str | None, str | None, bool]:
    """(department id, text, anonymous) from a submitted feedback form."""
    values = dig(view, "state", "values")
    department = strings(dig(values, "department", "value", "selected_option")).get("value")
    text = strings(dig(values, "text", "value")).get("value")
    chosen = dig(values, "anonymous", "value").get("selected_options")
    anonymous = isinstance(chosen, list) and any(strings(o).get("value") == "anonymous" for o in chosen)
    return department or None, (clean(text).strip() or None) if text else None, anonymous


def comment_submission(view: dict[str, Any]) -> tuple[int | None, str | None]:
    """(request id, comment) from a submitted comment form."""
    text = strings(dig(view, "state", "values", "comment", "value")).get("value")
    return (database_id(strings(view).get("private_metadata", "")),
            (clean(text).strip() or None) if text else None)


def is_feedback_form(payload: dict[str, Any]) -> bool:
    """True for a submitted /helploop feedback form."""
    return payload.get("type") == "view_submission" and dig(payload, "view").get("callback_id") == CallbackId.FEEDBACK


def submission_key(payload: dict[str, Any]) -> str:
    """A key unique to one submission (the view id), without anything that names its author."""
    view = dig(payload, "view")
    seed = str(view.get("id") or payload.get("trigger_id") or json.dumps(view.get("state"), sort_keys=True))
    return "fb-" + hashlib.sha256(seed.encode()).hexdigest()[:24]


def scrub_anonymous(payload: dict[str, Any], body: str, mode: str) -> tuple[dict[str, Any], str]:
    """An anonymous feedback submission, stored without its author: the user is replaced before the inbox sees it.

    The response URLs go too, and the view keeps only what processing reads (its id, callback and the three
    answers): the form's blocks, title and option labels are in the author's language (block id `language-xx`,
    translated words), a hint in a small team. The thank-you in that language is built from the payload as it
    came (`acknowledgement`, before scrubbing) and never stored. Other payloads are returned as they came.
    """
    view = dig(payload, "view")
    if not is_feedback_form(payload) or not feedback_submission(view)[2]:
        return payload, body
    scrubbed = {key: value for key, value in payload.items() if key not in ("user", "response_urls", "view")}
    scrubbed["user"] = dict(SCRUBBED_USER)
    scrubbed["view"] = {**{key: view[key] for key in VIEW_KEPT if key in view}, "state": {"values": _answers(view)}}
    text = json.dumps(scrubbed)
    return scrubbed, text if mode == "socket_mode" else urlencode({"payload": text})


def _answers(view: dict[str, Any]) -> dict[str, Any]:
    # The form's values as feedback_submission reads them, without the chosen options' (translated) labels.
    values = dig(view, "state", "values")
    department = strings(dig(values, "department", "value", "selected_option")).get("value")
    text = strings(dig(values, "text", "value")).get("value")
    return {"department": {"value": {"type": "static_select", "selected_option": {"value": department}}},
            "text": {"value": {"type": "plain_text_input", "value": text}},
            "anonymous": {"value": {"type": "checkboxes", "selected_options": [{"value": "anonymous"}]}}}


def acknowledgement(payload: dict[str, Any]) -> dict[str, Any] | None:
    """The ack body for a stored submission: the feedback form turns into a thank-you; others just close."""
    if not is_feedback_form(payload):
        return None
    view = dig(payload, "view")
    anonymous, lang = feedback_submission(view)[2], view_language(view)
    return {"response_action": "update", "view": thanks_view(feedback_thanks(anonymous, lang), lang)}
