"""Sends one outbox delivery with the Slack Web API; classifies failures for the dispatcher.

Every posted message carries the delivery id in its metadata, so a retry after an ambiguous failure
(a timeout, a reset connection) first looks for the message and only posts when it is not there.
A 429 with a short Retry-After is retried at once by slack_sdk's handler; a longer one goes back
to the outbox row with its due time.
"""
from __future__ import annotations

import json
import logging
import re
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.webhook import WebhookClient

from bot.delivery import DeliveryError, Outgoing, Sent
from bot.outbox import PERMALINK, PERMALINK_AT
from handlers.digest_blocks import UPLOAD

log = logging.getLogger(__name__)
METADATA_TYPE = "helploop_delivery"
_LINKS_AT = re.compile(re.escape(PERMALINK_AT).replace("%s", "([A-Za-z0-9]+)", 1).replace("%s", r"([0-9.]+)", 1))
INLINE_RETRY_AFTER = 3  # seconds: a longer Retry-After is honoured by the outbox row instead of a sleep
LOOKBACK = 200          # messages searched for an earlier try of an ambiguous delivery


class ShortRateLimitRetry(RateLimitErrorRetryHandler):
    """Retries a 429 once, in place, when Slack asks to wait only a moment."""

    def __init__(self) -> None:
        super().__init__(max_retry_count=1)

    def _can_retry(self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
                   error: Exception | None = None) -> bool:
        return super()._can_retry(state=state, request=request, response=response, error=error) \
            and _retry_after(response) <= INLINE_RETRY_AFTER


def web_client(token: str | None, base_url: str, timeout: float) -> WebClient:
    """A WebClient that never retries blindly (a blind retry of a post that landed duplicates it)."""
    return WebClient(token=token, base_url=base_url, timeout=int(max(1, timeout)),
                     retry_handlers=[ShortRateLimitRetry()])


