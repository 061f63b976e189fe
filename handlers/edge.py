"""The way in from Slack: verify, store in the inbox, only then acknowledge; processing comes after.

HTTP (`/slack/events`) and Socket Mode envelopes take the same path. Nothing is acknowledged that
is not stored: when the database cannot take the request within the ack budget, HTTP answers 503
(and a Socket Mode envelope is left unacknowledged), so Slack retries; a retry of something already
stored is acknowledged and dropped by its key.
"""
from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs

from slack_sdk.signature import SignatureVerifier

from bot.inbox import Inbox
from handlers.action_ids import CallbackId
from handlers.escalation_blocks import transfer_submission
from handlers.i18n import tr, view_language
from handlers.forms import resolve_errors
from handlers.feedback_forms import acknowledgement, scrub_anonymous

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"
MAX_BODY = 1_000_000  # Slack's payloads are far smaller; anything bigger is not from Slack
StartResponse = Callable[..., Any]


class NotStored(Exception):
    """The request could not be stored in time; it must not be acknowledged."""


class StoreSlots:
    """At most `size` Slack requests wait on the database at once, so a stalled database never holds every
    server thread (the rest answer /health, and refuse at once what could not be stored in time anyway).

    A request finding every slot taken waits up to `patience` for one; when even the youngest store in
    progress has waited longer than that, the database is stalled and the request is refused at once.
    """

    def __init__(self, size: int = 8, patience: float = 0.2) -> None:
        self.size, self.patience = size, patience
        self._cond = threading.Condition()
        self._since: list[float] = []  # when each store in progress started (monotonic)

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold a slot while storing; raises NotStored when none frees up in time."""
        deadline = time.monotonic() + self.patience
        with self._cond:
            while len(self._since) >= self.size:
                now = time.monotonic()
                if now >= deadline or now - max(self._since) > self.patience:
                    raise NotStored("every store slot is waiting on the database")
                self._cond.wait(deadline - now)
            started = time.monotonic()
            self._since.append(started)
        try:
            yield
        finally:
            with self._cond:
                self._since.remove(started)
                self._cond.notify()


class SlackEdge:
    """Stores what Slack sends and acknowledges it; `inbox` processes it afterwards."""

    def __init__(self, inbox: Inbox, signing_secret: str | None,
                 database_ok: Callable[[], bool] = lambda: True, log_text: bool = False,
                 slots: StoreSlots | None = None) -> None:
        self.inbox, self.log_text = inbox, log_text
        self.verifier = SignatureVerifier(signing_secret) if signing_secret else None
        self.database_ok = database_ok
        self.slots = slots or StoreSlots()

    # --- HTTP -------------------------------------------------------------------------------

    def wsgi(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """The WSGI application: /slack/events, /health, and 404 for anything else."""
        path = environ.get("PATH_INFO", "")
        if path == EVENTS_PATH and environ.get("REQUEST_METHOD") == "POST":
            return self._events(environ, start_response)
        if path in ("/health", "/healthz"):
            if self.database_ok():
                return _json(start_response, "200 OK", {"status": "ok", "database": "ok"})
            return _json(start_response, "503 Service Unavailable", {"status": "degraded", "database": "unreachable"})
        return _json(start_response, "404 Not Found", {"error": "not_found", "path": path})

    def _events(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.monotonic()
        status, body, note = self._handle(environ)
        note.setdefault("kind", "-")
        log.info("slack request %s", note.pop("outcome"), extra={
            **note, "status": int(status.split()[0]), "ms": round((time.monotonic() - started) * 1000, 1)})
        return _json(start_response, status, body) if body else _empty(start_response)

    def _handle(self, environ: dict[str, Any]) -> tuple[str, dict[str, Any] | None, dict[str, Any]]:
        """(HTTP status, JSON body or None, what to log): never the body of a rejected request."""
        raw = _read_body(environ)
        if raw is None:
            return "413 Payload Too Large", {"error": "too_large"}, {"outcome": "too_large"}
        if not self._signed(environ, raw):
            return "401 Unauthorized", {"error": "invalid_signature"}, {"outcome": "bad_signature"}
        content_type = environ.get("CONTENT_TYPE") or ""
        text = raw.decode("utf-8", errors="replace")
        payload = _payload(text, content_type)
        if payload is None:
            return "400 Bad Request", {"error": "malformed_request"}, {"outcome": "malformed"}
        note = {"kind": kind_of(payload)}
        if self.log_text:
            note["text"] = text_of(payload)[:500]
        try:
            body, note["outcome"] = self.take(payload, "http", content_type, text)
        except NotStored:
            return "503 Service Unavailable", {"error": "try_again"}, {**note, "outcome": "not_stored"}
        return "200 OK", body, note

    def _signed(self, environ: dict[str, Any], raw: bytes) -> bool:
        if self.verifier is None:
            return False
        try:
            return self.verifier.is_valid(raw, environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", ""),
                                          environ.get("HTTP_X_SLACK_SIGNATURE", ""))
        except (TypeError, ValueError):  # a malformed timestamp is a bad signature, not a crash
            return False

    # --- Socket Mode ------------------------------------------------------------------------

    def envelope(self, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Store one Socket Mode payload; returns the ack payload (raises NotStored: do not ack)."""
        started = time.monotonic()
        try:
            body, outcome = self.take(payload, "socket_mode", None, json.dumps(payload))
        except NotStored:
            outcome, body = "not_stored", None
            raise
        finally:
            log.info("slack envelope %s", outcome, extra={"kind": kind_of(payload),
                                                          "ms": round((time.monotonic() - started) * 1000, 1)})
        return body

    # --- shared -----------------------------------------------------------------------------

    def take(self, payload: dict[str, Any], mode: str, content_type: str | None,
             body: str) -> tuple[dict[str, Any] | None, str]:
        """Answer at once what needs no storing; otherwise store. Returns the ack body and what happened."""
        if payload.get("type") == "url_verification":
            return {"challenge": payload.get("challenge", "")}, "url_verification"
        if payload.get("ssl_check"):
            return None, "ssl_check"
        refusal = immediate_errors(payload)
        if refusal is not None:
            return refusal, "form_errors"
        ack = acknowledgement(payload)  # from the form as sent: the thank-you is in its language
        payload, body = scrub_anonymous(payload, body, mode)  # anonymous feedback: its author is never stored
        try:
            with self.slots.slot():
                item_id = self.inbox.accept(dedupe_key(payload, body), mode, content_type, body)
        except NotStored:
            log.warning("inbox: the database is stalled; a Slack request was refused at once")
            raise
        except Exception as error:  # a stalled or missing database: let Slack retry
            log.warning("inbox: could not store a Slack request in time: %s", type(error).__name__)
            raise NotStored from error
        if item_id is None:
            return None, "duplicate"
        self.inbox.kick(item_id)
        return ack, f"stored #{item_id}"


