"""The conversation goes through the request: staff and employee talk in their own places, helploop relays.

Staff write in the request's triage thread; the employee reads it where they asked (their DM, or the
thread of their channel message) and answers there. Every relayed message is stored, goes out through
the outbox, and its edits and deletions are mirrored. A staff message starting with the note prefix
stays in the triage thread as an internal note.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.lifecycle import Lifecycle
from bot.moves import requester_of
from bot.messages import Messages
from bot.outbox import Outbox
from bot.records import Outcome, Refusal, Said
from bot.requests import RequestStore, audit
from bot.words import ANONYMOUS_ACTOR, Action, Direction, Status
from kb import fold
from storage import conversation_queries as talk
from storage import queries
from storage.models import Request

CONVERSING = timedelta(hours=24)  # a top-level DM this soon after a staff message is a reply to it
WORKING = (Status.ESCALATED, Status.CLAIMED, Status.REOPENED)  # staff are (or should be) on it
RELAYABLE = WORKING + (Status.RESOLVED,)
HOME_CHANNEL = "app_home"  # where a message added from the App Home was "written" (it has no Slack message)
PLEASANTRIES = {"thanks", "thank you", "thanks a lot", "thx", "ty", "ok", "okay", "k", "great", "cool", "perfect",
                "got it", "cam on", "cam on a", "cam on anh", "cam on chi", "ok a", "da", "vang", "da vang",
                "dzieki", "dziekuje", "dziekuje bardzo", "super", "spoko", "jasne", "ok dzieki"}


class NewDm(StrEnum):
    """What became of a top-level DM from someone who may have a request open."""

    NEW_REQUEST = "new_request"   # nothing open: it is a question
    ADDED = "added"               # relayed to the open request (a pleasantry, or the awaited answer)
    HELD = "held"                 # the bot asked whether it belongs to the open request


@dataclass(frozen=True)
class Held:
    """A held DM, released by the requester's choice."""

    channel_id: str
    ts: str
    user_id: str
    text: str