class SlackTransport:
    """The dispatcher's Transport over the Web API (and response_url webhooks)."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def send(self, outgoing: Outgoing) -> Sent:
        """Perform the write; DeliveryError tells the dispatcher how to retry."""
        args = dict(outgoing.args)
        if outgoing.link is not None or _mentions_permalink(args):
            args = _replace(args, PERMALINK, self._permalink(outgoing.link))
        try:
            return self._send(outgoing, self._links_at(args))
        except SlackApiError as error:
            raise _classified(error) from None
        except (SlackRequestError, OSError, TimeoutError) as error:  # the write may have landed
            raise DeliveryError(f"{type(error).__name__}: {error}"[:200], ambiguous=True) from None

    def _send(self, outgoing: Outgoing, args: dict[str, Any]) -> Sent:
        method = outgoing.method
        if method == "chat.postMessage":
            if outgoing.look_first and (found := self._find(outgoing.id, args)) is not None:
                log.info("delivery %s had landed before; not posting again", outgoing.id)
                return found
            args["metadata"] = {"event_type": METADATA_TYPE, "event_payload": {"delivery_id": outgoing.id}}
            response = self.client.chat_postMessage(**args)
            return Sent(response["channel"], response["ts"])
        if method == UPLOAD:
            return self._upload(outgoing, args)
        if method in ("chat.update", "chat.delete"):
            channel, ts = outgoing.target or (args.pop("channel", None), args.pop("ts", None))
            self.client.api_call(method, json={**args, "channel": channel, "ts": ts})
            return Sent(channel, ts)
        if method == "response_url":
            url = args.pop("url")
            # Like the WebClient: a short Retry-After is waited out in place, a longer one by the outbox row.
            response = WebhookClient(url, timeout=self.client.timeout,
                                     retry_handlers=[ShortRateLimitRetry()]).send_dict(args)
            if response.status_code == 429:
                raise DeliveryError("ratelimited", retry_after=float(_retry_after(response)))
            if response.status_code >= 300:
                raise DeliveryError(f"response_url answered {response.status_code}")
            return Sent()
        response = self.client.api_call(method, json=args)  # chat.postEphemeral, views.publish, reactions.add
        return Sent(response.get("channel"), response.get("ts") or response.get("message_ts"))

    def _upload(self, outgoing: Outgoing, args: dict[str, Any]) -> Sent:
        """Draw the chart now (the row carries its data, not the image) and upload it: files.getUploadURLExternal,
        POST the bytes, files.completeUploadExternal. The file name carries the delivery id, so a retry after a
        try that may have landed looks for that name among the channel's files before uploading again."""
        channel, filename = args["channel"], f"{args['name']}-{outgoing.id}.png"
        if outgoing.look_first and self._file_shared(channel, filename):
            log.info("delivery %s had uploaded its file before; not uploading again", outgoing.id)
            return Sent(channel)
        from handlers.digest_chart import render_chart  # matplotlib is loaded only by a process that sends a chart
        self.client.files_upload_v2(channel=channel, filename=filename, content=render_chart(args["chart"]),
                                    title=args.get("title"), alt_txt=args.get("alt_txt"))
        return Sent(channel)

    def _file_shared(self, channel: str, filename: str) -> bool:
        response = self.client.files_list(channel=channel, types="images", count=LOOKBACK)
        return any(f.get("name") == filename for f in response.get("files") or [])

    def _find(self, delivery_id: int, args: dict[str, Any]) -> Sent | None:
        channel = self._channel_id(args["channel"])
        if args.get("thread_ts"):
            response = self.client.conversations_replies(channel=channel, ts=args["thread_ts"], limit=LOOKBACK,
                                                         include_all_metadata=True)
        else:
            response = self.client.conversations_history(channel=channel, limit=LOOKBACK,
                                                         include_all_metadata=True)
        for message in response.get("messages") or []:
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if (message.get("metadata") or {}).get("event_type") == METADATA_TYPE \
                    and payload.get("delivery_id") == delivery_id:
                return Sent(channel, message["ts"])
        return None

    def _channel_id(self, channel: str) -> str:
        # A post "to a user" lands in the DM with them; history wants that DM's channel id.
        if channel[:1] in ("U", "W"):
            return self.client.conversations_open(users=channel)["channel"]["id"]
        return channel

    def _links_at(self, args: dict[str, Any]) -> dict[str, Any]:
        """Each permalink_at(channel, ts) placeholder replaced by that message's permalink."""
        found = dict.fromkeys(_LINKS_AT.findall(json.dumps(args)))
        for channel, ts in found:
            args = _replace(args, PERMALINK_AT % (channel, ts), self._permalink((channel, ts)))
        return args

    def _permalink(self, link: tuple[str, str] | None) -> str:
        if link is None:
            return "https://slack.com/"
        try:
            return self.client.chat_getPermalink(channel=link[0], message_ts=link[1])["permalink"]
        except SlackApiError as error:
            log.warning("chat.getPermalink failed: %s", error.response.get("error"))
            return f"https://slack.com/app_redirect?channel={link[0]}"


def _classified(error: SlackApiError) -> DeliveryError:
    status = getattr(error.response, "status_code", 200)
    code = error.response.get("error") if isinstance(error.response.data, dict) else None
    reason = code or f"http_{status}"
    if status == 429:
        return DeliveryError("ratelimited", retry_after=float(_retry_after(error.response)))
    return DeliveryError(reason, ambiguous=status >= 500)


def _retry_after(response: Any) -> int:
    headers = getattr(response, "headers", None) or {}
    for name, value in headers.items():
        if name.lower() == "retry-after":
            value = value[0] if isinstance(value, list | tuple) else value
            try:
                return int(value)
            except (TypeError, ValueError):
                return 1
    return 1


def _mentions_permalink(args: dict[str, Any]) -> bool:
    return PERMALINK in json.dumps(args)


def _replace(args: dict[str, Any], placeholder: str, value: str) -> dict[str, Any]:
    return json.loads(json.dumps(args, ensure_ascii=False).replace(placeholder, value.replace('"', "%22")))
