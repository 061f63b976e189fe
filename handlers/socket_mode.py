"""Socket Mode: envelopes from Slack's WebSocket take the same way in as HTTP (stored, then acked)."""
from __future__ import annotations

import logging
import threading

from slack_sdk import WebClient
from slack_sdk.socket_mode import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from handlers.edge import NotStored, SlackEdge

log = logging.getLogger(__name__)


def serve_socket_mode(edge: SlackEdge, app_token: str, client: WebClient, stop: threading.Event) -> None:
    """Connect with an app-level token (xapp-…) and serve until `stop` is set."""
    socket = SocketModeClient(app_token=app_token, web_client=client)

    def on_request(socket_client: SocketModeClient, request: SocketModeRequest) -> None:
        try:
            ack = edge.envelope(request.payload)
        except NotStored:
            return  # not acknowledged: Slack sends it again
        socket_client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id, payload=ack))

    socket.socket_mode_request_listeners.append(on_request)
    socket.connect()
    try:
        stop.wait()
    finally:
        socket.close()
