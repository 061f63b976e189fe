"""Shared constructors and checks for the pure Slack-edge unit tests (no HTTP, no database, no threads)."""
from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from bot.records import RequestView, Transfer
from localslack.webapi import render_message

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday, 10:00 in Warsaw
AT_FALLBACK = "2026-03-02 09:00 UTC"                    # how slack_time(AT) reads in the fallback
EMPLOYEE, CLAIMER, ONCALL, STAFF = "U0EMPLOYEE", "U0HLANNA", "U0HLPIOTR", "U0HLKASIA"

_BASE: dict[str, Any] = dict(
    id=42, channel_id="D0EMPLOYEE", message_ts="1772442000.000100", reply_thread_ts=None, user_id=EMPLOYEE,
    source="dm", text="My VPN password expired and I can't log in", department_id="it", department_name="IT",
    triage_channel="C0HLITTRIAGE", status="escalated", resolution=None, kb_entry_id=None, oncall_user_id=None,
    claimed_by=None, reopen_count=0, answer_ts=None, triage_ts=None, followup_channel=None, followup_ts=None,
    created_at=AT, resolved_at=None,
)

# The fields a request has, consistently, in each state the triage post can show.
_STATE: dict[str, dict[str, Any]] = {
    "answered": dict(status="answered", answer_text="Reset it at https://id.example.com."),
    "suggested": dict(status="suggested"),
    "escalated": dict(status="escalated", oncall_user_id=ONCALL),
    "escalated_reopened": dict(status="escalated", oncall_user_id=ONCALL, reopen_count=1),
    "claimed": dict(status="claimed", claimed_by=CLAIMER),
    "reopened": dict(status="reopened", claimed_by=CLAIMER, reopen_count=1),
    "resolved": dict(status="resolved", claimed_by=CLAIMER, resolved_at=AT),
    "closed_confirmed": dict(status="closed", resolution="confirmed", claimed_by=CLAIMER, resolved_at=AT),
    "closed_unconfirmed": dict(status="closed", resolution="unconfirmed", claimed_by=CLAIMER, resolved_at=AT),
    "closed_self_served": dict(status="closed", resolution="self_served",
                               answer_text="Reset it at https://id.example.com."),
}
STATES = tuple(_STATE)


def view(**overrides: Any) -> RequestView:
    """A RequestView of an escalated IT request (#42 from U0EMPLOYEE), with `overrides` applied."""
    unknown = set(overrides) - set(RequestView.__dataclass_fields__)
    assert not unknown, f"RequestView has no field(s) {unknown}"
    return RequestView(**{**_BASE, **overrides})


def view_in(state: str, **overrides: Any) -> RequestView:
    """A request in one of STATES, with the fields that state implies (claimer, resolution, ...)."""
    return view(**{**_STATE[state], **overrides})


def transfer(**overrides: Any) -> Transfer:
    """A move IT -> People & HR by U0HLANNA with a note."""
    fields: dict[str, Any] = dict(from_department="IT", to_department="People & HR", by=CLAIMER,
                                  note="Payroll question, not IT", old_triage_channel="C0HLITTRIAGE",
                                  old_triage_ts="1772442001.000200")
    return Transfer(**{**fields, **overrides})


# --- what a person sees ---------------------------------------------------------------------------------
def rendered(text: str, blocks: list[dict[str, Any]] | None = None) -> str:
    """The message as the fake Slack renders it: plain lines, buttons as [Label], dates as their fallback."""
    return "\n".join(render_message({"text": text, "blocks": blocks}))


def buttons(blocks: list[dict[str, Any]]) -> list[tuple[str, str, Any]]:
    """(label, action_id, value) of every button, in order."""
    return [(e["text"]["text"], e["action_id"], e.get("value"))
            for b in blocks if b.get("type") == "actions" for e in b["elements"] if e.get("type") == "button"]


def labels(blocks: list[dict[str, Any]]) -> list[str]:
    """Every button's label, in order."""
    return [label for label, _, _ in buttons(blocks)]


# --- Block Kit limits -----------------------------------------------------------------------------------
# https://api.slack.com/reference/block-kit/blocks (the limits the builders can plausibly hit)
MAX_MESSAGE_BLOCKS, MAX_MODAL_BLOCKS = 50, 100
MAX_SECTION_TEXT = 3000
MAX_CONTEXT_TEXT = 3000
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTION_ELEMENTS = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_ACTION_ID = 255
MAX_BLOCK_ID = 255
MAX_OPTION_TEXT, MAX_OPTION_VALUE, MAX_OPTIONS = 75, 150, 100
MAX_MODAL_TITLE = 24
MAX_HEADER_TEXT = 150
TEXT_TYPES = ("mrkdwn", "plain_text")


def _text_problems(where: str, obj: Any, limit: int, types: tuple[str, ...] = TEXT_TYPES) -> list[str]:
    if not isinstance(obj, dict) or obj.get("type") not in types:
        return [f"{where}: not a text object of type {types}: {obj!r}"]
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        return [f"{where}: empty or non-string text {text!r}"]
    if len(text) > limit:
        return [f"{where}: {len(text)} chars > {limit}"]
    return []


def _button_problems(where: str, element: dict[str, Any]) -> list[str]:
    problems = _text_problems(f"{where}.text", element.get("text"), MAX_BUTTON_TEXT, ("plain_text",))
    value = element.get("value")
    if not isinstance(value, str) or len(value) > MAX_BUTTON_VALUE:
        problems.append(f"{where}: button value must be a string of <= {MAX_BUTTON_VALUE}: {value!r}")
    if "style" in element and element["style"] not in ("primary", "danger"):
        problems.append(f"{where}: bad style {element['style']!r}")
    return problems


