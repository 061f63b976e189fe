"""The Notifier the domain talks to, implemented with the Slack Web API."""
from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.notifier import MessageRef, Notice, Posted
from bot.records import RequestView
from handlers import blocks

log = logging.getLogger(__name__)


class SlackNotifier:
    """Posts and edits the bot's messages; Slack errors are logged and reported as None."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def send_answer(self, request: RequestView, answer: str) -> MessageRef | None:
        """Reply with the KB answer and the verdict buttons."""
        text, body = blocks.answer_message(request, answer)
        return self._post(request.channel_id, text, body, request.reply_thread_ts)

    def send_escalation_notice(self, request: RequestView) -> MessageRef | None:
        """Tell the requester who has the request."""
        return self._post(request.channel_id, blocks.escalation_notice(request), None, request.reply_thread_ts)

    def post_triage(self, request: RequestView) -> MessageRef | None:
        """Post the escalation in the triage channel."""
        if not request.triage_channel:
            log.error("department %s has no triage channel", request.department_id)
            return None
        text, body = blocks.triage_message(request, self._permalink(request))
        return self._post(request.triage_channel, text, body, None)

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
            self._update(request.channel_id, request.answer_ts, *blocks.answer_after_verdict(request))
        elif posted is Posted.TRIAGE and request.triage_channel and request.triage_ts:
            text, body = blocks.triage_message(request, self._permalink(request))
            self._update(request.triage_channel, request.triage_ts, text, body)
        elif posted is Posted.FOLLOWUP and request.followup_channel and request.followup_ts:
            self._update(request.followup_channel, request.followup_ts, *blocks.followup_after_verdict(request))

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
        try:
            return self.client.chat_getPermalink(channel=request.channel_id,
                                                 message_ts=request.message_ts)["permalink"]
        except SlackApiError as error:
            log.warning("chat.getPermalink failed: %s", error.response.get("error"))
            return None
