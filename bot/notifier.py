"""The domain's only way to reach Slack: a small interface the Slack edge implements."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from bot.records import EscalationStep, HistoryLine, RequestView, Transfer


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
    CHOICES = "choices"        # the "Did you mean …?" message, once the employee picked "none of these"
    TRIAGE = "triage"
    FOLLOWUP = "followup"


class Notifier(Protocol):
    """Slack as the domain sees it; every method returns quickly and never raises for Slack errors."""

    def send_answer(self, request: RequestView, answer: str) -> MessageRef | None:
        """Reply to the requester with a KB answer and "solved" / "still need help" buttons."""

    def offer_choices(self, request: RequestView, choices: Sequence[tuple[str, str]]) -> MessageRef | None:
        """Ask "Did you mean …?" with one button per (entry id, title) and "None of these"."""

    def send_escalation_notice(self, request: RequestView,
                               reply_expected_from: datetime | None) -> MessageRef | None:
        """Tell the requester which department has it, who is on call, and (after hours) when to expect a reply."""

    def post_triage(self, request: RequestView, history: Sequence[HistoryLine]) -> MessageRef | None:
        """Post the escalation in the department's triage channel with a Claim button (and its history)."""

    def page(self, request: RequestView, step: str, targets: Sequence[str]) -> None:
        """Page people directly because nobody claimed the request in time."""

    def show_escalation(self, request: RequestView, steps: Sequence[EscalationStep]) -> MessageRef | None:
        """Show the escalation steps as one status line in the triage thread (post once, then edit)."""

    def remind_claimer(self, request: RequestView) -> None:
        """Remind the claimer of a claimed request that has seen no activity for a while."""

    def transferred(self, request: RequestView, transfer: Transfer,
                    reply_expected_from: datetime | None) -> None:
        """Mark the old triage post as moved and tell the requester, once, where it went."""

    def ask_followup(self, request: RequestView) -> MessageRef | None:
        """Ask the requester whether the issue was really fixed (Yes / No)."""

    def notify(self, request: RequestView, notice: Notice) -> None:
        """Tell the requester (or the claimer, for REOPENED) what happened."""

    def refresh(self, request: RequestView, posted: Posted) -> None:
        """Edit one of the bot's messages about the request to show its current state."""
