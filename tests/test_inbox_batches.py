"""The inbox workers' claims and finishes share transactions (bot/inbox.py): each item is still claimed once."""
from __future__ import annotations

import threading
from datetime import datetime, UTC

from bot.inbox import Inbox
from storage import inbox_queries, migrate
from storage.engine import make_engine, make_sessions
from storage.models import InboxState


class Clock:
    def now(self) -> datetime:
        return datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def inbox(tmp_path) -> Inbox:
    engine = make_engine(f"sqlite:///{tmp_path}/inbox.db")
    migrate.upgrade(engine)
    sessions = make_sessions(engine)
    return Inbox(sessions, sessions, Clock(), workers=2)


def test_an_id_queued_twice_in_one_batch_is_claimed_once(tmp_path):
    box = inbox(tmp_path)
    first = box.accept("event:Ev1", "http", "application/json", '{"a": 1}')
    second = box.accept("event:Ev2", "http", "application/json", '{"b": 2}')
    claimed = box._claim_batch([first, second, first])  # its kick and a sweep both queued `first`
    assert [c.id if c else None for c in claimed] == [first, second, None]
    assert claimed[0].body == '{"a": 1}'
    assert box._claim_batch([first]) == [None]  # held by this worker now


def test_finishes_of_different_outcomes_in_one_batch_each_keep_theirs(tmp_path):
    box = inbox(tmp_path)
    ids = [box.accept(f"event:Ev{n}", "http", "application/json", "{}") for n in range(3)]
    box._claim_batch(ids)
    box._finish_batch([(ids[0], InboxState.DONE, None), (ids[1], InboxState.FAILED, "Boom"),
                       (ids[2], InboxState.DONE, None)])
    with box.sessions() as session:
        items = [inbox_queries.get_inbox_item(session, i) for i in ids]
        assert [(i.state, i.last_error, i.body) for i in items] == [
            (InboxState.DONE, None, ""), (InboxState.FAILED, "Boom", ""), (InboxState.DONE, None, "")]


def test_concurrent_claims_of_one_item_give_it_to_one_worker(tmp_path):
    box = inbox(tmp_path)
    item = box.accept("event:Ev9", "http", "application/json", "{}")
    got: list[object] = []
    threads = [threading.Thread(target=lambda: got.append(box._claim(item))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(1 for g in got if g is not None) == 1
