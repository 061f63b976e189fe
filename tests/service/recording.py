"""Recording fakes for the two edges of the domain: what it asks to say (Messages) and how it is sent (Transport).

`RecordingMessages` answers every method of `bot.messages.Messages` with a SlackWrite whose args record
what was asked, and whose routing (method, purpose, edit_of, thread_of, link, lane, channel) mirrors
`handlers.messages.SlackMessages`, so the outbox orders and resolves the writes as in production
(test_recording.py checks the mirror method by method).
"""
from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.delivery import DeliveryError, Outgoing, Sent
from bot.messages import Notice, Posted
from bot.outbox import LinkTo, SlackWrite
from bot.records import EscalationStep, HistoryLine, PastCase, RequestView, Said, Spike, Transfer
from bot.words import Direction, Purpose
from tests.service.recording_feedback import RecordingSurveyMessages

REQUESTER, STAFF = "requester", "staff"
POST, UPDATE = "chat.postMessage", "chat.update"
EDITED_AS = {Posted.ANSWER: Purpose.ANSWER, Posted.CHOICES: Purpose.ANSWER, Posted.TRIAGE: Purpose.TRIAGE,
             Posted.FOLLOWUP: Purpose.FOLLOWUP}


def _record(what: str, request: RequestView, **extra: Any) -> dict[str, Any]:
    return {"what": what, "request": request.id, "status": str(request.status), **extra}


def _post(what: str, request: RequestView, channel: str, thread_ts: str | None = None, *,
          purpose: Purpose | None = None, link: LinkTo | None = None, lane: str = REQUESTER,
          **extra: Any) -> SlackWrite:
    args = {**_record(what, request, **extra), "channel": channel}
    if thread_ts:
        args["thread_ts"] = thread_ts
    return SlackWrite(POST, args, purpose=purpose, link=link, lane=lane)


def _original(request: RequestView) -> LinkTo | None:
    return LinkTo(channel=request.channel_id, ts=request.message_ts) if request.reply_thread_ts else None


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


