"""Feed one Socket Mode envelope through the app's edge exactly as the Socket Mode client listener does."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from handlers.edge import NotStored
from wiring.app import Helploop


@dataclass(frozen=True)
class EnvelopeAck:
    """What went back over the socket: 200 with the ack payload, or 503 when nothing was acknowledged."""

    status: int
    payload: dict[str, Any] | None


def dispatch_envelope(app: Helploop, envelope: dict[str, Any]) -> EnvelopeAck:
    """Store the envelope's payload and acknowledge it, or report that it was not acknowledged."""
    if "envelope_id" not in envelope or "payload" not in envelope:
        raise ValueError(f"not a Socket Mode envelope: {sorted(envelope)}")
    try:
        return EnvelopeAck(200, app.edge.envelope(envelope["payload"]))
    except NotStored:
        return EnvelopeAck(503, None)
