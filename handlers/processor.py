"""Processing a stored Slack request: run it through the Bolt app, as if it had just arrived."""
from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import App
from slack_bolt.request import BoltRequest

from bot.inbox import Stored
from bot.outbox import Outbox, SlackWrite
from bot.people import choose_language
from handlers.i18n import N_, tr

log = logging.getLogger(__name__)
SORRY = N_("Sorry, I couldn't take your request just now because of a problem on my side. "
           "Please send it again in a minute; if it keeps happening, tell the IT team.")


class ProcessingFailed(Exception):
    """A listener raised; Bolt turned it into a 5xx response."""


class BoltProcessor:
    """The inbox's Processor: dispatches stored requests to the Bolt listeners."""

    def __init__(self, bolt: App, outbox: Outbox, language: str = "en") -> None:
        self.bolt, self.outbox = bolt, outbox
        self.language = language  # the default; the apology is written in the message's own language if it shows

    def process(self, item: Stored) -> None:
        """Run the listeners for one stored request; raise if any of them failed."""
        if item.mode == "socket_mode":
            request = BoltRequest(body=json.loads(item.body), mode="socket_mode")
        else:
            request = BoltRequest(body=item.body, headers={"content-type": [item.content_type or ""]})
        response = self.bolt.dispatch(request)
        if response.status >= 500:
            raise ProcessingFailed(f"listener failed ({response.status})")

    def give_up(self, item: Stored) -> None:
        """A question that could not be taken: the employee is asked to send it again, never left waiting."""
        target = apology_target(_payload(item))
        if target is None:
            return
        channel, thread_ts = target
        text = (_payload(item).get("event") or {}).get("text") or ""
        args: dict[str, Any] = {"channel": channel, "text": tr(choose_language(None, str(text), self.language), SORRY)}
        if thread_ts:
            args["thread_ts"] = thread_ts
        try:
            self.outbox.send(SlackWrite("chat.postMessage", args))
        except Exception:  # the database is gone too: nothing more can be done here
            log.exception("could not queue the apology for inbox item %s", item.id)


def apology_target(payload: dict[str, Any]) -> tuple[str, str | None] | None:
    """Where to apologise for a message event that could not be taken: (channel, thread or None)."""
    event = payload.get("event") or {}
    if payload.get("type") != "event_callback" or event.get("type") not in ("message", "app_mention"):
        return None
    if event.get("subtype") or event.get("bot_id") or not event.get("channel"):
        return None
    if event.get("channel_type") == "im":
        return event["channel"], None
    return event["channel"], event.get("thread_ts") or event.get("ts")


def _payload(item: Stored) -> dict[str, Any]:
    try:
        if item.mode == "socket_mode" or (item.content_type or "").startswith("application/json"):
            return json.loads(item.body)
    except ValueError:
        pass
    return {}
