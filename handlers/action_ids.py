"""Every interactive component's action id, in one place."""
from enum import StrEnum


class ActionId(StrEnum):
    """Block Kit action ids; the button's value is always the request id."""

    SOLVED = "helploop.answer.solved"
    NEED_HELP = "helploop.answer.need_help"
    PICK = "helploop.answer.pick"      # + ".<n>": Block Kit wants distinct action ids within a block
    RELATED = "helploop.answer.related"  # + ".<n>"; value "<request>|<entry>": a related entry's answer
    NONE_OF_THESE = "helploop.answer.none"
    CLAIM = "helploop.triage.claim"
    UNCLAIM = "helploop.triage.unclaim"
    RESOLVE = "helploop.triage.resolve"
    TRANSFER = "helploop.triage.transfer"
    FIXED_YES = "helploop.followup.yes"
    FIXED_NO = "helploop.followup.no"
    REOPEN = "helploop.followup.reopen"       # a closed request, within the department's reopen window
    ADD_TO_REQUEST = "helploop.held.add"      # value: the held message id
    NEW_QUESTION = "helploop.held.new"


class CallbackId(StrEnum):
    """Modal callback ids."""

    TRANSFER = "helploop.transfer"
    ASK = "helploop.ask"  # the "Ask helploop" message shortcut
    RESOLVE = "helploop.resolve"  # the resolution note form
    NOTE = "helploop.note"        # the "Internal note" message shortcut in a triage thread
