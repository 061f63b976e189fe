"""Replies that go with no state change (refusals, prompts, command answers), sent through the outbox."""
from __future__ import annotations

from typing import Any

from bot.outbox import Outbox, SlackWrite


def respond(outbox: Outbox, response_url: str | None, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
    """An ephemeral reply to a click or a command, through its response_url."""
    if not response_url:
        return
    args: dict[str, Any] = {"url": response_url, "text": text, "response_type": "ephemeral",
                            "replace_original": False}
    if blocks:
        args["blocks"] = blocks
    outbox.send(SlackWrite("response_url", args))


def ephemeral(outbox: Outbox, channel: str, user: str, text: str) -> None:
    """A message only `user` sees, in `channel`."""
    outbox.send(SlackWrite("chat.postEphemeral", {"channel": channel, "user": user, "text": text}))


def post(outbox: Outbox, channel: str, text: str, thread_ts: str | None = None) -> None:
    """A plain message in a channel (or a thread of it)."""
    args: dict[str, Any] = {"channel": channel, "text": text}
    if thread_ts:
        args["thread_ts"] = thread_ts
    outbox.send(SlackWrite("chat.postMessage", args))


def replace(outbox: Outbox, response_url: str | None, text: str) -> None:
    """Replace the message whose button was clicked (e.g. a question that has been answered)."""
    if response_url:
        outbox.send(SlackWrite("response_url", {"url": response_url, "text": text, "replace_original": True}))
