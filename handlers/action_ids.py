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
    RATE = "helploop.survey.rate"             # + ".<n>"; value "<request>|<score>": one click rates 1-5
    COMMENT = "helploop.survey.comment"       # opens the comment form
    STILL_FIXED = "helploop.recheck.yes"      # "Is it still fixed?"
    NOT_FIXED = "helploop.recheck.no"
    PULSE = "helploop.pulse.rate"             # + ".<n>"; value "<survey>|<score>"
    ADD_MESSAGE = "helploop.home.add_message"  # App Home: opens the "add a message" form for the request
    OPEN_FORM = "helploop.home.ask"            # App Home: opens the request form (value "form")
    SEARCH = "helploop.home.search"            # App Home: the KB search box (an input that dispatches)


class CallbackId(StrEnum):
    """Modal callback ids."""

    TRANSFER = "helploop.transfer"
    ASK = "helploop.ask"  # the "Ask helploop" message shortcut
    RESOLVE = "helploop.resolve"  # the resolution note form
    NOTE = "helploop.note"        # the "Internal note" message shortcut in a triage thread
    COMMENT = "helploop.comment"  # the comment on a rating
    FEEDBACK = "helploop.feedback"  # /helploop feedback: about a department, optionally anonymous
    ASK_FOR_HELP = "helploop.ask_for_help"  # the "Ask for help" global shortcut: opens the request form
    REQUEST_FORM = "helploop.request_form"  # the request form (department, question, urgency, anonymous)
    ADD_MESSAGE = "helploop.home.message"   # "add a message" to one's own request, from the App Home
    SEARCH_RESULTS = "helploop.search"      # the KB search results opened from the App Home
