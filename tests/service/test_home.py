"""The App Home in the domain: whose Home a change re-publishes, how few statements a Home costs, the latest
publish winning, and the staff queue's order (urgent, then front-line requesters, then oldest)."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from bot.home import PUBLISH, Home
from handlers.home_blocks import home_view
from storage.models import Delivery, DeliveryState
from tests.service.conftest import ANNA, EMPLOYEE, OUTSIDER, PIOTR, UNANSWERABLE, question

FRONT = "U0HLFRONT"


@pytest.fixture
def home(any_service):
    return Home(any_service.store, any_service.outbox, any_service.clock, home_view, frozenset({FRONT}))


def publishes(service) -> list[str]:
    """The users whose Home publish is queued, in order."""
    with service.sessions.begin() as session:
        rows = session.scalars(select(Delivery).where(Delivery.method == PUBLISH).order_by(Delivery.id))
        return [json.loads(d.args)["user_id"] for d in rows]


def statements(service, home, user: str) -> tuple[int, object]:
    """How many SQL statements reading `user`'s Home takes (after the transaction began), and the Home."""
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        seen.append(statement)

    with service.sessions.begin() as session:
        session.execute(select(1))  # the transaction's own statements (BEGIN) are not the Home's
        event.listen(service.engine, "before_cursor_execute", count)
        try:
            data = home.snapshot(session, user)
        finally:
            event.remove(service.engine, "before_cursor_execute", count)
    return len(seen), data


def test_a_change_publishes_the_homes_of_the_people_it_concerns_who_opened_theirs(any_service, home):
    for user in (EMPLOYEE, ANNA, OUTSIDER):
        home.opened(user)
    before = len(publishes(any_service))
    any_service.escalated()
    # The requester and IT's staff who opened their Home; not HR's Magda, not Piotr (never opened it).
    assert sorted(publishes(any_service)[before:]) == [ANNA, EMPLOYEE]
    assert PIOTR not in publishes(any_service)


def test_a_home_costs_the_same_few_statements_however_many_requests_there_are(any_service, home):
    def grow(n: int) -> None:
        for _ in range(n):
            view = any_service.escalated()
            any_service.lifecycle.claim(view.id, ANNA)
            any_service.escalated()

    grow(3)
    small_staff, data = statements(any_service, home, ANNA)
    small_employee, _ = statements(any_service, home, EMPLOYEE)
    assert len(data.queue.mine) == 3 and len(data.queue.unclaimed) == 3
    grow(20)
    big_staff, data = statements(any_service, home, ANNA)
    big_employee, mine = statements(any_service, home, EMPLOYEE)
    assert len(data.queue.mine) == 23 and len(mine.own) == 15  # the requester's newest, capped
    assert (small_staff, small_employee) == (big_staff, big_employee) == (2, 1)


def test_the_latest_publish_wins_and_superseded_ones_are_skipped(any_service, home, dispatcher, transport):
    dispatcher.render_home = home.view
    for _ in range(3):
        home.opened(EMPLOYEE)
    any_service.escalated()
    any_service.settle()
    sent = [o for o in transport.sent if o.method == PUBLISH]
    assert len(sent) == 1 and sent[0].args["user_id"] == EMPLOYEE
    assert sent[0].args["view"]["type"] == "home"
    assert "waiting for someone from IT" in json.dumps(sent[0].args["view"])  # rendered when sent: the latest
    with any_service.sessions.begin() as session:
        states = [d.state for d in session.scalars(select(Delivery).where(Delivery.method == PUBLISH))]
    assert states.count(DeliveryState.SENT) == 1 and states.count(DeliveryState.SKIPPED) == 3


def test_the_queue_puts_urgent_first_then_front_line_requesters_then_the_oldest(any_service, home):
    oldest = any_service.escalated()
    any_service.clock.advance(timedelta(minutes=5))
    front = any_service.lifecycle.ask(question(UNANSWERABLE, user=FRONT, channel="D0HLFRONT"))
    any_service.clock.advance(timedelta(minutes=5))
    urgent = any_service.lifecycle.ask(replace(question("my screen is black", channel="D0HLOTHER",
                                                        user="U0HLOTHER"), urgent=True))
    assert urgent.status == "escalated" and urgent.urgent
    _, data = statements(any_service, home, ANNA)
    assert [item.request.id for item in data.queue.unclaimed] == [urgent.id, front.id, oldest.id]
    assert [item.frontline for item in data.queue.unclaimed] == [False, True, False]
