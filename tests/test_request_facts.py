"""Per-request facts (storage.fact_queries): the write path keeps them, and they equal what the audit trail says.

Three derivations must agree: the facts queries.add_audit folds in as each audit row is written, the SQL backfill
of migration 0010 over the audit table, and the constructed history's known values. tests/service/test_facts.py drives
real transitions through the domain services.
"""
from __future__ import annotations

import random

from sqlalchemy import delete, select

from bench.report import one_request
from storage import fact_queries, queries
from storage.engine import make_engine, make_sessions
from storage.fact_queries import Event, epoch
from storage.migrate import upgrade
from storage.models import RequestFacts, RequestWork
from tests.history import history, insert_history

FIELDS = fact_queries.TIMES + fact_queries.COUNTERS


def kept(session) -> dict[int, tuple]:
    """Every request's facts and work intervals as stored."""
    work: dict[int, list] = {}
    for w in session.scalars(select(RequestWork).order_by(RequestWork.request_id, RequestWork.started_s)):
        work.setdefault(w.request_id, []).append((w.started_s, w.ended_s))
    return {f.request_id: (tuple(getattr(f, n) for n in FIELDS), work.get(f.request_id, []))
            for f in session.scalars(select(RequestFacts))}


def backfilled(sessions) -> dict[int, tuple]:
    """What migration 0010's SQL derives from the audit rows alone (in a transaction that is rolled back)."""
    with sessions() as session:
        session.execute(delete(RequestWork))
        session.execute(delete(RequestFacts))
        fact_queries.backfill(session)
        out = kept(session)
        session.rollback()
    return out


def test_history_facts_from_the_write_path_equal_the_backfill_and_the_known_values(database_url):
    engine = make_engine(database_url)
    upgrade(engine)
    sessions = make_sessions(engine)
    with sessions.begin() as session:
        ids = insert_history(session, history())
    with sessions() as session:
        written = kept(session)
    assert written == backfilled(sessions)
    four = dict(zip(FIELDS, written[ids[3]][0], strict=True))
    day = epoch(history()[3].created) - 9 * 3600  # 2026-11-24 00:00 UTC
    # claimed by Anna 9:30, given back 10:00, Piotr 10:30-11:30, reopened 13:00, resolved again 14:00
    assert written[ids[3]][1] == [(day + h, day + h + s) for h, s in ((34200, 1800), (37800, 3600), (46800, 3600))]
    assert (four["resolves"], four["staff_replies"], four["handling_s"], four["work_from_s"]) == (2, 2, 9000, None)
    assert (four["claimed_s"] - four["escalated_s"], four["human_s"] - four["escalated_s"]) == (1800, 6300)
    eight = dict(zip(FIELDS, written[ids[7]][0], strict=True))
    assert (eight["offers"], eight["rejections"], eight["escalated_s"] - eight["created_s"]) == (1, 1, 120)
    engine.dispose()


def test_generated_bench_data_gives_the_facts_the_write_path_would(sqlite_url):
    # bench/report.py bulk-inserts audit rows and derives the facts in SQL; here the same generator's rows go
    # through the write path one by one instead, and the two must agree.
    engine = make_engine(sqlite_url)
    upgrade(engine)
    sessions = make_sessions(engine)
    rnd = random.Random(11)
    with sessions.begin() as session:
        for rid in range(1, 401):
            row, events = one_request(rid, rnd)
            row.pop("rating", None)
            queries.add_request(session, **{k: v for k, v in row.items() if v is not None})
            for _rid, at, actor, action, src, dst, detail in events:
                queries.add_audit(session, rid, at=at, actor=actor, action=action, from_status=src, to_status=dst,
                                  detail={"direction": "to_requester"} if detail else None)
    with sessions() as session:
        written = kept(session)
    assert len(written) == 400 and sum(1 for _, work in written.values() if work) > 150
    assert written == backfilled(sessions)
    engine.dispose()


def test_fold_pairs_work_intervals_and_ignores_an_end_without_a_start():
    facts = fact_queries.empty()
    for e in (Event(100, "created", None, "escalated"), Event(150, "resolved", "escalated", "resolved"),
              Event(200, "reopened", "closed", "escalated"), Event(300, "claimed", "escalated", "claimed"),
              Event(400, "transferred", "claimed", "escalated"), Event(450, "transferred", "escalated", "escalated"),
              Event(500, "claimed", "escalated", "claimed")):
        fact_queries.fold(facts, e)
    # resolved without a claim is a first response but no work; a reopen of a closed request starts none
    assert (facts["handling_s"], facts["work_from_s"], facts["human_s"], facts["claimed_s"]) == (100, 500, 150, 300)