def _select_problems(where: str, element: dict[str, Any]) -> list[str]:
    options = element.get("options")
    if not isinstance(options, list) or not 1 <= len(options) <= MAX_OPTIONS:
        return [f"{where}: static_select needs 1..{MAX_OPTIONS} options"]
    problems: list[str] = []
    for j, option in enumerate(options):
        problems += _text_problems(f"{where}.options[{j}]", option.get("text"), MAX_OPTION_TEXT, ("plain_text",))
        if not isinstance(option.get("value"), str) or len(option["value"]) > MAX_OPTION_VALUE:
            problems.append(f"{where}.options[{j}]: bad value {option.get('value')!r}")
    return problems


_ELEMENTS = {"button": _button_problems, "static_select": _select_problems, "plain_text_input": lambda w, e: [],
             "radio_buttons": _select_problems, "checkboxes": _select_problems}


def _element_problems(where: str, element: Any) -> list[str]:
    if not isinstance(element, dict) or element.get("type") not in _ELEMENTS:
        return [f"{where}: unexpected element {element!r}"]
    action_id = element.get("action_id")
    problems = [] if isinstance(action_id, str) and 0 < len(action_id) <= MAX_ACTION_ID else [
        f"{where}: bad action_id {action_id!r}"]
    return problems + _ELEMENTS[element["type"]](where, element)


def _section(where: str, block: dict[str, Any]) -> list[str]:
    accessory = _element_problems(f"{where}.accessory", block["accessory"]) if "accessory" in block else []
    return _text_problems(f"{where}.text", block.get("text"), MAX_SECTION_TEXT) + accessory


def _header(where: str, block: dict[str, Any]) -> list[str]:
    return _text_problems(f"{where}.text", block.get("text"), MAX_HEADER_TEXT, ("plain_text",))


def _context(where: str, block: dict[str, Any]) -> list[str]:
    elements = block.get("elements")
    if not isinstance(elements, list) or not 1 <= len(elements) <= MAX_CONTEXT_ELEMENTS:
        return [f"{where}: context needs 1..{MAX_CONTEXT_ELEMENTS} elements"]
    return [p for j, e in enumerate(elements) for p in _text_problems(f"{where}.elements[{j}]", e, MAX_CONTEXT_TEXT)]


def _actions(where: str, block: dict[str, Any]) -> list[str]:
    elements = block.get("elements")
    if not isinstance(elements, list) or not 1 <= len(elements) <= MAX_ACTION_ELEMENTS:
        return [f"{where}: actions needs 1..{MAX_ACTION_ELEMENTS} elements"]
    ids = Counter(e.get("action_id") for e in elements if isinstance(e, dict))
    problems = [f"{where}: duplicate action_id {a!r}" for a, n in ids.items() if n > 1]
    return problems + [p for j, e in enumerate(elements) for p in _element_problems(f"{where}.elements[{j}]", e)]


def _input(where: str, block: dict[str, Any]) -> list[str]:
    return (_text_problems(f"{where}.label", block.get("label"), 2000, ("plain_text",))
            + _element_problems(f"{where}.element", block.get("element")))


_BLOCKS = {"section": _section, "context": _context, "actions": _actions, "input": _input,
           "divider": lambda w, b: [], "header": _header}


def block_problems(blocks: Any, max_blocks: int = MAX_MESSAGE_BLOCKS) -> list[str]:
    """Every Block Kit rule `blocks` breaks (empty when Slack would accept them)."""
    if not isinstance(blocks, list) or not 1 <= len(blocks) <= max_blocks:
        return [f"blocks must be a list of 1..{max_blocks} blocks: {blocks!r:.200}"]
    problems: list[str] = []
    block_ids = Counter(b.get("block_id") for b in blocks if isinstance(b, dict) and "block_id" in b)
    problems += [f"duplicate block_id {bid!r}" for bid, n in block_ids.items() if n > 1]
    for i, block in enumerate(blocks):
        where = f"blocks[{i}]"
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            problems.append(f"{where}: no type")
        elif block["type"] not in _BLOCKS:
            problems.append(f"{where}: unexpected block type {block['type']!r}")
        else:
            bid = block.get("block_id", "")
            if not isinstance(bid, str) or len(bid) > MAX_BLOCK_ID:
                problems.append(f"{where}: bad block_id {bid!r}")
            problems += _BLOCKS[block["type"]](where, block)
    return problems


def assert_valid_message(text: Any, blocks: Any) -> None:
    """A chat.postMessage/chat.update payload Slack accepts: a fallback text and valid blocks."""
    assert isinstance(text, str) and text.strip(), f"fallback text must be a non-empty string: {text!r}"
    problems = block_problems(blocks)
    assert not problems, "\n".join(problems)


def modal_problems(view_: Any) -> list[str]:
    """Every rule a views.open modal breaks."""
    problems: list[str] = []
    if view_.get("type") != "modal":
        problems.append("type must be modal")
    for key in ("title", "submit", "close"):
        problems += _text_problems(key, view_.get(key), MAX_MODAL_TITLE, ("plain_text",))
    if not isinstance(view_.get("callback_id"), str) or not view_["callback_id"]:
        problems.append("callback_id must be a non-empty string")
    if not isinstance(view_.get("private_metadata", ""), str) or len(view_.get("private_metadata", "")) > 3000:
        problems.append("private_metadata must be a string of <= 3000")
    return problems + block_problems(view_.get("blocks"), MAX_MODAL_BLOCKS)


def home_problems(view_: Any) -> list[str]:
    """Every rule a views.publish Home view breaks."""
    problems = [] if view_.get("type") == "home" else ["type must be home"]
    return problems + block_problems(view_.get("blocks"), MAX_MODAL_BLOCKS)