class RecordingMessages(RecordingSurveyMessages):
    """Every message the domain asks for, as a SlackWrite whose args say what was asked."""

    def question_quote(self, request: RequestView) -> SlackWrite:
        return _post("question_quote", request, request.channel_id, purpose=Purpose.QUESTION)

    def answer(self, request: RequestView, answer: str, related: Sequence[tuple[str, str]] = ()) -> SlackWrite:
        return _post("answer", request, request.channel_id, request.reply_thread_ts, purpose=Purpose.ANSWER,
                     entry=request.kb_entry_id, answer=answer, related=[entry for entry, _ in related])

    def related_answer(self, request: RequestView, answer: str) -> SlackWrite:
        return _post("related_answer", request, request.channel_id, request.reply_thread_ts, answer=answer)

    def choices(self, request: RequestView, choices: Sequence[tuple[str, str]]) -> SlackWrite:
        return _post("choices", request, request.channel_id, request.reply_thread_ts, purpose=Purpose.ANSWER,
                     choices=[entry_id for entry_id, _title in choices])

    def escalation_notice(self, request: RequestView, reply_expected_from: datetime | None) -> SlackWrite:
        return _post("escalation_notice", request, request.channel_id, request.reply_thread_ts,
                     department=request.department_id, oncall=request.oncall_user_id,
                     reply_expected_from=_iso(reply_expected_from))

    def triage(self, request: RequestView, history: Sequence[HistoryLine]) -> SlackWrite | None:
        if not request.triage_channel:
            return None
        return _post("triage", request, request.triage_channel, purpose=Purpose.TRIAGE, link=_original(request),
                     lane=STAFF, department=request.department_id, oncall=request.oncall_user_id,
                     history=[line.action for line in history])

    def page(self, request: RequestView, step: str, user: str) -> SlackWrite:
        return _post("page", request, user, link=LinkTo(purpose=Purpose.TRIAGE), lane=STAFF, step=step, user=user)

    def escalation_status(self, request: RequestView, steps: Sequence[EscalationStep],
                          edit: bool) -> SlackWrite | None:
        if not request.triage_channel:
            return None
        shown = [[step.step, list(step.notified)] for step in steps]
        if edit:
            return SlackWrite(UPDATE, _record("escalation_status", request, steps=shown, edit=True),
                              edit_of=Purpose.ESCALATION, lane=STAFF)
        args = {**_record("escalation_status", request, steps=shown, edit=False), "channel": request.triage_channel}
        return SlackWrite(POST, args, purpose=Purpose.ESCALATION, thread_of=Purpose.TRIAGE, lane=STAFF)

    def stale_reminder(self, request: RequestView) -> SlackWrite | None:
        if not request.claimed_by:
            return None
        return _post("stale_reminder", request, request.claimed_by, lane=STAFF, claimer=request.claimed_by)

    def transferred_away(self, request: RequestView, transfer: Transfer) -> SlackWrite | None:
        if not transfer.old_triage_channel:
            return None
        return SlackWrite(UPDATE, _record("transferred_away", request, to=transfer.to_department, by=transfer.by),
                          edit_of=Purpose.TRIAGE, lane=STAFF)

    def requester_transferred(self, request: RequestView, transfer: Transfer,
                              reply_expected_from: datetime | None) -> SlackWrite:
        return _post("requester_transferred", request, request.channel_id, request.reply_thread_ts,
                     to=transfer.to_department, reply_expected_from=_iso(reply_expected_from))

    def followup_question(self, request: RequestView) -> SlackWrite:
        return _post("followup_question", request, request.channel_id, request.reply_thread_ts,
                     purpose=Purpose.FOLLOWUP)

    def notice(self, request: RequestView, notice: Notice) -> SlackWrite | None:
        if notice in (Notice.REOPENED, Notice.REVIVED):
            if not request.triage_channel:
                return None
            args = {**_record("notice", request, notice=str(notice), claimer=request.claimed_by),
                    "channel": request.triage_channel}
            return SlackWrite(POST, args, thread_of=Purpose.TRIAGE, lane=STAFF)
        return _post("notice", request, request.channel_id, request.reply_thread_ts, notice=str(notice),
                     claimer=request.claimed_by)

    def refresh(self, request: RequestView, posted: Posted) -> SlackWrite | None:
        link = _original(request) if posted is Posted.TRIAGE else None
        lane = STAFF if posted is Posted.TRIAGE else REQUESTER
        return SlackWrite(UPDATE, _record("refresh", request, posted=str(posted)), edit_of=EDITED_AS[posted],
                          link=link, lane=lane)

    def relay_to_requester(self, request: RequestView, said: Said, message_id: int) -> SlackWrite:
        args = {**_record("relay_to_requester", request, author=said.user_id, text=said.text),
                "channel": request.channel_id}
        if request.reply_thread_ts:
            args["thread_ts"] = request.reply_thread_ts
        return SlackWrite(POST, args, message_id=message_id)

    def relay_to_staff(self, request: RequestView, said: Said, message_id: int) -> SlackWrite | None:
        if not request.triage_channel:
            return None
        args = {**_record("relay_to_staff", request, text=said.text), "channel": request.triage_channel}
        return SlackWrite(POST, args, thread_of=Purpose.TRIAGE, lane=STAFF, message_id=message_id)

    def relay_edited(self, request: RequestView, said: Said, message_id: int, direction: str) -> SlackWrite:
        lane = REQUESTER if direction == Direction.TO_REQUESTER else STAFF
        return SlackWrite(UPDATE, _record("relay_edited", request, text=said.text), lane=lane, message_id=message_id)

    def relay_deleted(self, request: RequestView, message_id: int, direction: str) -> SlackWrite:
        lane = REQUESTER if direction == Direction.TO_REQUESTER else STAFF
        return SlackWrite("chat.delete", _record("relay_deleted", request), lane=lane, message_id=message_id)

    def note_marked(self, request: RequestView, channel: str, ts: str) -> SlackWrite:
        return SlackWrite("reactions.add", {**_record("note_marked", request), "channel": channel, "timestamp": ts},
                          lane=STAFF)

    def which_request(self, request: RequestView, held_id: int) -> SlackWrite:
        return _post("which_request", request, request.channel_id, held=held_id)

    def what_is_wrong(self, request: RequestView) -> SlackWrite:
        return _post("what_is_wrong", request, request.channel_id, request.reply_thread_ts)

    def already_on_it(self, request: RequestView, channel: str, thread_ts: str) -> SlackWrite:
        return _post("already_on_it", request, channel, thread_ts)

    def moved_to_dm(self, request: RequestView, channel: str, thread_ts: str) -> SlackWrite:
        return _post("moved_to_dm", request, channel, thread_ts)

    def alert(self, channel: str, text: str) -> SlackWrite:
        return SlackWrite(POST, {"what": "alert", "channel": channel, "text": text})

    def past_cases(self, request: RequestView, cases: Sequence[PastCase]) -> SlackWrite | None:
        if not request.triage_channel or not cases:
            return None
        return SlackWrite(POST, {**_record("past_cases", request, cases=[c.id for c in cases]),
                                 "channel": request.triage_channel}, thread_of=Purpose.TRIAGE, lane=STAFF)

    def spike(self, channel: str, spike: Spike) -> SlackWrite:
        return SlackWrite(POST, {"what": "spike", "channel": channel, "request": spike.request_id,
                                 "people": spike.people, "departments": list(spike.departments),
                                 "example": spike.example})


