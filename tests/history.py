"""A constructed history: requests and audit rows with exact timestamps, and the figures they must give.

Times are UTC; IT works 09:00-17:30 Europe/Warsaw (08:00-16:30 UTC in November), HR has no working hours.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from storage import queries
from storage.models import Request

ANNA, PIOTR, MAGDA, EMP = "U0HLANNA", "U0HLPIOTR", "U0HLMAGDA", "U0HLEMP"
VPN, WIFI, PRINTER = "it-vpn-password-reset", "it-wifi-guest", "it-printer"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in November 2026 (the 23rd is a Monday), UTC."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@dataclass
class Made:
    """One request of the history: its columns and its audit rows (at, actor, action, from, to, detail)."""

    department: str
    created: datetime
    status: str
    events: list[tuple[datetime, str, str, str | None, str | None, dict | None]]
    fields: dict[str, Any] = field(default_factory=dict)


def history() -> list[Made]:
    """Eight requests covering every measure (see tests/test_measures.py for what each one is for)."""
    relay = {"direction": "to_requester"}
    return [
        # 1 IT: the KB answer, confirmed by the employee (verified self-service)
        Made("it", at(23, 9), "closed", [(at(23, 9), EMP, "created", None, "answered", {"entry": VPN}),
                                         (at(23, 9, 5), EMP, "self_served", "answered", "closed", None)],
             dict(resolution="self_served", kb_entry_id=VPN, resolved_at=at(23, 9, 5), closed_at=at(23, 9, 5))),
        # 2 IT: a false answer, then one staff reply, resolved and confirmed: one-touch
        Made("it", at(23, 10), "closed", [
            (at(23, 10), EMP, "created", None, "answered", {"entry": VPN}),
            (at(23, 10, 10), EMP, "escalated", "answered", "escalated", None),
            (at(23, 10, 20), ANNA, "claimed", "escalated", "claimed", None),
            (at(23, 10, 40), ANNA, "relayed", "claimed", "claimed", relay),
            (at(23, 11, 10), ANNA, "resolved", "claimed", "resolved", None),
            (at(23, 12), EMP, "confirmed", "resolved", "closed", None)],
            dict(resolution="confirmed", kb_entry_id=VPN, claimed_by=ANNA, resolved_by=ANNA,
                 first_human_reply_at=at(23, 10, 40), resolved_at=at(23, 11, 10), closed_at=at(23, 12))),
        # 3 IT: asked Friday 17:30 Warsaw, answered Monday 09:15: 15 working minutes; follow-up unanswered
        Made("it", at(27, 16, 30), "closed", [
            (at(27, 16, 30), EMP, "created", None, "escalated", None),
            (at(30, 8, 15), ANNA, "claimed", "escalated", "claimed", None),
            (at(30, 8, 15), ANNA, "relayed", "claimed", "claimed", relay),
            (at(30, 9, 15), ANNA, "resolved", "claimed", "resolved", None),
            (at(30, 12), "helploop", "followup_expired", "resolved", "closed", None)],
            dict(resolution="unconfirmed", claimed_by=ANNA, resolved_by=ANNA, first_human_reply_at=at(30, 8, 15),
                 resolved_at=at(30, 9, 15), closed_at=at(30, 12))),
        # 4 IT: claimed, given back, claimed by Piotr, two replies, resolved, reopened, resolved again
        Made("it", at(24, 9), "resolved", [
            (at(24, 9), EMP, "created", None, "escalated", None),
            (at(24, 9, 30), ANNA, "claimed", "escalated", "claimed", None),
            (at(24, 10), ANNA, "unclaimed", "claimed", "escalated", None),
            (at(24, 10, 30), PIOTR, "claimed", "escalated", "claimed", None),
            (at(24, 10, 45), PIOTR, "relayed", "claimed", "claimed", relay),
            (at(24, 11), PIOTR, "relayed", "claimed", "claimed", relay),
            (at(24, 11, 30), PIOTR, "resolved", "claimed", "resolved", None),
            (at(24, 13), EMP, "reopened", "resolved", "reopened", None),
            (at(24, 14), PIOTR, "resolved", "reopened", "resolved", None)],
            dict(reopen_count=1, claimed_by=PIOTR, resolved_by=PIOTR, first_human_reply_at=at(24, 10, 45),
                 resolved_at=at(24, 14))),
        # 5 HR -> IT: transferred while waiting, nobody has claimed it since
        Made("it", at(25, 9), "escalated", [
            (at(25, 9), EMP, "created", None, "escalated", None),
            (at(25, 9, 20), MAGDA, "transferred", "escalated", "escalated",
             {"from_department": "hr", "to_department": "it"})],
            dict(transfer_count=1)),
        # 6 HR (no working hours): claimed, resolved without a message (the resolution is the first response)
        Made("hr", at(25, 12), "closed", [
            (at(25, 12), EMP, "created", None, "escalated", None),
            (at(25, 12, 5), MAGDA, "claimed", "escalated", "claimed", None),
            (at(25, 12, 35), MAGDA, "resolved", "claimed", "resolved", None),
            (at(25, 13), EMP, "confirmed", "resolved", "closed", None)],
            dict(resolution="confirmed", claimed_by=MAGDA, resolved_by=MAGDA, resolved_at=at(25, 12, 35),
                 closed_at=at(25, 13))),
        # 7 IT: an answer nobody clicked, expired as unconfirmed self-service
        Made("it", at(26, 9), "closed", [
            (at(26, 9), EMP, "created", None, "answered", {"entry": WIFI}),
            (at(26, 9) .replace(day=30), "helploop", "answer_expired", "answered", "closed", None)],
            dict(resolution="answer_expired", kb_entry_id=WIFI, closed_at=at(30, 9))),
        # 8 IT: "Did you mean…?", picked, then "I still need help"; waiting for a claim
        Made("it", at(26, 10), "escalated", [
            (at(26, 10), EMP, "created", None, "suggested", {"entry": PRINTER}),
            (at(26, 10, 1), EMP, "picked", "suggested", "answered", {"entry": PRINTER}),
            (at(26, 10, 2), EMP, "escalated", "answered", "escalated", None)],
            dict(kb_entry_id=PRINTER)),
    ]


def insert_history(session: Session, made: Sequence[Made]) -> list[int]:
    """Insert the requests and their audit rows (through queries.add_audit); returns the request ids."""
    ids = []
    for i, m in enumerate(made):
        last = max(e[0] for e in m.events)
        escalations = [e[0] for e in m.events if e[4] == "escalated"]
        row = dict(channel_id="D0HLEMP", root_ts=f"1764000000.{i:06d}", message_ts=f"1764000000.{i:06d}",
                   user_id=EMP, source="dm", text="a question", department_id=m.department, status=m.status,
                   reopen_count=0, transfer_count=0, escalation_level=0, anonymous=False, created_at=m.created,
                   updated_at=last, escalated_at=escalations[-1] if escalations else None)
        row.update(m.fields)
        request = Request(**row)
        session.add(request)
        session.flush()
        ids.append(request.id)
        for when, actor, action, src, dst, detail in m.events:  # the write path: audit rows keep the facts
            queries.add_audit(session, request.id, at=when, actor=actor, action=action, from_status=src,
                              to_status=dst, detail=detail)
    return ids
