"""The request state machine, stated once: which verb moves a request from which statuses to which.

Lifecycle carries the moves out (each as a conditional UPDATE); the Block Kit builders ask `can`
which buttons a request in a given status should show.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.words import Action, Status


class Verb(StrEnum):
    """What a person (or the bot) can do to a request."""

    PICK = "pick"              # requester picks one of the offered entries
    SOLVE = "solve"            # requester: the KB answer solved it
    NEED_HELP = "need_help"    # requester: the answer (or the choices) did not help
    CLAIM = "claim"
    UNCLAIM = "unclaim"
    RESOLVE = "resolve"
    TRANSFER = "transfer"
    CONFIRM = "confirm"        # requester: yes, it is really fixed
    REOPEN = "reopen"          # requester: no, still broken
    EXPIRE = "expire"          # bot: nobody answered the follow-up
    EXPIRE_ANSWER = "expire_answer"  # bot: nobody clicked the KB answer (or a choice)
    REVIVE = "revive"          # requester: a closed request is not fixed after all (within the reopen window)
    RECHECK_NO = "recheck_no"  # requester, asked "Is it still fixed?" days later: no; back to the same person


class Role(StrEnum):
    """Who may use a verb."""

    REQUESTER = "requester"
    STAFF = "staff"            # staff of the request's department
    BOT = "bot"


@dataclass(frozen=True)
class Move:
    """One row of the transition table."""

    sources: tuple[Status, ...]
    target: Status
    action: Action
    role: Role


MOVES: dict[Verb, Move] = {
    Verb.PICK: Move((Status.SUGGESTED,), Status.ANSWERED, Action.PICKED, Role.REQUESTER),
    Verb.SOLVE: Move((Status.ANSWERED,), Status.CLOSED, Action.SELF_SERVED, Role.REQUESTER),
    Verb.NEED_HELP: Move((Status.ANSWERED, Status.SUGGESTED), Status.ESCALATED, Action.ESCALATED, Role.REQUESTER),
    Verb.CLAIM: Move((Status.ESCALATED,), Status.CLAIMED, Action.CLAIMED, Role.STAFF),
    Verb.UNCLAIM: Move((Status.CLAIMED, Status.REOPENED), Status.ESCALATED, Action.UNCLAIMED, Role.STAFF),
    Verb.RESOLVE: Move((Status.CLAIMED, Status.REOPENED), Status.RESOLVED, Action.RESOLVED, Role.STAFF),
    Verb.TRANSFER: Move((Status.ESCALATED, Status.CLAIMED, Status.REOPENED), Status.ESCALATED,
                        Action.TRANSFERRED, Role.STAFF),
    Verb.CONFIRM: Move((Status.RESOLVED,), Status.CLOSED, Action.CONFIRMED, Role.REQUESTER),
    Verb.REOPEN: Move((Status.RESOLVED,), Status.REOPENED, Action.REOPENED, Role.REQUESTER),
    Verb.EXPIRE: Move((Status.RESOLVED,), Status.CLOSED, Action.FOLLOWUP_EXPIRED, Role.BOT),
    Verb.EXPIRE_ANSWER: Move((Status.ANSWERED, Status.SUGGESTED), Status.CLOSED, Action.ANSWER_EXPIRED, Role.BOT),
    Verb.REVIVE: Move((Status.CLOSED,), Status.ESCALATED, Action.REOPENED, Role.REQUESTER),
    Verb.RECHECK_NO: Move((Status.CLOSED,), Status.REOPENED, Action.REOPENED, Role.REQUESTER),
}


def can(verb: Verb, status: str) -> bool:
    """True when a request in `status` can take `verb`."""
    return status in MOVES[verb].sources


def is_open(status: str) -> bool:
    """True while staff still have something to do (waiting for a claim, claimed, reopened)."""
    return can(Verb.TRANSFER, status)
