"""The facts follow every transition made through the domain: after each one they equal the audit trail's."""
from __future__ import annotations

from datetime import timedelta

from bot.conversation import Conversation
from bot.records import Said
from storage import queries
from storage.fact_queries import epoch
from storage.models import RequestFacts
from tests.service.conftest import ANNA, ANSWERABLE, EMPLOYEE, IT_TRIAGE, PIOTR, UNANSWERABLE
from tests.test_request_facts import FIELDS, backfilled, kept


def test_every_transition_through_the_domain_keeps_the_facts(any_service):
    s = any_service
    conversation = Conversation(s.store, s.outbox, s.say, s.lifecycle, s.clock)
    t0 = epoch(s.clock.now())
    answered = s.ask(ANSWERABLE)
    s.clock.advance(timedelta(minutes=5))
    assert s.lifecycle.still_need_help(answered.id, EMPLOYEE).ok
    view = s.escalated(UNANSWERABLE)
    with s.sessions.begin() as session:
        queries.set_fields(session, view.id, triage_channel=IT_TRIAGE, triage_ts="1764000999.000001")
    steps = [(ANNA, "claim"), (ANNA, "relay"), (ANNA, "unclaim"), (PIOTR, "claim"), (PIOTR, "resolve"),
             (EMPLOYEE, "reopen"), (PIOTR, "resolve"), (EMPLOYEE, "reopen"), (PIOTR, "transfer")]
    for i, (who, step) in enumerate(steps):
        s.clock.advance(timedelta(minutes=10))
        if step == "relay":
            assert conversation.from_staff(Said(IT_TRIAGE, f"1764001000.{i:06d}", "1764000999.000001", who, "try"))
        elif step == "reopen":
            assert s.followups.verdict(view.id, who, fixed=False).ok
        elif step == "transfer":
            assert s.transfers.transfer(view.id, who, "hr", None).ok
        else:
            assert getattr(s.lifecycle, step)(view.id, who).ok
        with s.sessions() as session:
            written = kept(session)
        assert written == backfilled(s.sessions), f"after {step} #{i}"
    with s.sessions() as session:
        facts, work = kept(session)[view.id]
    f = dict(zip(FIELDS, facts, strict=True))
    start = t0 + 300  # escalated 5 minutes in, then a step every 10 minutes
    assert (f["escalated_s"], f["claimed_s"], f["human_s"]) == (start, start + 600, start + 1200)
    assert (f["resolves"], f["staff_replies"], f["work_from_s"]) == (2, 1, None)
    assert work == [(start + 600, start + 1800), (start + 2400, start + 3000), (start + 3600, start + 4200),
                    (start + 4800, start + 5400)]
    assert f["handling_s"] == 1200 + 3 * 600  # Anna 20 min (relay included), then Piotr 10 min three times
    assert kept_offers(s, answered.id) == (1, 1)


def kept_offers(service, request_id: int) -> tuple[int, int]:
    with service.sessions() as session:
        row = session.get(RequestFacts, request_id)
        return row.offers, row.rejections
