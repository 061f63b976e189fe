"""A KB answer (or "Did you mean…?") nobody clicks closes after the department's answer_expiry_days.

It closes as unconfirmed self-service (Resolution.ANSWER_EXPIRED): no longer open, never counted as a success.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.moves import Mover
from bot.records import RequestView
from bot.requests import RequestStore
from bot.states import Verb
from bot.words import BOT_ACTOR, Resolution
from storage import queries


class AnswerExpiry:
    """The timer that closes an unanswered KB answer."""

    def __init__(self, store: RequestStore, clock: Clock) -> None:
        self.store, self.clock = store, clock
        self.mover = Mover(store, clock)

    def expire(self, timer_id: int, request_id: int) -> bool:
        """Timer: close the request if its answer is still waiting for a click; else nothing (it moved on)."""
        def then(session: Session, _view: RequestView, _from: str, now: datetime) -> None:
            queries.finish_timer(session, timer_id, now)

        outcome = self.mover.act(Verb.EXPIRE_ANSWER, request_id, BOT_ACTOR, then=then,
                                 values=lambda _request, now: {"resolution": Resolution.ANSWER_EXPIRED,
                                                               "closed_at": now})
        if not outcome.ok:  # solved, escalated or picked-and-escalated meanwhile
            with self.store.sessions.begin() as session:
                queries.finish_timer(session, timer_id, self.clock.now())
        return outcome.ok