def kind_of(payload: dict[str, Any]) -> str:
    """A short name for what Slack sent, for the log: event type, interaction type, command."""
    if payload.get("type") == "event_callback":
        event = _mapping(payload.get("event"))
        return "event:" + str(event.get("type"))[:40] + (f"/{event['subtype']}"[:40] if event.get("subtype") else "")
    if payload.get("command"):
        return "command:" + str(payload["command"])[:40]
    if payload.get("type") == "block_actions":
        actions = payload.get("actions")
        first = actions[0] if isinstance(actions, list) and actions else None
        return "action:" + str(_mapping(first).get("action_id"))[:60]
    if payload.get("type") in ("view_submission", "view_closed"):
        return f"{payload['type']}:" + str(_mapping(payload.get("view")).get("callback_id"))[:60]
    return str(payload.get("type") or "unknown")[:40]


def text_of(payload: dict[str, Any]) -> str:
    """The person's text in a payload (only logged when LOG_TEXT=1)."""
    return str(_mapping(payload.get("event")).get("text") or payload.get("text") or "")


def _mapping(value: Any) -> dict[str, Any]:
    """`value` if it is a JSON object, else an empty one: a signed body may still hold anything anywhere."""
    return value if isinstance(value, dict) else {}


def dedupe_key(payload: dict[str, Any], body: str) -> str:
    """Slack's retries of one event (or one click) map to one key."""
    if payload.get("event_id"):
        return f"event:{payload['event_id']}"[:128]
    if payload.get("trigger_id"):
        return f"trigger:{payload['trigger_id']}"[:128]
    return "body:" + hashlib.sha256(body.encode()).hexdigest()


def immediate_errors(payload: dict[str, Any]) -> dict[str, Any] | None:
    """A modal submission that is incomplete is answered in the ack (Slack shows the error in the form)."""
    if payload.get("type") != "view_submission":
        return None
    view = _mapping(payload.get("view"))
    if view.get("callback_id") == CallbackId.TRANSFER:
        try:
            request_id, department, _note = transfer_submission(view)
        except (AttributeError, TypeError, ValueError):  # not shaped as Slack shapes a submitted modal
            request_id, department = None, None
        if request_id is None or not department:
            return {"response_action": "errors",
                    "errors": {"department": tr(view_language(view), "Please choose a department.")}}
    if view.get("callback_id") == CallbackId.RESOLVE:
        return resolve_errors(view)
    return None


def _payload(text: str, content_type: str) -> dict[str, Any] | None:
    try:
        if content_type.startswith("application/json"):
            data = json.loads(text)
            return data if isinstance(data, dict) else None
        form = {key: values[-1] for key, values in parse_qs(text, keep_blank_values=True).items()}
        if "payload" in form:
            data = json.loads(form["payload"])
            return data if isinstance(data, dict) else None
        return form if form else None
    except (ValueError, RecursionError):
        return None


def _read_body(environ: dict[str, Any]) -> bytes | None:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY:
        return None
    return environ["wsgi.input"].read(length) if length > 0 else b""


def _json(start_response: StartResponse, status: str, body: dict[str, Any]) -> list[bytes]:
    payload = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return [payload]


def _empty(start_response: StartResponse) -> list[bytes]:
    start_response("200 OK", [("Content-Length", "0")])
    return [b""]

