"""Per-request facts kept up to date as the audit trail grows, so reports read one row per request.

`record` is called by queries.add_audit for every audit row, inside the caller's transaction: the facts can never
disagree with the audit trail they summarise. `fold` is the rule (pure), `backfill` the same rule in SQL over a
whole audit table (migration 0010, and the test that both give the same facts). Times are whole epoch seconds.

A work interval starts at a claim, or when the requester reopens a resolved request (it goes back to the claimer);
it ends at a resolve, an unclaim, or a transfer away from someone who had it. Closed intervals are kept in
request_work (working time is computed at report time from the departments' hours).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from storage.fact_sql import epoch_sql
from storage.models import RequestFacts, RequestWork

COUNTERS = ("resolves", "offers", "rejections", "staff_replies", "handling_s")
TIMES = ("created_s", "escalated_s", "claimed_s", "human_s", "resolved_s", "work_from_s")


@dataclass(frozen=True)
class Event:
    """The parts of an audit row the facts depend on."""

    at: int
    action: str
    from_status: str | None
    to_status: str | None
    to_requester: bool = False


def epoch(at: datetime) -> int:
    """Whole epoch seconds (floor), naive datetimes being UTC - the same integers as the report's SQL."""
    return math.floor((at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp())


def starts_work(e: Event) -> bool:
    return e.action == "claimed" or (e.action == "reopened" and e.from_status == "resolved")


def ends_work(e: Event) -> bool:
    return e.action in ("resolved", "unclaimed") or (
        e.action == "transferred" and e.from_status in ("claimed", "reopened"))


def _first(current: int | None, t: int) -> int:
    return t if current is None or t < current else current


def fold(facts: dict[str, int | None], e: Event) -> tuple[int, int] | None:
    """Apply one event to `facts` (changed in place); returns the work interval it closes, if any."""
    t = e.at
    if e.action == "created":
        facts["created_s"] = _first(facts["created_s"], t)
    if e.action == "escalated" or (e.action == "created" and e.to_status == "escalated"):
        facts["escalated_s"] = _first(facts["escalated_s"], t)
    if e.action == "claimed":
        facts["claimed_s"] = _first(facts["claimed_s"], t)
    if e.action == "resolved" or (e.action == "relayed" and e.to_requester):
        facts["human_s"] = _first(facts["human_s"], t)
    if e.action == "resolved":
        facts["resolves"] = (facts["resolves"] or 0) + 1
        facts["resolved_s"] = t
    if (e.action == "created" and e.to_status == "answered") or e.action == "picked":
        facts["offers"] = (facts["offers"] or 0) + 1
    if e.action == "escalated" and e.from_status == "answered":
        facts["rejections"] = (facts["rejections"] or 0) + 1
    if e.action == "relayed" and e.to_requester:
        facts["staff_replies"] = (facts["staff_replies"] or 0) + 1
    return _work(facts, e)


def _work(facts: dict[str, int | None], e: Event) -> tuple[int, int] | None:
    t = e.at
    if starts_work(e):
        facts["work_from_s"] = t
        return None
    if ends_work(e) and facts["work_from_s"] is not None:
        interval = (facts["work_from_s"], t)
        facts["handling_s"] = (facts["handling_s"] or 0) + t - interval[0]
        facts["work_from_s"] = None
        return interval
    return None


def empty() -> dict[str, int | None]:
    """The facts of a request with no events yet."""
    return {**dict.fromkeys(TIMES), **dict.fromkeys(COUNTERS, 0)}


def event_of(at: datetime, action: str, from_status: str | None, to_status: str | None,
             detail: dict[str, Any] | None) -> Event:
    """The Event of an audit row (a relay counts as a staff reply when it went to the requester)."""
    return Event(epoch(at), action, from_status, to_status,
                 action == "relayed" and bool(detail) and detail.get("direction") == "to_requester")


_RELEVANT = frozenset({"created", "escalated", "claimed", "resolved", "relayed", "picked", "reopened", "unclaimed",
                       "transferred"})


def record(session: Session, request_id: int, e: Event) -> None:
    """Fold one audit event into the request's facts (row locked on PostgreSQL: concurrent replies both count)."""
    if e.action not in _RELEVANT:
        return
    row = session.scalars(select(RequestFacts).where(RequestFacts.request_id == request_id)
                          .with_for_update().execution_options(populate_existing=True)).one_or_none()
    if row is None:
        row = RequestFacts(request_id=request_id, **empty())
        session.add(row)
    facts = {name: getattr(row, name) for name in TIMES + COUNTERS}
    interval = fold(facts, e)
    for name, value in facts.items():
        setattr(row, name, value)
    if interval is not None:
        session.execute(insert(RequestWork).values(request_id=request_id, started_s=interval[0],
                                                   ended_s=interval[1]))


# --- the same rule in SQL, over the whole audit table (migration 0010) ---------------------------------------------


_REPLY = "(e.action = 'relayed' AND e.detail LIKE '%\"direction\": \"to_requester\"%')"
_START = "(e.action = 'claimed' OR (e.action = 'reopened' AND e.from_status = 'resolved'))"
_END = "(e.action IN ('resolved', 'unclaimed') OR (e.action = 'transferred' AND e.from_status IN ('claimed', 'reopened')))"


def backfill_statements(dialect: str) -> list[str]:
    """SQL that fills request_facts and request_work from audit_events for requests that have no facts yet."""
    at = epoch_sql("e.at", dialect)
    # PostgreSQL: a big audit table takes longer than the engine's statement timeout (this transaction only), and
    # fresh statistics keep the planner from nesting loops over a table it believes empty
    prelude = ["SET LOCAL statement_timeout = 0", "ANALYZE requests", "ANALYZE audit_events",
               "ANALYZE request_facts"] if dialect == "postgresql" else []
    work = f"""
WITH w AS (
  SELECT e.request_id AS rid, {at} AS t, CASE WHEN {_START} THEN 1 ELSE 0 END AS is_start, e.id AS eid
  FROM audit_events e
  WHERE ({_START} OR {_END}) AND NOT EXISTS (SELECT 1 FROM request_facts f WHERE f.request_id = e.request_id)
), paired AS (
  SELECT rid, t, is_start, LAG(is_start) OVER (PARTITION BY rid ORDER BY eid) AS prev_start,
    LAG(t) OVER (PARTITION BY rid ORDER BY eid) AS prev_t,
    ROW_NUMBER() OVER (PARTITION BY rid ORDER BY eid DESC) AS from_end
  FROM w
)"""
    return [*prelude,
        f"""INSERT INTO request_work (request_id, started_s, ended_s)
{work}
SELECT rid, prev_t, t FROM paired WHERE is_start = 0 AND prev_start = 1""",
        f"""INSERT INTO request_facts (request_id, created_s, escalated_s, claimed_s, human_s, resolved_s, work_from_s,
  resolves, offers, rejections, staff_replies, handling_s)
{work}, open_work AS (SELECT rid, t FROM paired WHERE from_end = 1 AND is_start = 1
), worked AS (SELECT request_id AS rid, SUM(ended_s - started_s) AS s FROM request_work GROUP BY request_id
), ev AS (
  SELECT e.request_id AS rid,
    MIN(CASE WHEN e.action = 'created' THEN {at} END) AS created_s,
    MIN(CASE WHEN e.action = 'escalated' OR (e.action = 'created' AND e.to_status = 'escalated') THEN {at} END)
      AS escalated_s,
    MIN(CASE WHEN e.action = 'claimed' THEN {at} END) AS claimed_s,
    MIN(CASE WHEN e.action = 'resolved' OR {_REPLY} THEN {at} END) AS human_s,
    MAX(CASE WHEN e.action = 'resolved' THEN {at} END) AS resolved_s,
    COUNT(CASE WHEN e.action = 'resolved' THEN 1 END) AS resolves,
    COUNT(CASE WHEN (e.action = 'created' AND e.to_status = 'answered') OR e.action = 'picked' THEN 1 END) AS offers,
    COUNT(CASE WHEN e.action = 'escalated' AND e.from_status = 'answered' THEN 1 END) AS rejections,
    COUNT(CASE WHEN {_REPLY} THEN 1 END) AS staff_replies
  FROM audit_events e
  WHERE e.action IN ('created', 'escalated', 'claimed', 'resolved', 'relayed', 'picked')
  GROUP BY e.request_id
)
SELECT r.id, ev.created_s, ev.escalated_s, ev.claimed_s, ev.human_s, ev.resolved_s, o.t,
  COALESCE(ev.resolves, 0), COALESCE(ev.offers, 0), COALESCE(ev.rejections, 0), COALESCE(ev.staff_replies, 0),
  COALESCE(worked.s, 0)
FROM requests r LEFT JOIN ev ON ev.rid = r.id LEFT JOIN open_work o ON o.rid = r.id
  LEFT JOIN worked ON worked.rid = r.id
WHERE NOT EXISTS (SELECT 1 FROM request_facts f WHERE f.request_id = r.id)""",
    ]


def backfill(session: Session) -> None:
    """Derive the facts of every request that has none from its audit rows (SQL, no rows loaded)."""
    dialect = session.get_bind().dialect.name
    for statement in backfill_statements(dialect):
        session.execute(text(statement))