class Conversation:
    """Relays messages between the triage thread and the employee, and keeps one request per conversation."""

    def __init__(self, store: RequestStore, outbox: Outbox, say: Messages, lifecycle: Lifecycle, clock: Clock,
                 note_prefix: str = "//") -> None:
        self.store, self.outbox, self.say, self.lifecycle, self.clock = store, outbox, say, lifecycle, clock
        self.note_prefix = note_prefix

    # --- staff, in the triage thread ---------------------------------------------------------

    def from_staff(self, said: Said) -> bool:
        """A message in a triage thread: relayed to the employee, or kept as an internal note."""
        with self.store.sessions.begin() as session:
            request = talk.request_of_triage_thread(session, said.channel_id, said.thread_ts or "")
            if request is None:
                return False
            department = self.store.department(request.department_id)
            claim = request.status == Status.ESCALATED and department.claim_on_reply \
                and said.user_id in department.staff
        if claim:  # the same atomic claim as the button; losing the race just means someone else has it
            self.lifecycle.claim(request.id, said.user_id)
        now = self.clock.now()
        with self.store.sessions.begin() as session:
            request = queries.get_request(session, request.id)
            internal = said.text.lstrip().startswith(self.note_prefix) or request.status == Status.CLOSED
            direction = Direction.INTERNAL if internal else Direction.TO_REQUESTER
            message = self._store(session, request, said, direction, now)
            if message is None:
                return True
            if internal:
                self.outbox.add(session, self.say.note_marked(self.store.view(request), said.channel_id, said.ts),
                                now, request.id)
                audit(session, request.id, now, said.user_id, Action.NOTE, request.status, request.status)
                return True
            queries.set_fields(session, request.id, last_staff_message_at=now,
                               first_human_reply_at=request.first_human_reply_at or now)
            view = self.store.view(request)
            self.outbox.add(session, self.say.relay_to_requester(view, said, message.id), now, request.id)
            audit(session, request.id, now, said.user_id, Action.RELAYED, request.status, request.status,
                  direction=direction)
        return True

    # --- the employee ------------------------------------------------------------------------

    def from_requester_thread(self, said: Said) -> bool:
        """A reply in a thread of the employee's request (their DM or channel thread): relayed to staff."""
        with self.store.sessions.begin() as session:
            request = talk.request_of_requester_thread(session, said.channel_id, said.thread_ts or "")
            if request is None or request.status not in RELAYABLE or not self._is_requester(session, request, said):
                return False
            self._to_staff(session, request, said, self.clock.now())
        return True

    def from_home(self, request_id: int, user_id: str, text: str, key: str) -> Outcome:
        """The requester adds a message from their App Home: relayed to staff like a reply in their DM
        (`key`, unique per submitted form, makes a redelivered submission count once)."""
        now = self.clock.now()
        with self.store.sessions.begin() as session:
            request = queries.get_request(session, request_id)
            if request is None:
                return Outcome.refused(Refusal.NOT_FOUND)
            if requester_of(session, request) != user_id:
                return Outcome.refused(Refusal.NOT_REQUESTER, self.store.view(request))
            if request.status not in RELAYABLE:
                return Outcome.refused(Refusal.ALREADY_DONE, self.store.view(request))
            self._to_staff(session, request, Said(HOME_CHANNEL, key[-32:], None, user_id, text), now)
            return Outcome(ok=True, request=self.store.view(request))

    def new_dm(self, said: Said) -> NewDm:
        """A top-level DM: a new question, part of the open request, or held while the bot asks which."""
        now = self.clock.now()
        with self.store.sessions.begin() as session:
            if queries.find_request(session, said.channel_id, said.ts) is not None:
                # This very message already asked a question: Slack (or a restart) delivered it again.
                # Asking again is how a repeat is recognised and ignored (Lifecycle.ask).
                return NewDm.NEW_REQUEST
            awaited = talk.awaiting_request(session, said.channel_id, now)
            if awaited is not None and awaited.status in RELAYABLE:
                queries.set_fields(session, awaited.id, awaiting_reply_until=None)
                self._to_staff(session, awaited, said, now)
                return NewDm.ADDED
            open_request = talk.latest_request_in(session, said.channel_id, WORKING)
            if open_request is None:
                return NewDm.NEW_REQUEST
            if is_pleasantry(said.text) or _talking(open_request, now):
                self._to_staff(session, open_request, said, now)
                return NewDm.ADDED
            held = talk.hold_message(session, user_id="" if open_request.anonymous else said.user_id,
                                     channel_id=said.channel_id, ts=said.ts,
                                     text=said.text, request_id=open_request.id, created_at=now)
            if held is not None:
                self.outbox.add(session, self.say.which_request(self.store.view(open_request), held.id), now,
                                open_request.id)
        return NewDm.HELD

    def add_held(self, held_id: int, user_id: str) -> Outcome:
        """The requester says the held DM belongs to their open request: relay it there."""
        now = self.clock.now()
        with self.store.sessions.begin() as session:
            request = self._held_request(session, held_id, user_id)
            held = talk.decide_held(session, held_id, now) if request else None
            if held is None:
                return Outcome.refused(Refusal.ALREADY_DONE)
            said = Said(held.channel_id, held.ts, None, user_id, held.text)
            self._to_staff(session, request, said, now)
            return Outcome(ok=True, request=self.store.view(request))

    def release_held(self, held_id: int, user_id: str) -> Held | None:
        """The requester says the held DM is a new question: it is released to be asked as one."""
        now = self.clock.now()
        with self.store.sessions.begin() as session:
            held = talk.decide_held(session, held_id, now) if self._held_request(session, held_id, user_id) else None
            if held is None:
                return None
            return Held(held.channel_id, held.ts, user_id, held.text)

    # --- edits and deletions -----------------------------------------------------------------

    def edited(self, channel_id: str, ts: str, text: str) -> bool:
        """A relayed message was edited: its copy is edited too."""
        return self._mirror(channel_id, ts, text)

    def deleted(self, channel_id: str, ts: str) -> bool:
        """A relayed message was deleted: its copy is deleted too."""
        return self._mirror(channel_id, ts, None)

    # --- internals ---------------------------------------------------------------------------

    def _mirror(self, channel_id: str, ts: str, text: str | None) -> bool:
        now = self.clock.now()
        with self.store.sessions.begin() as session:
            message = talk.message_by_source(session, channel_id, ts)
            if message is None or message.deleted_at is not None:
                return False
            if text is None:
                talk.update_message(session, message.id, deleted_at=now)
            else:
                talk.update_message(session, message.id, text=text, edited_at=now)
            if message.direction == Direction.INTERNAL:
                return True
            request = queries.get_request(session, message.request_id)
            view = self.store.view(request)
            said = Said(channel_id, ts, None, message.author_id or "", text or "")
            write = self.say.relay_deleted(view, message.id, message.direction) if text is None else \
                self.say.relay_edited(view, said, message.id, message.direction)
            self.outbox.add(session, write, now, request.id)
        return True

    def _to_staff(self, session: Session, request: Request, said: Said, now: datetime) -> None:
        message = self._store(session, request, said, Direction.TO_STAFF, now)
        if message is None:
            return
        view = self.store.view(request)
        self.outbox.add(session, self.say.relay_to_staff(view, said, message.id), now, request.id)
        actor = ANONYMOUS_ACTOR if request.anonymous else said.user_id
        audit(session, request.id, now, actor, Action.RELAYED, request.status, request.status,
              direction=Direction.TO_STAFF)

    def _store(self, session: Session, request: Request, said: Said, direction: Direction, now: datetime):
        author = None if request.anonymous and direction == Direction.TO_STAFF else said.user_id
        return talk.add_message(session, request_id=request.id, direction=direction, author_id=author,
                                text=said.text, source_channel=said.channel_id, source_ts=said.ts, created_at=now)

    def _held_request(self, session: Session, held_id: int, user_id: str) -> Request | None:
        """The request a held DM was asked about, if `user_id` is the one who wrote it."""
        held = talk.get_held(session, held_id)
        request = queries.get_request(session, held.request_id) if held else None
        return request if request is not None and requester_of(session, request) == user_id else None

    def _is_requester(self, session: Session, request: Request, said: Said) -> bool:
        return requester_of(session, request) == said.user_id


def is_pleasantry(text: str) -> bool:
    """True for a short thanks or ok (in English, Vietnamese or Polish, with or without diacritics) or emoji."""
    folded = " ".join(fold(text).split())
    return not folded or folded in PLEASANTRIES



def _talking(request: Request, now: datetime) -> bool:
    """True while staff and the requester are in a conversation: a staff message reached them lately."""
    return request.last_staff_message_at is not None and now - request.last_staff_message_at <= CONVERSING
