"""The domain's words: request statuses, resolutions, timer kinds, message purposes and audit actions."""
from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """Where a request is in its lifecycle."""

    ANSWERED = "answered"      # a KB answer was offered; waiting for the employee's verdict
    SUGGESTED = "suggested"    # 2-3 close KB entries were offered ("Did you mean …?"); waiting for a pick
    ESCALATED = "escalated"    # waiting in a triage channel for someone to claim it
    CLAIMED = "claimed"        # a staff member is on it
    REOPENED = "reopened"      # the employee said "not fixed"; back with the claimer
    RESOLVED = "resolved"      # staff resolved it; follow-up pending or asked
    CLOSED = "closed"          # final; see Resolution


class Resolution(StrEnum):
    """How a closed request ended."""

    SELF_SERVED = "self_served"
    CONFIRMED = "confirmed"
    UNCONFIRMED = "unconfirmed"


class TimerKind(StrEnum):
    """What a timer does when it is due."""

    FOLLOWUP = "followup"
    FOLLOWUP_EXPIRY = "followup_expiry"
    ESCALATION_STEP = "escalation_step"  # unclaimed past the ack timeout: page the next step
    STALE_CLAIM = "stale_claim"          # claimed but untouched for too long: remind the claimer
    # Written by releases before the outbox (a failed Slack post retried by a timer); still honoured.
    TRIAGE_RETRY = "triage_retry"
    ANSWER_RETRY = "answer_retry"


class Purpose(StrEnum):
    """The bot's messages about a request that are recorded on it and edited in place later."""

    ANSWER = "answer"          # the KB answer or the "Did you mean …?" choices, in the requester's thread/DM
    TRIAGE = "triage"          # the post in the department's triage channel
    FOLLOWUP = "followup"      # "was it really fixed?"
    ESCALATION = "escalation"  # the one status line of the escalation chain in the triage thread
    QUESTION = "question"      # the bot's quote of a question asked without a message (slash command)


class Action(StrEnum):
    """Audit actions: every state change (and every notable non-change) writes one."""

    CREATED = "created"
    PICKED = "picked"
    SELF_SERVED = "self_served"
    ESCALATED = "escalated"
    CLAIMED = "claimed"
    UNCLAIMED = "unclaimed"
    RESOLVED = "resolved"
    CONFIRMED = "confirmed"
    REOPENED = "reopened"
    FOLLOWUP_ASKED = "followup_asked"
    FOLLOWUP_EXPIRED = "followup_expired"
    ESCALATION_STEP = "escalation_step"
    STALE_REMINDER = "stale_reminder"
    TRANSFERRED = "transferred"
    RELAYED = "relayed"
    RELATED_SHOWN = "related_shown"
    NOTE = "note"
    DELIVERY_GAVE_UP = "delivery_gave_up"
    TIMER_GAVE_UP = "timer_gave_up"


class Direction(StrEnum):
    """Which way a conversation message goes."""

    TO_REQUESTER = "to_requester"   # staff wrote in the triage thread; relayed to the employee
    TO_STAFF = "to_staff"           # the employee wrote; relayed to the triage thread
    INTERNAL = "internal"           # a staff note: stays in the triage thread


BOT_ACTOR = "helploop"
ANONYMOUS_ACTOR = "anonymous"  # how an anonymous requester appears in audit rows
OPEN_STATUSES = (Status.ESCALATED, Status.CLAIMED, Status.REOPENED)
