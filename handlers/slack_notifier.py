"""The Notifier the domain talks to, implemented with the Slack Web API."""
from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.notifier import MessageRef, Notice, Posted
from bot.records import EscalationStep, HistoryLine, RequestView, Transfer
from handlers import blocks
from handlers import escalation_blocks as esc

log = logging.getLogger(__name__)


class SlackNotifier:
    """Posts and edits the bot's messages; Slack errors are logged and reported as None."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def send_answer(self, request: RequestView, answer: str) -> MessageRef | None:
        """Reply with the KB answer and the verdict buttons."""
        text, body = blocks.answer_message(request, answer)
        return self._post(request.channel_id, text, body, request.reply_thread_ts)

    def offer_choices(self, request: RequestView, choices: Sequence[tuple[str, str]]) -> MessageRef | None:
        """Ask "Did you mean …?" in the requester's thread or DM."""
        text, body = blocks.choices_message(request, choices)
        return self._post(request.channel_id, text, body, request.reply_thread_ts)

    def send_escalation_notice(self, request: RequestView,
                               reply_expected_from: datetime | None) -> MessageRef | None:
        """Tell the requester who has the request (and, after hours, when to expect a reply)."""
        text = blocks.escalation_notice(request, esc.after_hours_note(reply_expected_from))
        return self._post(request.channel_id, text, None, request.reply_thread_ts)

    def post_triage(self, request: RequestView, history: Sequence[HistoryLine]) -> MessageRef | None:
        """Post the escalation in the triage channel (with its history after a transfer)."""
        if not request.triage_channel:
            log.error("department %s has no triage channel", request.department_id)
            return None
        text, body = blocks.triage_message(request, self._permalink(request), esc.history_block(history))
        return self._post(request.triage_channel, text, body, None)

    def page(self, request: RequestView, step: str, targets: Sequence[str]) -> None:
        """DM each person paged for an unclaimed request."""
        link = self._link(request.triage_channel, request.triage_ts)
        for user in targets:
            self._post(user, esc.page_text(request, step, link), None, None)

    def show_escalation(self, request: RequestView, steps: Sequence[EscalationStep]) -> MessageRef | None:
        """Post, then edit, the one escalation status line in the triage thread."""
        if not request.triage_channel or not request.triage_ts:
            return None
        text, body = esc.escalation_status(steps)
        if request.escalation_ts:
            self._update(request.triage_channel, request.escalation_ts, text, body)
            return MessageRef(request.triage_channel, request.escalation_ts)
        return self._post(request.triage_channel, text, body, request.triage_ts)

    def remind_claimer(self, request: RequestView) -> None:
        """DM the claimer about a request that went quiet."""
        if request.claimed_by:
            self._post(request.claimed_by, esc.stale_reminder(request), None, None)

    def transferred(self, request: RequestView, transfer: Transfer,
                    reply_expected_from: datetime | None) -> None:
        """Close the old triage post with where it went, and tell the requester once."""
        if transfer.old_triage_channel and transfer.old_triage_ts:
            quote = f"*Request #{request.id}* from <@{request.user_id}>\n> {blocks.short(request.text, 300)}"
            self._update(transfer.old_triage_channel, transfer.old_triage_ts,
                         *esc.transferred_away(request, transfer, quote))
        self._post(request.channel_id, esc.requester_transferred(request, transfer, reply_expected_from),
                   None, request.reply_thread_ts)

    def ask_followup(self, request: RequestView) -> MessageRef | None:
        """Ask whether the issue was really fixed."""
        text, body = blocks.followup_question(request)
        return self._post(request.channel_id, text, body, request.reply_thread_ts)

    def notify(self, request: RequestView, notice: Notice) -> None:
        """Tell the requester (claimed, resolved) or, in the triage thread, the claimer (reopened)."""
        if notice is Notice.REOPENED:
            if request.triage_channel and request.triage_ts:
                self._post(request.triage_channel, blocks.claimer_reopened(request), None, request.triage_ts)
            return
        text = blocks.requester_claimed(request) if notice is Notice.CLAIMED else blocks.requester_resolved(request)
        self._post(request.channel_id, text, None, request.reply_thread_ts)

    def refresh(self, request: RequestView, posted: Posted) -> None:
        """Edit the answer, triage or follow-up message in place to show the current state."""
        if posted is Posted.ANSWER and request.answer_ts:
            if request.status == "answered":  # picked from the choices: the answer, with its buttons
                self._update(request.channel_id, request.answer_ts,
                             *blocks.answer_message(request, request.answer_text or ""))
            else:
                self._update(request.channel_id, request.answer_ts, *blocks.answer_after_verdict(request))
        elif posted is Posted.CHOICES and request.answer_ts:
            self._update(request.channel_id, request.answer_ts, *blocks.choices_after_none(request))
        elif posted is Posted.TRIAGE and request.triage_channel and request.triage_ts:
            text, body = blocks.triage_message(request, self._permalink(request))
            self._update(request.triage_channel, request.triage_ts, text, body)
        elif posted is Posted.FOLLOWUP and request.followup_channel and request.followup_ts:
            self._update(request.followup_channel, request.followup_ts, *blocks.followup_after_verdict(request))

    def alert(self, channel: str, text: str) -> None:
        """Tell the admins' channel about an operational problem."""
        self._post(channel, f":warning: {text}", None, None)

    def _post(self, channel: str, text: str, body: list | None, thread_ts: str | None) -> MessageRef | None:
        try:
            response = self.client.chat_postMessage(channel=channel, text=text, blocks=body,
                                                    thread_ts=thread_ts, unfurl_links=False)
        except SlackApiError as error:
            log.error("chat.postMessage to %s failed: %s", channel, error.response.get("error"))
            return None
        return MessageRef(channel=response["channel"], ts=response["ts"])

    def _update(self, channel: str, ts: str, text: str, body: list) -> None:
        try:
            self.client.chat_update(channel=channel, ts=ts, text=text, blocks=body)
        except SlackApiError as error:
            log.error("chat.update %s/%s failed: %s", channel, ts, error.response.get("error"))

    def _permalink(self, request: RequestView) -> str | None:
        return self._link(request.channel_id, request.message_ts)

    def _link(self, channel: str | None, ts: str | None) -> str | None:
        if not channel or not ts:
            return None
        try:
            return self.client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"]
        except SlackApiError as error:
            log.warning("chat.getPermalink failed: %s", error.response.get("error"))
            return None
