"""The transition table, exhaustively: Mover.act succeeds for a verb exactly when the status is one of its sources."""
from __future__ import annotations

import pytest

from bot.moves import Mover
from bot.records import Refusal
from bot.states import MOVES, Role, Verb, can
from bot.words import BOT_ACTOR, Status
from tests.service.conftest import ANNA, ANSWERABLE, EMPLOYEE

ACTOR = {Role.REQUESTER: EMPLOYEE, Role.STAFF: ANNA, Role.BOT: BOT_ACTOR}
CASES = [(verb, status) for verb in Verb for status in Status]


def test_the_table_has_a_move_for_every_verb_and_targets_only_known_statuses():
    assert set(MOVES) == set(Verb)
    assert all(move.target in Status and set(move.sources) <= set(Status) for move in MOVES.values())
    assert len(CASES) == len(Verb) * len(Status) == 91  # 13 verbs (recheck_no: bot.surveys; expire_answer) x 7


@pytest.mark.parametrize(("verb", "status"), CASES, ids=[f"{v}-from-{s}" for v, s in CASES])
def test_a_verb_moves_a_request_iff_its_status_is_a_source(service, verb, status):
    request_id = service.ask(ANSWERABLE).id
    service.set_status(request_id, status)
    mark = len(service.audit(request_id))
    move, actor = MOVES[verb], ACTOR[MOVES[verb].role]
    outcome = Mover(service.store, service.clock).act(verb, request_id, actor)
    allowed = status in move.sources
    assert outcome.ok is allowed is can(verb, status)
    if allowed:
        assert (outcome.request.status, service.row(request_id).status) == (move.target, move.target)
        assert service.audit(request_id, mark) == [(move.action, actor, status, move.target)]
    else:
        assert (outcome.refusal, outcome.request.status, service.row(request_id).status) == (
            Refusal.ALREADY_DONE, status, status)
        assert service.audit(request_id, mark) == []


@pytest.mark.parametrize("verb", [v for v in Verb if MOVES[v].role is not Role.BOT])
def test_the_wrong_kind_of_person_is_refused_before_the_status_is_looked_at(service, verb):
    request_id = service.ask(ANSWERABLE).id
    source = MOVES[verb].sources[0]
    service.set_status(request_id, source)
    wrong = ANNA if MOVES[verb].role is Role.REQUESTER else EMPLOYEE
    outcome = Mover(service.store, service.clock).act(verb, request_id, wrong)
    expected = Refusal.NOT_REQUESTER if MOVES[verb].role is Role.REQUESTER else Refusal.NOT_STAFF
    assert (outcome.ok, outcome.refusal, service.row(request_id).status) == (False, expected, source)
