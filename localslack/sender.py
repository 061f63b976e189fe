"""Sends Slack-signed requests into the app over real HTTP, shaped as Slack sends them (stdlib only)."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


@dataclass
class SimResponse:
    """The app's HTTP answer; `ts`/`event_id`/`payload` describe what was sent."""

    status: int
    body: str
    headers: dict[str, str]
    elapsed: float
    ts: str | None = None
    event_id: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


def sign(signing_secret: str, timestamp: str, body: bytes) -> str:
    """Slack's request signature: v0=HMAC-SHA256(secret, 'v0:{timestamp}:{body}')."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


class SlackSim:
    """Builds realistic Events API / interactivity / slash command requests and POSTs them signed."""

    def __init__(self, app_url: str, signing_secret: str, team_id: str = "T0HELP",
                 clock: Callable[[], float] = time.time, bot_user_id: str = "U0HLBOT", api_app_id: str = "A0HELP",
                 response_urls: Callable[[str], str] | None = None, timeout: float = 10.0) -> None:
        self.app_url, self.signing_secret, self.team_id, self.clock = app_url, signing_secret, team_id, clock
        self.bot_user_id, self.api_app_id, self.timeout = bot_user_id, api_app_id, timeout
        self.response_urls = response_urls
        self.token = "legacy-verification-token"
        self._n = itertools.count(1)
        self._last_ts = 0.0

    # --- ids ----------------------------------------------------------------------------------
    def new_ts(self) -> str:
        """A unique, increasing Slack-style ts based on the clock."""
        self._last_ts = max(round(self.clock(), 6), round(self._last_ts + 0.000001, 6))
        return f"{self._last_ts:.6f}"

    def _response_url(self, kind: str) -> str:
        n = next(self._n)
        if self.response_urls is not None:
            return self.response_urls(f"{kind}-{n}")
        return f"https://hooks.slack.com/{kind}/{self.team_id}/{n}/fake{n:08d}"

    def _trigger_id(self) -> str:
        return f"{next(self._n)}.{self.team_id[1:]}.{hashlib.sha256(str(self.clock()).encode()).hexdigest()[:32]}"

    def _user(self, user: str) -> dict[str, Any]:
        return {"id": user, "username": user.lower(), "name": user.lower(), "team_id": self.team_id}

    def _team(self) -> dict[str, Any]:
        return {"id": self.team_id, "domain": "example"}

    @staticmethod
    def _channel(channel: str) -> dict[str, str]:
        return {"id": channel, "name": "directmessage" if channel.startswith("D") else channel.lower()}

    # --- payload builders ---------------------------------------------------------------------
    def envelope(self, event: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
        """Wrap an event in an Events API `event_callback` envelope."""
        return {"token": self.token, "team_id": self.team_id, "api_app_id": self.api_app_id, "event": event,
                "type": "event_callback", "event_id": event_id or f"Ev0HL{next(self._n):08d}",
                "event_time": int(self.clock()), "is_ext_shared_channel": False,
                "authorizations": [{"enterprise_id": None, "team_id": self.team_id, "user_id": self.bot_user_id,
                                    "is_bot": True, "is_enterprise_install": False}]}

    def message_payload(self, user: str | None, text: str, channel: str, channel_type: str = "im",
                        ts: str | None = None, thread_ts: str | None = None, subtype: str | None = None,
                        bot_id: str | None = None, event_id: str | None = None) -> dict[str, Any]:
        """An event_callback envelope carrying a `message` event."""
        ts = ts or self.new_ts()
        event: dict[str, Any] = {"type": "message", "channel": channel, "text": text, "ts": ts, "event_ts": ts,
                                 "channel_type": channel_type, "team": self.team_id}
        if user is not None:
            event["user"] = user
        if subtype:
            event["subtype"] = subtype
        if bot_id:
            event["bot_id"] = bot_id
        elif subtype is None:
            event["client_msg_id"] = f"00000000-0000-4000-8000-{next(self._n):012d}"
        if thread_ts:
            event["thread_ts"] = thread_ts
        return self.envelope(event, event_id)

    def reaction_added_payload(self, user: str, reaction: str, channel: str, message_ts: str,
                               item_user: str | None = None, event_id: str | None = None) -> dict[str, Any]:
        """An event_callback envelope carrying a `reaction_added` event on a message."""
        now = self.new_ts()
        event: dict[str, Any] = {"type": "reaction_added", "user": user, "reaction": reaction,
                                 "item": {"type": "message", "channel": channel, "ts": message_ts},
                                 "event_ts": now}
        if item_user:
            event["item_user"] = item_user
        return self.envelope(event, event_id)

    def app_mention_payload(self, user: str, text: str, channel: str, ts: str | None = None,
                            thread_ts: str | None = None, event_id: str | None = None) -> dict[str, Any]:
        """An event_callback envelope carrying an `app_mention` event (text gets the bot mention)."""
        mention = f"<@{self.bot_user_id}>"
        ts = ts or self.new_ts()
        event: dict[str, Any] = {"type": "app_mention", "user": user, "channel": channel, "ts": ts, "event_ts": ts,
                                 "text": text if mention in text else f"{mention} {text}", "team": self.team_id,
                                 "client_msg_id": f"00000000-0000-4000-8000-{next(self._n):012d}"}
        if thread_ts:
            event["thread_ts"] = thread_ts
        return self.envelope(event, event_id)

    def block_action_payload(self, user: str, action_id: str, value: str, channel: str | None, message_ts: str | None,
                             message: dict[str, Any] | None = None, response_url: str | None = None,
                             container: dict[str, Any] | None = None, block_id: str = "actions",
                             view: dict[str, Any] | None = None) -> dict[str, Any]:
        """A `block_actions` payload for a button click in a message (or a view, via container/view)."""
        container = container or {"type": "message", "message_ts": message_ts, "channel_id": channel,
                                   "is_ephemeral": False}
        p: dict[str, Any] = {
            "type": "block_actions", "user": self._user(user), "api_app_id": self.api_app_id, "token": self.token,
            "container": container, "trigger_id": self._trigger_id(), "team": self._team(),
            "enterprise": None, "is_enterprise_install": False, "state": {"values": {}},
            "actions": [{"action_id": action_id, "block_id": block_id, "value": value, "type": "button",
                         "text": {"type": "plain_text", "text": value, "emoji": True},
                         "action_ts": f"{self.clock():.6f}"}]}
        if container.get("type") == "view":
            p["view"] = view or {"id": container.get("view_id"), "type": "modal", "state": {"values": {}}}
            return p
        p["channel"] = self._channel(channel or "")
        p["message"] = message or {"type": "message", "ts": message_ts, "text": "", "user": self.bot_user_id,
                                   "bot_id": "B" + self.bot_user_id[1:], "team": self.team_id}
        p["response_url"] = response_url or self._response_url("actions")
        return p

    def slash_command_payload(self, user: str, command: str, text: str, channel: str,
                              response_url: str | None = None) -> dict[str, str]:
        """The form fields of a slash command invocation."""
        return {"token": self.token, "team_id": self.team_id, "team_domain": "example", "channel_id": channel,
                "channel_name": self._channel(channel)["name"], "user_id": user, "user_name": user.lower(),
                "command": command, "text": text, "api_app_id": self.api_app_id, "is_enterprise_install": "false",
                "response_url": response_url or self._response_url("commands"), "trigger_id": self._trigger_id()}

    def view_submission_payload(self, user: str, callback_id: str, values: dict[str, dict[str, Any]],
                                private_metadata: str = "") -> dict[str, Any]:
        """A modal's `view_submission`; `values` is state.values: {block_id: {action_id: {type, ...}}}."""
        return {"type": "view_submission", "team": self._team(), "user": self._user(user),
                "api_app_id": self.api_app_id, "token": self.token, "trigger_id": self._trigger_id(),
                "is_enterprise_install": False, "enterprise": None, "response_urls": [],
                "view": {"id": f"V{next(self._n):08d}", "type": "modal", "callback_id": callback_id,
                         "private_metadata": private_metadata, "team_id": self.team_id,
                         "app_id": self.api_app_id, "bot_id": "B" + self.bot_user_id[1:],
                         "title": {"type": "plain_text", "text": "helploop"}, "blocks": [],
                         "state": {"values": values}, "hash": "1700000000.abcdef"}}

    def shortcut_payload(self, user: str, callback_id: str) -> dict[str, Any]:
        """A global `shortcut` payload."""
        return {"type": "shortcut", "token": self.token, "action_ts": f"{self.clock():.6f}", "team": self._team(),
                "user": self._user(user), "is_enterprise_install": False, "enterprise": None,
                "callback_id": callback_id, "trigger_id": self._trigger_id()}

    def message_shortcut_payload(self, user: str, callback_id: str, channel: str, message_ts: str,
                                 message: dict[str, Any] | None = None,
                                 response_url: str | None = None) -> dict[str, Any]:
        """A `message_action` payload (message shortcut) for the given message."""
        return {**self.shortcut_payload(user, callback_id), "type": "message_action",
                "channel": self._channel(channel), "message_ts": message_ts,
                "message": message or {"type": "message", "ts": message_ts, "text": "", "user": user},
                "response_url": response_url or self._response_url("actions")}

    def socket_mode_envelope(self, kind: str, payload: dict[str, Any], retry_attempt: int = 0,
                             retry_reason: str = "", envelope_id: str | None = None) -> dict[str, Any]:
        """The dict a Socket Mode envelope would hold (retry fields only on events_api, as Slack does)."""
        if kind not in ("events_api", "interactive", "slash_commands"):
            raise ValueError(f"unknown Socket Mode envelope type {kind!r}")
        env: dict[str, Any] = {"envelope_id": envelope_id or f"0000{next(self._n):08d}-env", "type": kind,
                               "payload": payload, "accepts_response_payload": kind != "events_api"}
        if kind == "events_api":
            env.update(retry_attempt=retry_attempt, retry_reason=retry_reason)
        return env

    # --- senders ------------------------------------------------------------------------------
    def message(self, user: str | None, text: str, channel: str, channel_type: str = "im", ts: str | None = None,
                thread_ts: str | None = None, subtype: str | None = None, bot_id: str | None = None,
                event_id: str | None = None, retry_num: int | None = None,
                retry_reason: str | None = None) -> SimResponse:
        """Deliver a `message` event; the response carries the ts/event_id used (for replays)."""
        p = self.message_payload(user, text, channel, channel_type, ts, thread_ts, subtype, bot_id, event_id)
        return self._event(p, retry_num, retry_reason)

    def message_changed(self, user: str, channel: str, ts: str, text: str, channel_type: str = "im",
                        thread_ts: str | None = None) -> SimResponse:
        """A person edited their message `ts`: Slack's `message_changed` event."""
        message: dict[str, Any] = {"type": "message", "user": user, "text": text, "ts": ts,
                                   "edited": {"user": user, "ts": self.new_ts()}}
        if thread_ts:
            message["thread_ts"] = thread_ts
        event = {"type": "message", "subtype": "message_changed", "channel": channel, "channel_type": channel_type,
                 "hidden": True, "message": message, "previous_message": {**message, "text": "(before)"},
                 "ts": self.new_ts(), "event_ts": self.new_ts()}
        return self._event(self.envelope(event), None, None)

    def message_deleted(self, channel: str, ts: str, channel_type: str = "im") -> SimResponse:
        """A message `ts` was deleted: Slack's `message_deleted` event."""
        event = {"type": "message", "subtype": "message_deleted", "channel": channel, "channel_type": channel_type,
                 "hidden": True, "deleted_ts": ts, "ts": self.new_ts(), "event_ts": self.new_ts()}
        return self._event(self.envelope(event), None, None)

    def app_mention(self, user: str, text: str, channel: str, ts: str | None = None, thread_ts: str | None = None,
                    event_id: str | None = None, retry_num: int | None = None,
                    retry_reason: str | None = None) -> SimResponse:
        """Deliver an `app_mention` event."""
        return self._event(self.app_mention_payload(user, text, channel, ts, thread_ts, event_id),
                           retry_num, retry_reason)

    def reaction_added(self, user: str, reaction: str, channel: str, message_ts: str,
                       item_user: str | None = None) -> SimResponse:
        """Deliver a `reaction_added` event (someone added an emoji to a message)."""
        return self._event(self.reaction_added_payload(user, reaction, channel, message_ts, item_user), None, None)

    def event(self, payload: dict[str, Any], retry_num: int | None = None,
              retry_reason: str | None = None) -> SimResponse:
        """Deliver any prepared event_callback envelope."""
        return self._event(payload, retry_num, retry_reason)

    def block_action(self, user: str, action_id: str, value: str, channel: str | None, message_ts: str | None,
                     message: dict[str, Any] | None = None, response_url: str | None = None,
                     container: dict[str, Any] | None = None, block_id: str = "actions") -> SimResponse:
        """Click a button: POST form-encoded `payload=<json>`."""
        p = self.block_action_payload(user, action_id, value, channel, message_ts, message, response_url,
                                      container, block_id)
        return self._interactive(p)

    def slash_command(self, user: str, command: str, text: str, channel: str,
                      response_url: str | None = None) -> SimResponse:
        """Invoke a slash command (form-encoded fields)."""
        p = self.slash_command_payload(user, command, text, channel, response_url)
        return self._with(self.raw(urlencode(p).encode(), FORM), payload=p)

    def view_submission(self, user: str, callback_id: str, values: dict[str, dict[str, Any]],
                        private_metadata: str = "") -> SimResponse:
        """Submit a modal (form-encoded `payload=<json>`)."""
        return self._interactive(self.view_submission_payload(user, callback_id, values, private_metadata))

    def shortcut(self, user: str, callback_id: str) -> SimResponse:
        """Trigger a global shortcut."""
        return self._interactive(self.shortcut_payload(user, callback_id))

    def message_shortcut(self, user: str, callback_id: str, channel: str, message_ts: str,
                         message: dict[str, Any] | None = None, response_url: str | None = None) -> SimResponse:
        """Trigger a message shortcut."""
        return self._interactive(self.message_shortcut_payload(user, callback_id, channel, message_ts, message,
                                                               response_url))

    def url_verification(self, challenge: str) -> SimResponse:
        """Send the Events API URL verification handshake."""
        p = {"token": self.token, "challenge": challenge, "type": "url_verification"}
        return self._with(self.raw(json.dumps(p).encode(), JSON), payload=p)

    def raw(self, body: bytes, content_type: str, headers: dict[str, str] | None = None,
            timestamp: str | int | None = None, signature: str | None = None) -> SimResponse:
        """POST `body` signed (override timestamp/signature to test rejection)."""
        ts = str(int(self.clock())) if timestamp is None else str(timestamp)
        all_headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts,
                       "X-Slack-Signature": signature if signature is not None else sign(self.signing_secret, ts, body),
                       "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)", **(headers or {})}
        req = urllib.request.Request(self.app_url, data=body, headers=all_headers, method="POST")
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as r:
                status, text, hdrs = r.status, r.read().decode(), dict(r.headers.items())
        except urllib.error.HTTPError as e:
            status, text, hdrs = e.code, e.read().decode(), dict(e.headers.items())
        return SimResponse(status, text, hdrs, time.perf_counter() - start)

    # --- internals ----------------------------------------------------------------------------
    def _event(self, p: dict[str, Any], retry_num: int | None, retry_reason: str | None) -> SimResponse:
        headers = {}
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
        resp = self.raw(json.dumps(p).encode(), JSON, headers)
        return self._with(resp, ts=p["event"].get("ts"), event_id=p["event_id"], payload=p)

    def _interactive(self, p: dict[str, Any]) -> SimResponse:
        return self._with(self.raw(urlencode({"payload": json.dumps(p)}).encode(), FORM), payload=p)

    @staticmethod
    def _with(resp: SimResponse, **extra: Any) -> SimResponse:
        for k, v in extra.items():
            setattr(resp, k, v)
        return resp
