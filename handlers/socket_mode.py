"""Socket Mode: the same Bolt app fed over Slack's WebSocket instead of HTTP (no public URL needed)."""
from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.socket_mode.internals import run_bolt_app
from slack_bolt.response import BoltResponse
from slack_sdk.socket_mode.request import SocketModeRequest


def serve_socket_mode(app: App, app_token: str) -> None:
    """Connect to Slack with an app-level token (xapp-…) and serve until interrupted."""
    SocketModeHandler(app, app_token).start()


def dispatch_envelope(app: App, envelope: dict[str, Any]) -> BoltResponse:
    """Run one Socket Mode envelope through the app exactly as the Socket Mode handler does."""
    request = SocketModeRequest.from_dict(envelope)
    if request is None:
        raise ValueError(f"not a Socket Mode envelope: {sorted(envelope)}")
    return run_bolt_app(app, request)
