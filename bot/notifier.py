"""The domain's only way to reach Slack: a small interface the Slack edge implements."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bot.records import RequestView


@dataclass(frozen=True)
class MessageRef:
    """Where a message the bot posted lives."""

    channel: str
    ts: str


class Notice(StrEnum):
    """Something a person is told about their request."""

    CLAIMED = "claimed"        # to the requester: who is on it
    RESOLVED = "resolved"      # to the requester: staff marked it resolved
    REOPENED = "reopened"      # to the claimer: the requester says it is not fixed


class Posted(StrEnum):
    """The bot's messages about a request that are edited in place as its state changes."""

    ANSWER = "answer"
    TRIAGE = "triage"
    FOLLOWUP = "followup"


class Notifier(Protocol):
    """Slack as the domain sees it; every method returns quickly and never raises for Slack errors."""

    def send_answer(self, request: RequestView, answer: str) -> MessageRef | None:
        """Reply to the requester with a KB answer and "solved" / "still need help" buttons."""

    def send_escalation_notice(self, request: RequestView) -> MessageRef | None:
        """Tell the requester which department has the request and who is on call."""

    def post_triage(self, request: RequestView) -> MessageRef | None:
        """Post the escalation in the department's triage channel with a Claim button."""

    def ask_followup(self, request: RequestView) -> MessageRef | None:
        """Ask the requester whether the issue was really fixed (Yes / No)."""

    def notify(self, request: RequestView, notice: Notice) -> None:
        """Tell the requester (or the claimer, for REOPENED) what happened."""

    def refresh(self, request: RequestView, posted: Posted) -> None:
        """Edit one of the bot's messages about the request to show its current state."""
