"""One way to carry out a verb: gate, conditional transition, audit, then effects in the same transaction."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.records import Outcome, Refusal, RequestView
from bot.requests import RequestStore, audit
from bot.states import MOVES, Role, Verb
from bot.words import ANONYMOUS_ACTOR
from storage import conversation_queries, queries
from storage.models import Request

Values = Callable[[Request, datetime], dict[str, Any]]
Check = Callable[[Request], Refusal | None]
Fields = dict[str, Any] | Callable[[Request], dict[str, Any]]  # fixed, or read off the request
Effects = Callable[[Session, RequestView, str, datetime], None]  # (session, new view, from status, now)


class Mover:
    """Carries out verbs of the transition table for people and for the bot."""

    def __init__(self, store: RequestStore, clock: Clock) -> None:
        self.store, self.clock = store, clock

    def act(self, verb: Verb, request_id: int, actor: str, *, values: Values | None = None,
            where: Fields | None = None, check: Check | None = None, then: Effects | None = None,
            detail: Fields | None = None) -> Outcome:
        """Move the request if `actor` may and it is still in a source status; effects run only on success."""
        move = MOVES[verb]
        now = self.clock.now()
        with self.store.sessions.begin() as session:
            request = queries.get_request(session, request_id)
            refusal = self._refusal(session, move.role, request, actor) or (check(request) if check and request
                                                                            else None)
            if refusal:
                return Outcome.refused(refusal, self.store.view(request) if request else None)
            from_status, details = request.status, _fields(detail, request)
            moved = queries.transition(session, request_id, move.sources, move.target,
                                       where=_fields(where, request), updated_at=now,
                                       **(values(request, now) if values else {}))
            session.refresh(request)
            if not moved:
                taken = verb is Verb.CLAIM and request.claimed_by
                return Outcome.refused(Refusal.ALREADY_CLAIMED if taken else Refusal.ALREADY_DONE,
                                       self.store.view(request))
            shown = ANONYMOUS_ACTOR if request.anonymous and move.role is Role.REQUESTER else actor
            audit(session, request_id, now, shown, move.action, from_status, move.target, **(details or {}))
            view = self.store.view(request)
            if then:
                then(session, view, from_status, now)
        return Outcome(ok=True, request=view)

    def peek(self, verb: Verb, request_id: int, actor: str) -> Outcome:
        """Would `actor` be allowed to `verb` the request now? (Nothing changes; for opening a form first.)"""
        with self.store.sessions.begin() as session:
            request = queries.get_request(session, request_id)
            refusal = self._refusal(session, MOVES[verb].role, request, actor)
            if refusal is None and request.status not in MOVES[verb].sources:
                refusal = Refusal.ALREADY_DONE
            view = self.store.view(request) if request else None
        return Outcome.refused(refusal, view) if refusal else Outcome(ok=True, request=view)

    def _refusal(self, session: Session, role: Role, request: Request | None, actor: str) -> Refusal | None:
        if request is None:
            return Refusal.NOT_FOUND
        if role is Role.REQUESTER and requester_of(session, request) != actor:
            return Refusal.NOT_REQUESTER
        if role is Role.STAFF and actor not in self.store.department(request.department_id).staff:
            return Refusal.NOT_STAFF
        return None


def _fields(fields: Fields | None, request: Request) -> dict[str, Any] | None:
    return fields(request) if callable(fields) else fields


def requester_of(session: Session, request: Request) -> str:
    """Who asked: the user id, kept apart for anonymous requests (read only to check and to relay)."""
    if request.anonymous:
        return conversation_queries.anonymous_requester(session, request.id) or ""
    return request.user_id
