"""The Messages the domain asks for, rendered as Slack writes (Block Kit from the pure builders)."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.messages import Notice, Posted
from bot.outbox import PERMALINK, LinkTo, SlackWrite, permalink_at
from bot.records import EscalationStep, HistoryLine, PastCase, RequestView, Said, Spike, Transfer
from bot.words import Direction, Purpose, Status
from handlers import blocks, capture_blocks
from handlers import escalation_blocks as esc
from handlers.escape import mrkdwn
from handlers.feedback_messages import SlackSurveyMessages
from handlers.i18n import tr

REQUESTER, STAFF = "requester", "staff"  # outbox lanes: each is sent in order, independently
EDITED_AS = {Posted.ANSWER: Purpose.ANSWER, Posted.CHOICES: Purpose.ANSWER, Posted.TRIAGE: Purpose.TRIAGE,
             Posted.FOLLOWUP: Purpose.FOLLOWUP}


class SlackMessages(SlackSurveyMessages):
    """Renders each domain message; pure (no Web API calls: the dispatcher sends what this returns)."""

    def question_quote(self, request: RequestView) -> SlackWrite:
        """The question quoted in the DM, so the answers below it have something to answer."""
        return _post(request.channel_id, blocks.question_quote(request), purpose=Purpose.QUESTION)

    def answer(self, request: RequestView, answer: str, related: Sequence[tuple[str, str]] = ()) -> SlackWrite:
        """The KB answer with its verdict buttons (and up to three related entries), in the thread or DM."""
        text, body = blocks.answer_message(request, answer, related)
        return _post(request.channel_id, text, body, request.reply_thread_ts, purpose=Purpose.ANSWER)

    def choices(self, request: RequestView, choices: Sequence[tuple[str, str]]) -> SlackWrite:
        """ "Did you mean …?" in the requester's thread or DM."""
        text, body = blocks.choices_message(request, choices)
        return _post(request.channel_id, text, body, request.reply_thread_ts, purpose=Purpose.ANSWER)

    def escalation_notice(self, request: RequestView, reply_expected_from: datetime | None) -> SlackWrite:
        """Who has the request (and, after hours, when to expect a reply)."""
        text = blocks.escalation_notice(request, esc.after_hours_note(reply_expected_from, request.language))
        return _post(request.channel_id, text, None, request.reply_thread_ts)

    def triage(self, request: RequestView, history: Sequence[HistoryLine]) -> SlackWrite | None:
        """The triage post with a link to the original message (and the history after a transfer)."""
        if not request.triage_channel:
            return None
        link = _original(request)
        text, body = blocks.triage_message(request, PERMALINK if link else None,
                                           esc.history_block(history, request.staff_language))
        return _post(request.triage_channel, text, body, purpose=Purpose.TRIAGE, link=link, lane=STAFF)

    def page(self, request: RequestView, step: str, user: str) -> SlackWrite:
        """A DM to one person paged for an unclaimed request, linking to the triage post."""
        return _post(user, esc.page_text(request, step, PERMALINK), link=LinkTo(purpose=Purpose.TRIAGE), lane=STAFF)

    def escalation_status(self, request: RequestView, steps: Sequence[EscalationStep],
                          edit: bool) -> SlackWrite | None:
        """The one status line in the triage thread: posted the first time, edited after."""
        if not request.triage_channel:
            return None
        text, body = esc.escalation_status(steps, request.staff_language)
        if edit:
            return SlackWrite("chat.update", {"text": text, "blocks": body}, edit_of=Purpose.ESCALATION,
                              lane=STAFF)
        return SlackWrite("chat.postMessage", {"channel": request.triage_channel, "text": text, "blocks": body},
                          purpose=Purpose.ESCALATION, thread_of=Purpose.TRIAGE, lane=STAFF)

    def stale_reminder(self, request: RequestView) -> SlackWrite | None:
        """A DM to the claimer about a request that went quiet."""
        return _post(request.claimed_by, esc.stale_reminder(request), lane=STAFF) if request.claimed_by else None

    def transferred_away(self, request: RequestView, transfer: Transfer) -> SlackWrite | None:
        """The old triage post, edited to say where the request went (buttons gone)."""
        if not transfer.old_triage_channel:
            return None
        quote = (tr(request.staff_language, "*Request #{id}* from {asker}", id=request.id, asker=blocks.asker(request))
                 + f"\n> {blocks.short(request.text, 300)}")
        text, body = esc.transferred_away(request, transfer, quote)
        return SlackWrite("chat.update", {"text": text, "blocks": body}, edit_of=Purpose.TRIAGE, lane=STAFF)

    def requester_transferred(self, request: RequestView, transfer: Transfer,
                              reply_expected_from: datetime | None) -> SlackWrite:
        """Tell the requester, once, where the request went."""
        text = esc.requester_transferred(request, transfer, reply_expected_from)
        return _post(request.channel_id, text, None, request.reply_thread_ts)

    def followup_question(self, request: RequestView) -> SlackWrite:
        """ "Was it really fixed?" in the requester's thread or DM."""
        text, body = blocks.followup_question(request)
        return _post(request.channel_id, text, body, request.reply_thread_ts, purpose=Purpose.FOLLOWUP)

    def notice(self, request: RequestView, notice: Notice) -> SlackWrite | None:
        """Claimed/resolved to the requester; reopened to the claimer in the triage thread."""
        if notice is Notice.REOPENED:
            if not request.triage_channel:
                return None
            return SlackWrite("chat.postMessage", {"channel": request.triage_channel,
                                                   "text": blocks.claimer_reopened(request)},
                              thread_of=Purpose.TRIAGE, lane=STAFF)
        if notice is Notice.REVIVED:
            if not request.triage_channel:
                return None
            text = ":warning: " + tr(request.staff_language, "{asker} reopened request #{id}: it is not fixed after all.",
                                     asker=blocks.asker(request), id=request.id)
            return SlackWrite("chat.postMessage", {"channel": request.triage_channel, "text": text},
                              thread_of=Purpose.TRIAGE, lane=STAFF)
        text = blocks.requester_claimed(request) if notice is Notice.CLAIMED else blocks.requester_resolved(request)
        return _post(request.channel_id, text, None, request.reply_thread_ts)

    def refresh(self, request: RequestView, posted: Posted) -> SlackWrite | None:
        """The edit that makes one of the bot's messages show the request's current state."""
        link = None
        if posted is Posted.ANSWER and request.status == Status.ANSWERED:  # picked: the answer, with buttons
            text, body = blocks.answer_message(request, request.answer_text or "")
        elif posted is Posted.ANSWER:
            text, body = blocks.answer_after_verdict(request)
        elif posted is Posted.CHOICES:
            text, body = blocks.choices_after_none(request)
        elif posted is Posted.TRIAGE:
            link = _original(request)
            text, body = blocks.triage_message(request, PERMALINK if link else None)
        else:
            text, body = blocks.followup_after_verdict(request)
        lane = STAFF if posted is Posted.TRIAGE else REQUESTER
        return SlackWrite("chat.update", {"text": text, "blocks": body}, edit_of=EDITED_AS[posted], link=link,
                          lane=lane)

    def relay_to_requester(self, request: RequestView, said: Said, message_id: int) -> SlackWrite:
        """A staff message, attributed "<name> (Department)", where the requester asked."""
        author = f"<@{said.user_id}> ({mrkdwn(request.department_name)})"
        text = blocks.conversation_line(author, said.text, said.files)
        return SlackWrite("chat.postMessage", {**_where_requester(request), "text": text, "unfurl_links": False},
                          message_id=message_id)

    def relay_to_staff(self, request: RequestView, said: Said, message_id: int) -> SlackWrite | None:
        """The requester's message in the triage thread ("an employee" when anonymous)."""
        if not request.triage_channel:
            return None
        text = blocks.conversation_line(blocks.asker(request), said.text, said.files)
        return SlackWrite("chat.postMessage", {"channel": request.triage_channel, "text": text, "unfurl_links": False},
                          thread_of=Purpose.TRIAGE, lane=STAFF, message_id=message_id)

    def relay_edited(self, request: RequestView, said: Said, message_id: int, direction: str) -> SlackWrite:
        """The copy of an edited message, edited (it says it was edited)."""
        if direction == Direction.TO_REQUESTER:
            author, lane = f"<@{said.user_id}> ({mrkdwn(request.department_name)})", REQUESTER
        else:
            author, lane = blocks.asker(request), STAFF
        lang = request.language if direction == Direction.TO_REQUESTER else request.staff_language
        text = blocks.conversation_line(author, said.text) + " _(" + tr(lang, "edited") + ")_"
        return SlackWrite("chat.update", {"text": text}, lane=lane, message_id=message_id)

    def relay_deleted(self, request: RequestView, message_id: int, direction: str) -> SlackWrite:
        """The copy of a deleted message, deleted."""
        lane = REQUESTER if direction == Direction.TO_REQUESTER else STAFF
        return SlackWrite("chat.delete", {}, lane=lane, message_id=message_id)

    def note_marked(self, request: RequestView, channel: str, ts: str) -> SlackWrite:
        """A :lock: on a staff message in the triage thread: an internal note, not sent to the employee."""
        return SlackWrite("reactions.add", {"channel": channel, "timestamp": ts, "name": "lock"}, lane=STAFF)

    def which_request(self, request: RequestView, held_id: int) -> SlackWrite:
        """ "Is this about your open request?" with Add to it / New question, in the DM."""
        text, body = blocks.which_request_message(request, held_id)
        return _post(request.channel_id, text, body)

    def what_is_wrong(self, request: RequestView) -> SlackWrite:
        """After "No, still broken": what is still wrong? (the reply is relayed)."""
        return _post(request.channel_id, blocks.what_is_wrong_text(request), None, request.reply_thread_ts)

    def already_on_it(self, request: RequestView, channel: str, thread_ts: str) -> SlackWrite:
        """A second @mention in the thread: where the request stands."""
        return _post(channel, blocks.already_on_it_text(request), None, thread_ts)

    def moved_to_dm(self, request: RequestView, channel: str, thread_ts: str) -> SlackWrite:
        """In the public thread, without repeating the question: the conversation continues in the DM."""
        text = tr(request.language, "This is one for *{department}*, who handle it privately: "
                  "I've sent you a direct message.", department=mrkdwn(request.department_name))
        return _post(channel, text, None, thread_ts)

    def related_answer(self, request: RequestView, answer: str) -> SlackWrite:
        """A related entry's answer, in the requester's thread or DM."""
        return _post(request.channel_id, mrkdwn(answer), None, request.reply_thread_ts)

    def alert(self, channel: str, text: str) -> SlackWrite:
        """An operational problem, for the admins' channel."""
        return _post(channel, f":warning: {text}")

    def past_cases(self, request: RequestView, cases: Sequence[PastCase]) -> SlackWrite | None:
        """One reply in the triage thread: similar resolved requests, linked to their own triage posts."""
        if not request.triage_channel or not cases:
            return None
        links = [permalink_at(c.triage_channel, c.triage_ts) if c.triage_channel and c.triage_ts else None
                 for c in cases]
        text, body = capture_blocks.past_cases_message(cases, links, request.staff_language)
        return SlackWrite("chat.postMessage", {"channel": request.triage_channel, "text": text, "blocks": body,
                                               "unfurl_links": False}, thread_of=Purpose.TRIAGE, lane=STAFF)

    def spike(self, channel: str, spike: Spike) -> SlackWrite:
        """The spike alert, for the admins' channel."""
        return _post(channel, capture_blocks.spike_text(spike, spike.language))


def _original(request: RequestView) -> LinkTo | None:
    # Staff cannot open the bot's DM with someone, so only a question asked in a channel links to it.
    return LinkTo(channel=request.channel_id, ts=request.message_ts) if request.reply_thread_ts else None


def _post(channel: str, text: str, body: list[dict[str, Any]] | None = None, thread_ts: str | None = None, *,
          purpose: Purpose | None = None, link: LinkTo | None = None, lane: str = "requester") -> SlackWrite:
    args: dict[str, Any] = {"channel": channel, "text": text, "unfurl_links": False}
    if body:
        args["blocks"] = body
    if thread_ts:
        args["thread_ts"] = thread_ts
    return SlackWrite("chat.postMessage", args, purpose=purpose, link=link, lane=lane)


def _where_requester(request: RequestView) -> dict[str, Any]:
    where: dict[str, Any] = {"channel": request.channel_id}
    if request.reply_thread_ts:
        where["thread_ts"] = request.reply_thread_ts
    return where
