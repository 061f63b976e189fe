"""Retention: texts of old requests are removed, the facts the metrics are computed from are kept.

For each department with `retention_days`, a request that was closed that long ago (or whose KB answer or
choices got no reply for that long) loses its question, its notes, its relayed and held messages, the
free-text notes in its audit trail and the arguments of its Slack writes (they quote the texts); its
statuses, resolution, timestamps, counters and audit actions stay, and `purged_at` is set. A request is
never purged while it is open, while it can still be reopened, or while one of its Slack writes is
unsent (the next purge takes it). Independently of departments, processed Slack requests kept in the
inbox (their bodies carry texts and user ids) go after INBOX_DAYS, and finished Slack writes that belong to
no request (replies, alerts) after the longest retention, at least LOOSE_DAYS.

The work is done in batches of `batch` rows, each in its own short transaction, so a purge of a large
database never holds locks for long; a purge that stops half-way is simply finished by the next one.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.words import Status
from kb import Department, KnowledgeBase
from storage import retention_queries as rq

log = logging.getLogger(__name__)

BATCH = 500
INBOX_DAYS = 7
LOOSE_DAYS = 30
# Closed for good, or an answer/choices the employee never replied to; open requests are never purged.
PURGEABLE = (Status.CLOSED, Status.ANSWERED, Status.SUGGESTED)
NOTE_KEYS = ("note", "resolution_note", "self_help_note", "text")  # free text in audit details


def marker(days: int) -> str:
    """What a purged text reads as."""
    return f"(removed after {days} days)"


@dataclass
class DepartmentPurge:
    """What was (or, in a dry run, would be) purged for one department."""

    department_id: str
    name: str
    retention_days: int
    requests: int = 0      # requests whose question, notes and messages were removed
    deliveries: int = 0    # their Slack writes whose arguments were emptied
    messages: int = 0      # their relayed, internal and held messages whose text was removed
    audit_notes: int = 0   # their audit rows whose free-text note was removed


@dataclass
class PurgeReport:
    """The outcome of one purge; a dry run reports what a real one would do and changes nothing."""

    at: datetime
    dry_run: bool
    departments: list[DepartmentPurge] = field(default_factory=list)
    inbox_deleted: int = 0        # processed Slack requests older than INBOX_DAYS
    deliveries_deleted: int = 0   # finished request-less Slack writes past the loose retention
    loose_days: int = LOOSE_DAYS

    @property
    def requests(self) -> int:
        """Requests purged, over all departments."""
        return sum(d.requests for d in self.departments)

    @property
    def changed(self) -> bool:
        """True when anything was (or would be) purged."""
        return bool(self.inbox_deleted or self.deliveries_deleted
                    or any(d.requests or d.deliveries or d.messages or d.audit_notes for d in self.departments))

    def counts(self) -> dict[str, object]:
        """The numbers alone (dry run and real run of the same database report the same)."""
        return {"departments": {d.department_id: (d.requests, d.deliveries, d.messages, d.audit_notes)
                                for d in self.departments},
                "inbox_deleted": self.inbox_deleted, "deliveries_deleted": self.deliveries_deleted}


class Retention:
    """Purges what the departments' retention says is too old; time comes from the injected clock."""

    def __init__(self, sessions: sessionmaker[Session], kb: Callable[[], KnowledgeBase], clock: Clock, *,
                 batch: int = BATCH) -> None:
        self.sessions, self.kb, self.clock, self.batch = sessions, kb, clock, batch

    def purge(self, dry_run: bool = False) -> PurgeReport:
        """Purge (or, with `dry_run`, count) everything past its retention; idempotent."""
        now = self.clock.now()
        departments = [d for d in self.kb().departments.values() if d.retention_days is not None]
        report = PurgeReport(at=now, dry_run=dry_run)
        for department in departments:
            report.departments.append(self._department(department, now, dry_run))
        report.inbox_deleted = self._delete(rq.old_inbox_items, rq.delete_inbox_items,
                                            now - timedelta(days=INBOX_DAYS), dry_run)
        report.loose_days = max([LOOSE_DAYS, *(d.retention_days or 0 for d in departments)])
        report.deliveries_deleted = self._delete(rq.old_loose_deliveries, rq.delete_loose_deliveries,
                                                 now - timedelta(days=report.loose_days), dry_run)
        if report.changed:
            log.info("retention%s: %d requests purged (%s), %d inbox items and %d replies/alerts deleted",
                     " (dry run)" if dry_run else "", report.requests,
                     ", ".join(f"{d.department_id}: {d.requests}" for d in report.departments),
                     report.inbox_deleted, report.deliveries_deleted)
        return report

    def _department(self, department: Department, now: datetime, dry_run: bool) -> DepartmentPurge:
        days = department.retention_days or 0
        done = DepartmentPurge(department.id, department.name, days)
        # Never purge what its requester may still reopen (a field of newer KBs; absent means no window).
        keep_days = max(days, getattr(department, "reopen_days", 0) or 0)
        before, text = now - timedelta(days=keep_days), marker(days)
        after_id = 0
        while True:
            with self.sessions.begin() as session:
                ids = rq.purgeable_requests(session, department.id, PURGEABLE, before, after_id=after_id,
                                            limit=self.batch, lock=not dry_run)
                if not ids:
                    break
                after_id = ids[-1]
                done.audit_notes += self._strip_notes(session, ids, write=not dry_run)
                if dry_run:
                    done.deliveries += rq.count_delivery_texts(session, ids)
                    done.messages += rq.count_message_texts(session, ids, text)
                    done.requests += len(ids)
                else:
                    done.deliveries += rq.scrub_delivery_texts(session, ids)
                    done.messages += rq.scrub_message_texts(session, ids, text)
                    done.requests += rq.scrub_requests(session, ids, text, now)
            if len(ids) < self.batch:
                break
        return done

    def _strip_notes(self, session: Session, request_ids: list[int], *, write: bool) -> int:
        stripped = 0
        for audit_id, raw in rq.audit_details(session, request_ids):
            try:
                detail = json.loads(raw)
            except ValueError:
                detail = None
            if not isinstance(detail, dict):
                continue
            kept = {key: value for key, value in detail.items() if key not in NOTE_KEYS or value is None}
            if kept == detail:
                continue
            stripped += 1
            if write:
                rq.set_audit_detail(session, audit_id, json.dumps(kept, ensure_ascii=False) if kept else None)
        return stripped

    def _delete(self, find: Callable[..., list[int]], remove: Callable[[Session, list[int]], int],
                before: datetime, dry_run: bool) -> int:
        deleted, after_id = 0, 0
        while True:
            with self.sessions.begin() as session:
                ids = find(session, before, after_id=after_id, limit=self.batch, lock=not dry_run)
                if not ids:
                    break
                after_id = ids[-1]
                deleted += len(ids) if dry_run else remove(session, ids)
            if len(ids) < self.batch:
                break
        return deleted