Match = Callable[[Outgoing], bool]


@dataclass
class _Failure:
    match: Match
    error: DeliveryError
    times: int | None  # None: for ever


class RecordingTransport:
    """A bot.delivery.Transport that records every Outgoing and fails on demand (thread-safe: the
    dispatcher sends on its pool)."""

    def __init__(self) -> None:
        self.sent: list[Outgoing] = []          # every try, failed ones included
        self.landed: dict[int, Sent] = {}       # delivery id -> where its successful try landed
        self._failures: list[_Failure] = []
        self._ts = itertools.count(1)
        self._lock = threading.Lock()

    def fail(self, match: Match, reason: str = "boom", *, times: int | None = None,
             retry_after: float | None = None, ambiguous: bool = False) -> None:
        """Raise DeliveryError(reason, ...) for outgoing writes that `match` (`times` times, or always)."""
        error = DeliveryError(reason, retry_after=retry_after, ambiguous=ambiguous)
        with self._lock:
            self._failures.append(_Failure(match, error, times))

    def heal(self) -> None:
        """Stop failing."""
        with self._lock:
            self._failures.clear()

    def send(self, outgoing: Outgoing) -> Sent:
        with self._lock:
            self.sent.append(outgoing)
            for failure in self._failures:
                if failure.match(outgoing) and failure.times != 0:
                    if failure.times is not None:
                        failure.times -= 1
                    raise failure.error
            if outgoing.method == UPDATE:
                sent = Sent(*outgoing.target) if outgoing.target else Sent()
            else:
                sent = Sent(outgoing.args.get("channel"), f"1800000000.{next(self._ts):06d}")
            self.landed[outgoing.id] = sent
            return sent

    def tries(self, match: Match) -> list[Outgoing]:
        """The outgoing writes that `match`, in the order they were tried."""
        with self._lock:
            return [outgoing for outgoing in self.sent if match(outgoing)]


def what(name: str) -> Match:
    """Matches outgoing writes recorded as `name` ("answer", "triage", ...)."""
    return lambda outgoing: outgoing.args.get("what") == name
