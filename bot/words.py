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
    ANSWER_EXPIRED = "answer_expired"  # a KB answer nobody clicked: unconfirmed self-service, never a success


class TimerKind(StrEnum):
    """What a timer does when it is due."""

    FOLLOWUP = "followup"
    FOLLOWUP_EXPIRY = "followup_expiry"
    ANSWER_EXPIRY = "answer_expiry"      # a KB answer (or choices) nobody clicked for answer_expiry_days
    ESCALATION_STEP = "escalation_step"  # unclaimed past the ack timeout: page the next step
    STALE_CLAIM = "stale_claim"          # claimed but untouched for too long: remind the claimer
    # Written by releases before the outbox (a failed Slack post retried by a timer); still honoured.
    TRIAGE_RETRY = "triage_retry"
    ANSWER_RETRY = "answer_retry"
    RECHECK = "recheck"                  # days after a confirmed fix: "Is it still fixed?" (per department)
    DIGEST = "digest"                    # a department's weekly digest (no request: the row names the department)
    PULSE = "pulse"                      # a department's pulse survey (no request: the row names the department)


class Purpose(StrEnum):
    """The bot's messages about a request that are recorded on it and edited in place later."""

    ANSWER = "answer"          # the KB answer or the "Did you mean …?" choices, in the requester's thread/DM
    TRIAGE = "triage"          # the post in the department's triage channel
    FOLLOWUP = "followup"      # "was it really fixed?"
    ESCALATION = "escalation"  # the one status line of the escalation chain in the triage thread
    QUESTION = "question"      # the bot's quote of a question asked without a message (slash command)
    SURVEY = "survey"          # "How would you rate …?" after a confirmed fix (edited once rated)
    RECHECK = "recheck"        # "Is it still fixed?" some days after a confirmed fix


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
    ANSWER_EXPIRED = "answer_expired"
    ESCALATION_STEP = "escalation_step"
    STALE_REMINDER = "stale_reminder"
    TRANSFERRED = "transferred"
    RELAYED = "relayed"
    RELATED_SHOWN = "related_shown"
    NOTE = "note"
    DELIVERY_GAVE_UP = "delivery_gave_up"
    TIMER_GAVE_UP = "timer_gave_up"
    SPIKE_ALERT = "spike_alert"      # many people asked the same unanswered thing: the admins were alerted
    RATED = "rated"
    COMMENTED = "commented"
    RECHECK_ASKED = "recheck_asked"
    STILL_FIXED = "still_fixed"          # the re-check was answered "yes"


class Direction(StrEnum):
    """Which way a conversation message goes."""

    TO_REQUESTER = "to_requester"   # staff wrote in the triage thread; relayed to the employee
    TO_STAFF = "to_staff"           # the employee wrote; relayed to the triage thread
    INTERNAL = "internal"           # a staff note: stays in the triage thread


BOT_ACTOR = "helploop"
FEEDBACK_SOURCE = "feedback"  # a request made of named feedback about a department (/helploop feedback)
ANONYMOUS_ACTOR = "anonymous"  # how an anonymous requester appears in audit rows
OPEN_STATUSES = (Status.ESCALATED, Status.CLAIMED, Status.REOPENED)
