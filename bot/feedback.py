"""Feedback about a department's service (/helploop feedback), anonymous or named.

Anonymous feedback is stored and posted to the department's triage channel with nobody's id: not in
its row, not in the audit (it has no request, so no audit row), not in the post, not in a log line.
It cannot be answered. Named feedback becomes a request of source "feedback" in the department's
queue (not paged): staff answer it in its triage thread and the relay carries the conversation to
the author's DM, like any request.
"""
from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock
from bot.messages import Messages, SurveyMessages
from bot.outbox import Outbox
from bot.records import Outcome, Refusal
from bot.requests import RequestStore, audit
from bot.words import FEEDBACK_SOURCE, Action, Status
from storage import feedback_queries as fq
from storage import queries

FEEDBACK_CHARS = 3000


@dataclass(frozen=True)
class Feedback:
    """What the form sent: about which department, what, and from whom (None: anonymous)."""

    department_id: str
    text: str
    author: str | None = None        # None: anonymous, and nothing else identifies the author
    dm_channel: str | None = None    # the author's DM with the bot (named feedback only)
    key: str = ""                    # unique per submission, so a reprocessed one makes one request
    language: str | None = None      # the form's language: the author's replies and notices are in it


class FeedbackBox:
    """Takes feedback about a department and hands it to the department."""

    def __init__(self, store: RequestStore, outbox: Outbox, say: Messages, clock: Clock) -> None:
        self.store, self.outbox, self.say, self.clock = store, outbox, say, clock
        self.survey_say: SurveyMessages = say  # type: ignore[assignment]  # the Slack edge renders both

    def submit(self, feedback: Feedback) -> Outcome:
        """Store the feedback and post it to the department's triage channel (named: as a request staff can answer)."""
        department = self.store.kb().departments.get(feedback.department_id)
        text = feedback.text.strip()[:FEEDBACK_CHARS]
        if department is None:
            return Outcome.refused(Refusal.UNKNOWN_DEPARTMENT)
        if not text:
            return Outcome.refused(Refusal.NOT_FOUND)
        now = self.clock.now()
        with self.store.sessions.begin() as session:
            if feedback.author is None:
                fq.add_feedback(session, department_id=department.id, text=text, anonymous=True, request_id=None,
                                created_at=now)
                self.outbox.add(session, self.survey_say.department_feedback(
                    department.name, department.triage_channel, text, department.language), now)
                return Outcome(ok=True)
            request = queries.add_request(
                session, channel_id=feedback.dm_channel or feedback.author, root_ts=feedback.key,
                message_ts=feedback.key, reply_thread_ts=None, user_id=feedback.author, anonymous=False,
                source=FEEDBACK_SOURCE, text=text, department_id=department.id, status=Status.ESCALATED,
                language=feedback.language,
                kb_entry_id=None, kb_score=None, reopen_count=0, created_at=now, updated_at=now, escalated_at=now)
            if request is None:  # the same submission processed again
                return Outcome.refused(Refusal.ALREADY_DONE)
            fq.add_feedback(session, department_id=department.id, text=text, anonymous=False,
                            request_id=request.id, created_at=now)
            audit(session, request.id, now, feedback.author, Action.CREATED, None, Status.ESCALATED,
                  kind=FEEDBACK_SOURCE)
            view = self.store.view(request)
            self.outbox.add(session, self.say.triage(view, ()), now, request.id)
            self.outbox.add(session, self.survey_say.feedback_received(view), now, request.id)
        return Outcome(ok=True, request=view)
