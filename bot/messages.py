"""What the bot says, as the domain asks for it: the Slack edge renders each message as a SlackWrite."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from bot.outbox import SlackWrite
from bot.records import EscalationStep, HistoryLine, PastCase, RequestView, Said, Spike, Transfer


class Notice(StrEnum):
    """Something a person is told about their request."""

    CLAIMED = "claimed"        # to the requester: who is on it
    RESOLVED = "resolved"      # to the requester: staff marked it resolved
    REOPENED = "reopened"      # to the claimer, in the triage thread: the requester says it is not fixed
    REVIVED = "revived"        # in the triage thread: a closed request was reopened by its requester


class Posted(StrEnum):
    """The bot's messages about a request that are edited in place as its state changes."""

    ANSWER = "answer"
    CHOICES = "choices"        # the "Did you mean …?" message, once the employee picked "none of these"
    TRIAGE = "triage"
    FOLLOWUP = "followup"


class Messages(Protocol):
    """Renders each message the domain sends; None means there is nowhere to send it."""

    def question_quote(self, request: RequestView) -> SlackWrite:
        """The question quoted in the requester's DM, for a question asked without a message of its own."""

    def answer(self, request: RequestView, answer: str,
               related: Sequence[tuple[str, str]] = ()) -> SlackWrite:
        """The KB answer with "solved" / "still need help" buttons (and related entries), to the requester."""

    def choices(self, request: RequestView, choices: Sequence[tuple[str, str]]) -> SlackWrite:
        """ "Did you mean …?" with one button per (entry id, title) and "None of these"."""

    def escalation_notice(self, request: RequestView, reply_expected_from: datetime | None) -> SlackWrite:
        """To the requester: which department has it, who is on call, when to expect a reply."""

    def triage(self, request: RequestView, history: Sequence[HistoryLine]) -> SlackWrite | None:
        """The escalation in the department's triage channel, with a Claim button (and its history)."""

    def page(self, request: RequestView, step: str, user: str) -> SlackWrite:
        """A DM to one person paged because nobody claimed the request in time."""

    def escalation_status(self, request: RequestView, steps: Sequence[EscalationStep],
                          edit: bool) -> SlackWrite | None:
        """The one escalation status line in the triage thread (posted once, then edited)."""

    def stale_reminder(self, request: RequestView) -> SlackWrite | None:
        """A DM to the claimer of a request that went quiet."""

    def transferred_away(self, request: RequestView, transfer: Transfer) -> SlackWrite | None:
        """The old triage post, edited to say where the request went."""

    def requester_transferred(self, request: RequestView, transfer: Transfer,
                              reply_expected_from: datetime | None) -> SlackWrite:
        """To the requester, once: the request moved to another department."""

    def followup_question(self, request: RequestView) -> SlackWrite:
        """ "Was it really fixed?" with Yes / No, to the requester."""

    def notice(self, request: RequestView, notice: Notice) -> SlackWrite | None:
        """Tell the requester (or, for REOPENED, the claimer) what happened."""

    def refresh(self, request: RequestView, posted: Posted) -> SlackWrite | None:
        """Edit one of the bot's messages about the request to show its current state."""

    def relay_to_requester(self, request: RequestView, said: Said, message_id: int) -> SlackWrite:
        """A staff message, attributed, where the requester asked (their DM or their thread)."""

    def relay_to_staff(self, request: RequestView, said: Said, message_id: int) -> SlackWrite | None:
        """The requester's message, attributed ("an employee" when anonymous), in the triage thread."""

    def relay_edited(self, request: RequestView, said: Said, message_id: int, direction: str) -> SlackWrite:
        """The relayed copy of an edited message, edited the same way."""

    def relay_deleted(self, request: RequestView, message_id: int, direction: str) -> SlackWrite:
        """The relayed copy of a deleted message, deleted."""

    def note_marked(self, request: RequestView, channel: str, ts: str) -> SlackWrite:
        """Mark a staff message in the triage thread as an internal note (not relayed)."""

    def which_request(self, request: RequestView, held_id: int) -> SlackWrite:
        """ "Is this about your open request '…'? [Add to it] [New question]"."""

    def what_is_wrong(self, request: RequestView) -> SlackWrite:
        """After "No, still broken": ask what is still wrong; the answer is relayed."""

    def already_on_it(self, request: RequestView, channel: str, thread_ts: str) -> SlackWrite:
        """A second @mention in a thread that already has a request: say so, with its status."""

    def moved_to_dm(self, request: RequestView, channel: str, thread_ts: str) -> SlackWrite:
        """In the public thread: the question went to a private department, the conversation is in the DM."""

    def related_answer(self, request: RequestView, answer: str) -> SlackWrite:
        """A related entry's answer, posted under the first one when the employee asks for it."""

    def alert(self, channel: str, text: str) -> SlackWrite:
        """An operational problem, for the admins' channel."""

    def past_cases(self, request: RequestView, cases: Sequence[PastCase]) -> SlackWrite | None:
        """In the triage thread: resolved requests like this one, with what was done and links to them."""

    def spike(self, channel: str, spike: Spike) -> SlackWrite:
        """To the admins' channel: many people asked the same unanswered thing (maybe an outage)."""


class SurveyMessages(Protocol):
    """What the bot says when it asks for feedback (rendered by the Slack edge like `Messages`)."""

    def rating_prompt(self, request: RequestView) -> SlackWrite:
        """After a confirmed fix: "How would you rate …?" with five buttons and "Add a comment"."""

    def rating_recorded(self, request: RequestView, score: int | None, commented: bool) -> SlackWrite:
        """The rating question, edited to thank for the rating (and offer a comment if none yet)."""

    def recheck_question(self, request: RequestView) -> SlackWrite:
        """Days after a confirmed fix: "Is it still fixed?" with Yes / No, to the requester."""

    def recheck_answered(self, request: RequestView, still_fixed: bool) -> SlackWrite:
        """The re-check question, edited once answered (buttons gone)."""

    def feedback_received(self, request: RequestView) -> SlackWrite:
        """To the author of named feedback, in their DM: it went to the department, who may answer here."""

    def department_feedback(self, department_name: str, channel: str, text: str, language: str = "en") -> SlackWrite:
        """Anonymous feedback about a department, in its triage channel and language (no request, nobody named)."""

    def pulse_question(self, user: str, department_name: str, survey_id: int, language: str = "en") -> SlackWrite:
        """A pulse survey question in someone's DM, in their language: how is the department's service? (1-5)."""
