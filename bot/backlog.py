"""What the service still has to do: stored Slack requests, unsent Slack writes, due timers (for admins)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from storage import delivery_queries, inbox_queries, queries


@dataclass(frozen=True)
class Backlog:
    """Counts an admin reads to see whether helploop keeps up."""

    inbox: dict[str, int]        # stored Slack requests by state
    deliveries: dict[str, int]   # Slack writes by state
    timers_due: int              # timers whose time has come and that have not run


def backlog(sessions: sessionmaker[Session], clock: Clock) -> Backlog:
    """The backlog now, read in one short transaction."""
    with sessions.begin() as session:
        return Backlog(inbox_queries.inbox_states(session), delivery_queries.delivery_states(session),
                       queries.due_timer_count(session, clock.now()))
