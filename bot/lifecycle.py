"""The request lifecycle: ask -> answer, offer or escalate -> claim -> resolve (follow-ups: bot.followups).

Every change commits together with the Slack messages it causes (outbox rows); nothing here talks
to Slack or waits for it.
"""
from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlalchemy.orm import Session

from bot.capture import Capture
from bot.clock import Clock
from bot.daytime import DAYTIME, Daytime
from bot.escalation import EscalationChain
from bot.messages import Messages, Notice, Posted
from bot.moves import Mover
from bot.outbox import Outbox
from bot.people import choose_language
from bot.records import Outcome, Question, Refusal, RequestView
from bot.requests import RequestStore, audit
from bot.routing import route
from bot.states import Verb
from bot.words import ANONYMOUS_ACTOR, Action, Resolution, Status, TimerKind
from kb import MatchResult
from storage import conversation_queries as talk
from storage import queries
from storage.models import Request

log = logging.getLogger(__name__)
MAX_QUESTION_CHARS = 4000
NOTE_CHARS = 2000  # a resolution note or self-help tip  # longer messages are kept whole in Slack; we store and match the start
FOLLOWUP_TIMERS = [TimerKind.FOLLOWUP, TimerKind.FOLLOWUP_EXPIRY]


class Lifecycle:
    """Every transition an employee or a staff member triggers."""

    def __init__(self, store: RequestStore, outbox: Outbox, say: Messages, chain: EscalationChain,
                 clock: Clock, capture: Capture | None = None, daytime: Daytime = DAYTIME) -> None:
        self.store, self.outbox, self.say, self.chain, self.clock = store, outbox, say, chain, clock
        self.mover = Mover(store, clock)
        self.capture = capture  # past cases and spike alerts on escalation, drafts on "Save as answer"
        self.daytime = daytime  # the follow-up waits for the requester's daytime (bot.daytime)

    # --- employee ---------------------------------------------------------------------------

    def ask(self, question: Question) -> RequestView | None:
        """Create a request for a message; answer it from the KB, offer choices, or escalate. None if a duplicate."""
        kb = self.store.kb()
        text = question.text.strip()[:MAX_QUESTION_CHARS]
        result = scoped(kb.match(text), question)
        department = self.store.department(question.department or route(kb, result, text))
        now = self.clock.now()
        language = question.language or choose_language(None, text)
        offered = [] if result.entry else [(c.entry.id, c.entry.question_for(language)) for c in result.choices]
        status = Status.ANSWERED if result.entry else Status.SUGGESTED if offered else Status.ESCALATED
        escalated = status == Status.ESCALATED
        paging = self.chain.paging(department, now)
        # A private department's question asked in public is answered in the asker's DM from now on.
        to_dm = department.private and not question.is_direct and question.dm_channel is not None
        direct = question.is_direct or to_dm
        with self.store.sessions.begin() as session:
            request = queries.add_request(
                session, channel_id=question.dm_channel if to_dm else question.channel_id,
                root_ts=question.thread_ts or question.message_ts, message_ts=question.message_ts,
                reply_thread_ts=None if direct else (question.thread_ts or question.message_ts),
                user_id="" if question.anonymous else question.user_id, anonymous=question.anonymous,
                source=question.source, text=text,
                department_id=department.id, status=status,
                kb_entry_id=result.best.id if result.best else None,
                kb_score=result.best_score, reopen_count=0, created_at=now, updated_at=now,
                escalated_at=now if escalated else None, first_response_at=None if escalated else now,
                oncall_user_id=paging.oncall_user_id if escalated else None, urgent=question.urgent,
                language=language,
            )
            if request is None:
                self._duplicate(session, question, now)
                return None
            self.outbox.created(session, request.id)
            if question.anonymous:
                talk.set_anonymous_requester(session, request.id, question.user_id)
            actor = ANONYMOUS_ACTOR if question.anonymous else question.user_id
            audit(session, request.id, now, actor, Action.CREATED, None, status,
                  entry=result.best.id if result.best else None, score=round(result.best_score, 1))
            view = self.store.view(request)
            if to_dm:
                thread = question.thread_ts or question.message_ts
                self.outbox.add(session, self.say.moved_to_dm(view, question.channel_id, thread), now, view.id)
            if question.quote:
                self.outbox.add(session, self.say.question_quote(view), now, view.id)
            self._first_reply(session, view, result, offered, paging.reply_expected_from, now)
            if status != Status.ESCALATED:  # an answer nobody clicks must not stay open forever
                queries.schedule_timer(session, view.id, TimerKind.ANSWER_EXPIRY,
                                       now + timedelta(days=department.answer_expiry_days), now)
            if question.urgent:
                self.chain.page_urgent(session, view, paging.oncall_user_id, now)
        return view

    def pick(self, request_id: int, user_id: str, entry_id: str) -> Outcome:
        """The employee picked one of the offered entries: show its answer with the usual buttons."""
        entry = self.store.kb().entries.get(entry_id)
        return self.mover.act(
            Verb.PICK, request_id, user_id, detail={"entry": entry_id},
            check=lambda _request: None if entry else Refusal.NOT_FOUND,
            values=lambda _request, _now: {"kb_entry_id": entry.id, "department_id": entry.department},
            then=lambda session, view, _from, now: self._refresh(session, view, Posted.ANSWER, now))

    def solved(self, request_id: int, user_id: str) -> Outcome:
        """The employee says the KB answer solved it: closed as self-served."""
        return self.mover.act(
            Verb.SOLVE, request_id, user_id,
            values=lambda _request, now: {"resolution": Resolution.SELF_SERVED, "closed_at": now,
                                          "resolved_at": now},
            then=self._after_solved)

    def _after_solved(self, session: Session, view: RequestView, _from: str, now: datetime) -> None:
        queries.cancel_timers(session, view.id, [TimerKind.ANSWER_EXPIRY], now)
        self._refresh(session, view, Posted.ANSWER, now)

    def still_need_help(self, request_id: int, user_id: str) -> Outcome:
        """The KB answer did not help, or none of the offered entries fit: escalate to the department."""
        def values(request: Request, now: datetime) -> dict:
            paging = self.chain.paging(self.store.department(request.department_id), now)
            return {"escalated_at": now, "oncall_user_id": paging.oncall_user_id}

        def then(session: Session, view: RequestView, from_status: str, now: datetime) -> None:
            department = self.store.department(view.department_id)
            queries.cancel_timers(session, view.id, [TimerKind.ANSWER_EXPIRY], now)
            self.chain.start(session, view.id, department, now)
            posted = Posted.CHOICES if from_status == Status.SUGGESTED else Posted.ANSWER
            self._refresh(session, view, posted, now)
            self._announce(session, view, self.chain.paging(department, now).reply_expected_from, now)

        return self.mover.act(Verb.NEED_HELP, request_id, user_id, values=values, then=then)

    # --- support staff ----------------------------------------------------------------------

    def claim(self, request_id: int, user_id: str) -> Outcome:
        """A staff member takes the request; exactly one concurrent claimer wins."""
        def then(session: Session, view: RequestView, _from: str, now: datetime) -> None:
            self.chain.claimed(session, view.id, self.store.department(view.department_id), now)
            self._refresh(session, view, Posted.TRIAGE, now)
            self.outbox.add(session, self.say.notice(view, Notice.CLAIMED), now, view.id)

        return self.mover.act(
            Verb.CLAIM, request_id, user_id, then=then,
            values=lambda _request, now: {"claimed_by": user_id, "claimed_at": now,
                                          "first_response_at": func.coalesce(Request.first_response_at, now)})

    def unclaim(self, request_id: int, user_id: str) -> Outcome:
        """The claimer gives the request back to the triage queue."""
        def then(session: Session, view: RequestView, _from: str, now: datetime) -> None:
            self.chain.start(session, view.id, self.store.department(view.department_id), now)
            self._refresh(session, view, Posted.TRIAGE, now)

        return self.mover.act(
            Verb.UNCLAIM, request_id, user_id, where={"claimed_by": user_id}, then=then,
            check=lambda request: None if request.claimed_by == user_id else Refusal.NOT_CLAIMER,
            values=lambda _request, _now: {"claimed_by": None, "claimed_at": None, "escalation_level": 0,
                                           "escalation_ts": None})

    def resolve(self, request_id: int, user_id: str, note: str | None = None, self_help: str | None = None,
                save_answer: bool = False) -> Outcome:
        """Staff mark the request resolved (with what was done); the follow-up is scheduled per the department.
        With `save_answer`, a draft KB entry is written from it once the resolution has committed."""
        outcome = self._resolve(request_id, user_id, note, self_help)
        if save_answer and outcome.ok and outcome.request and self.capture is not None:
            self.capture.save_draft(outcome.request)
        return outcome

    def _resolve(self, request_id: int, user_id: str, note: str | None, self_help: str | None) -> Outcome:
        def then(session: Session, view: RequestView, _from: str, now: datetime) -> None:
            department = self.store.department(view.department_id)
            delay = timedelta(hours=department.followup_delay_hours)
            self.chain.stop(session, view.id, now)
            queries.cancel_timers(session, view.id, FOLLOWUP_TIMERS, now)
            due = self.daytime.due(session, view.user_id, department, now + delay)
            queries.schedule_timer(session, view.id, TimerKind.FOLLOWUP, due, now)
            self._refresh(session, view, Posted.TRIAGE, now)
            self.outbox.add(session, self.say.notice(view, Notice.RESOLVED), now, view.id)

        return self.mover.act(
            Verb.RESOLVE, request_id, user_id, then=then,
            values=lambda _request, now: {"resolved_at": now, "resolved_by": user_id, "followup_channel": None,
                                          "followup_ts": None, "resolution_note": _note(note),
                                          "self_help_note": _note(self_help)})

    def show_related(self, request_id: int, user_id: str, entry_id: str) -> Outcome:
        """The employee asks for a related entry's answer: posted under the first one; nothing else changes."""
        entry = self.store.kb().entries.get(entry_id)
        now = self.clock.now()
        with self.store.sessions.begin() as session:
            request = queries.get_request(session, request_id)
            if request is None or entry is None:
                return Outcome.refused(Refusal.NOT_FOUND)
            view = self.store.view(request)
            self.outbox.add(session, self.say.related_answer(view, entry.answer_for(view.language)), now, request_id)
            actor = ANONYMOUS_ACTOR if request.anonymous else user_id
            audit(session, request_id, now, actor, Action.RELATED_SHOWN, request.status, request.status,
                  entry=entry.id)
        return Outcome(ok=True, request=view)

    def may_resolve(self, request_id: int, user_id: str) -> Outcome:
        """Whether `user_id` may resolve the request now (checked before the resolution form opens)."""
        return self.mover.peek(Verb.RESOLVE, request_id, user_id)

    # --- internals --------------------------------------------------------------------------

    def _duplicate(self, session: Session, question: Question, now: datetime) -> None:
        # A redelivered message is simply ignored; a new message in a thread that already has a
        # request (a second @mention) is answered with where that request stands.
        root = question.thread_ts or question.message_ts
        existing = queries.find_request(session, question.channel_id, root)
        if existing is None or question.message_ts == existing.message_ts or question.is_direct:
            log.info("duplicate message ignored")
            return
        view = self.store.view(existing)
        self.outbox.add(session, self.say.already_on_it(view, question.channel_id, root), now, existing.id)

    def _first_reply(self, session: Session, view: RequestView, result: MatchResult,
                     offered: list[tuple[str, str]], reply_expected_from: datetime | None, now: datetime) -> None:
        if result.entry:
            related = [(e.id, e.question_for(view.language)) for e in getattr(result, "related", [])[:3]]
            self.outbox.add(session, self.say.answer(view, result.entry.answer_for(view.language), related), now,
                            view.id)
        elif offered:
            self.outbox.add(session, self.say.choices(view, offered), now, view.id)
        else:
            self.chain.start(session, view.id, self.store.department(view.department_id), now)
            self._announce(session, view, reply_expected_from, now)

    def _announce(self, session: Session, view: RequestView, reply_expected_from: datetime | None,
                  now: datetime) -> None:
        """The employee is told who has it, and the department's triage channel gets the post."""
        self.outbox.add(session, self.say.escalation_notice(view, reply_expected_from), now, view.id)
        self.outbox.add(session, self.say.triage(view, ()), now, view.id)
        if self.capture is not None:
            self.capture.escalated(session, view, now)

    def _refresh(self, session: Session, view: RequestView, posted: Posted, now: datetime) -> None:
        self.outbox.add(session, self.say.refresh(view, posted), now, view.id)


def scoped(result: MatchResult, question: Question) -> MatchResult:
    """What the KB may offer for a question from the request form: nothing when it is urgent (a person, now),
    only the chosen department's entries when one was chosen."""
    if question.urgent:
        return dataclasses.replace(result, entry=None, score=0.0, choices=[], related=[], parts=[])
    if question.department is None:
        return result
    mine = question.department
    entry = result.entry if result.entry is not None and result.entry.department == mine else None
    return dataclasses.replace(result, entry=entry, score=result.score if entry else 0.0,
                               choices=[c for c in result.choices if c.entry.department == mine],
                               related=result.related if entry else [])


def _note(text: str | None) -> str | None:
    text = (text or "").strip()
    return text[:NOTE_CHARS] if text else None
