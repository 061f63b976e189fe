"""Knowledge capture: what staff learn helps the next person (past cases), the admins (spike alerts, gaps)
and the KB (draft entries from resolutions). Similarity is kb.similar's pure code; this module reads and
writes through storage and the outbox inside the caller's transaction, and writes draft files after commits.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.messages import Messages
from bot.outbox import Outbox
from bot.records import PastCase, RequestView, Spike
from bot.requests import RequestStore, audit
from bot.words import BOT_ACTOR, OPEN_STATUSES, Action, Status
from kb import drafts
from kb.similar import group, nearest
from storage import capture_queries
from storage.capture_queries import Asked

log = logging.getLogger(__name__)
RESOLVED_STATUSES = (Status.RESOLVED, Status.CLOSED)
# What an escalated question can be within hours of being asked (closed comes after the follow-up, a day later
# by default): the status index keeps the spike check, run on every escalation, off the closed history.
RECENT_STATUSES = (*OPEN_STATUSES, Status.RESOLVED)
SPIKE_LOOKBACK = 1000   # unanswered questions of the window compared with a new one, at most
GAP_EXAMPLES = 3


@dataclass(frozen=True)
class CaptureSettings:
    """How knowledge capture behaves (wiring.settings reads these from the environment)."""

    admin_channel: str | None = None
    spike_people: int = 5                        # different people asking the same thing; 0: no alerts
    spike_window: timedelta = timedelta(hours=2)
    past_cases: int = 3                          # shown under a triage post; 0: none
    past_lookback: int = 300                     # recent resolved requests of the department compared
    drafts_dir: Path | None = None               # where "Save as answer" writes; None: nowhere


class Capture:
    """Past cases under triage posts, spike alerts to the admins, draft KB entries from resolutions."""

    def __init__(self, store: RequestStore, outbox: Outbox, say: Messages, clock: Clock,
                 settings: CaptureSettings | None = None) -> None:
        self.store, self.outbox, self.say, self.clock = store, outbox, say, clock
        self.settings = settings or CaptureSettings()

    def escalated(self, session: Session, view: RequestView, now: datetime) -> None:
        """A question was just posted to its triage channel: past cases under it, and a spike alert if due."""
        self.show_past_cases(session, view, now)
        self._spike(session, view, now)

    def show_past_cases(self, session: Session, view: RequestView, now: datetime) -> None:
        """Queue the past-cases reply under the request's (new) triage post, when there are any."""
        cases = self.past_cases(session, view)
        if cases:
            self.outbox.add(session, self.say.past_cases(view, cases), now, view.id)

    def past_cases(self, session: Session, view: RequestView) -> list[PastCase]:
        """Up to `past_cases` resolved requests of the department most like this one, with their notes."""
        limit = self.settings.past_cases
        if limit <= 0 or not view.text:
            return []
        rows = capture_queries.resolved_with_notes(session, view.department_id, RESOLVED_STATUSES,
                                                   exclude_id=view.id, limit=self.settings.past_lookback)
        hits = nearest(view.text, [r.text for r in rows], limit=limit)
        return [PastCase(r.id, r.text, r.resolution_note, r.self_help_note, r.triage_channel, r.triage_ts,
                         r.resolved_at) for r in (rows[i] for i, _ in hits)]

    def save_draft(self, view: RequestView) -> Path | None:
        """Write the resolved request as a draft KB entry (call after the resolution committed); the file is
        named by request id, so doing it twice writes the same file. None when there is nothing to save."""
        directory = self.settings.drafts_dir
        answer = view.self_help_note or view.resolution_note
        if directory is None or not answer or not view.text:
            return None
        doc = drafts.document(view.id, view.department_id, [view.text], answer, self.clock.now().isoformat())
        path = Path(directory) / drafts.file_name(view.id)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f".{path.name}.partial")
            partial.write_text(drafts.dump(doc), encoding="utf-8")
            partial.replace(path)  # whole or not at all: an admin never reviews half a file
        except OSError as error:
            log.error("could not write the draft KB entry of request %s: %s", view.id, error)
            return None
        log.info("draft KB entry written for request %s", view.id)
        return path

    # --- internals ----------------------------------------------------------------------------------------

    def _spike(self, session: Session, view: RequestView, now: datetime) -> None:
        s = self.settings
        if not s.admin_channel or s.spike_people <= 0:
            return
        since = now - s.spike_window
        if len(self._same(session, view, since)[1]) < s.spike_people:
            return
        # About to alert: serialise with a concurrent alert, then look again (its request and its audit row
        # have committed by now).
        capture_queries.serialise_spikes(session)
        same, people = self._same(session, view, since)
        ids = [a.id for a in same]
        if len(people) < s.spike_people or capture_queries.audited_since(session, ids, Action.SPIKE_ALERT, since):
            return  # already alerted about these within the window
        spike = Spike(view.id, len(people), int(s.spike_window.total_seconds() // 60), self._names(same),
                      self._example(same), view.staff_language)
        self.outbox.add(session, self.say.spike(s.admin_channel, spike), now)
        audit(session, view.id, now, BOT_ACTOR, Action.SPIKE_ALERT, view.status, view.status, people=len(people),
              similar=ids[:50])

    def _same(self, session: Session, view: RequestView, since: datetime) -> tuple[list[Asked], set[str]]:
        """The unanswered questions of the window like this one (none if the KB answered it), and who asked."""
        asked = unanswered(session, since=since, limit=SPIKE_LOOKBACK, statuses=RECENT_STATUSES)
        if view.id not in {a.id for a in asked}:
            return [], set()  # the KB showed this one an answer: not an unanswered question
        same = [asked[i] for i, _ in nearest(view.text, [a.text for a in asked], limit=len(asked))]
        return same, {a.user_id or f"anonymous:{a.id}" for a in same}  # each anonymous request counts once

    def _names(self, asked: Sequence[Asked]) -> tuple[str, ...]:
        return tuple(self.store.department(d).name for d in dict.fromkeys(a.department_id for a in asked))

    def _example(self, asked: Sequence[Asked]) -> str | None:
        """The newest wording that may be shown in the admin channel: not anonymous, not a private department."""
        shown = [a for a in asked if not a.anonymous and not self.store.department(a.department_id).private]
        return max(shown, key=lambda a: (a.created_at, a.id)).text if shown else None


def unanswered(session: Session, *, since: datetime, until: datetime | None = None,
               department_id: str | None = None, limit: int = 5000,
               statuses: Sequence[str] | None = None) -> list[Asked]:
    """Questions asked since `since` that reached a human without the KB having shown them an answer."""
    return capture_queries.unanswered(session, since=since, until=until, department_id=department_id,
                                      created_action=Action.CREATED, answered_status=Status.ANSWERED,
                                      picked_action=Action.PICKED, statuses=statuses, limit=limit)


@dataclass(frozen=True)
class Gap:
    """Unanswered questions that ask the same thing: where a new KB entry would help."""

    department_id: str
    count: int
    people: int
    examples: tuple[str, ...]     # distinct wordings, the first one asked first
    first_at: datetime
    last_at: datetime
    request_ids: tuple[int, ...]

    def as_dict(self) -> dict[str, object]:
        """For --json."""
        return {"department": self.department_id, "count": self.count, "people": self.people,
                "examples": list(self.examples), "first": self.first_at.isoformat(),
                "last": self.last_at.isoformat(), "requests": list(self.request_ids)}


def gaps(sessions: sessionmaker[Session], *, since: datetime, until: datetime | None = None,
         department_id: str | None = None, limit: int = 5000) -> list[Gap]:
    """The unanswered questions of the period grouped by similarity within each department, largest first."""
    with sessions.begin() as session:
        asked = unanswered(session, since=since, until=until, department_id=department_id, limit=limit)
    by_department: dict[str, list[Asked]] = {}
    for a in asked:
        by_department.setdefault(a.department_id, []).append(a)
    found = [_gap(department, [rows[i] for i in g.members])
             for department, rows in by_department.items() for g in group([r.text for r in rows])]
    return sorted(found, key=lambda g: (-g.count, -g.people, g.department_id, g.request_ids[0]))


def _gap(department_id: str, rows: list[Asked]) -> Gap:
    wordings: dict[str, str] = {}
    for row in rows:
        wordings.setdefault(" ".join(row.text.casefold().split()), row.text.strip())
    people = len({r.user_id or f"anonymous:{r.id}" for r in rows})
    return Gap(department_id, len(rows), people, tuple(list(wordings.values())[:GAP_EXAMPLES]),
               min(r.created_at for r in rows), max(r.created_at for r in rows), tuple(r.id for r in rows))

