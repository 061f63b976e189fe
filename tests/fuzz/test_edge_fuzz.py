"""Fuzz the Slack edge as a WSGI app: whatever arrives, the answer is 200/400/401/413 JSON, never a 500.

Unsigned or badly signed requests (random bodies, content types, timestamps, signatures, missing headers)
must be refused; correctly signed random JSON and form bodies are stored (200) or refused as malformed
(400). A stub inbox keeps most of it off the database; one property runs the real inbox on SQLite and
PostgreSQL, where a correctly signed body must never be refused with 503 for its content.
"""
from __future__ import annotations

import io
import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

from hypothesis import assume, given
from hypothesis import strategies as st

from bot.clock import SystemClock
from bot.inbox import Inbox, Stored
from handlers.edge import EVENTS_PATH, SlackEdge
from localslack.sender import sign
from storage import migrate
from storage.engine import make_engine, make_sessions
from tests.fuzz.strategies import FUZZ, SLACK_KEYS, SLACK_TYPES, fuzz, json_objects, json_values, slack_shaped

SECRET = "fuzz-signing-secret"
REFUSED = {400, 401, 413}
CONTENT_TYPES = st.sampled_from(["application/json", "application/json; charset=utf-8",
                                 "application/x-www-form-urlencoded", "text/plain", "", "multipart/form-data",
                                 "application/JSON"]) | st.text(max_size=40)
TIMESTAMPS = (st.integers(min_value=-10**30, max_value=10**30).map(str) | st.text(max_size=30)
              | st.sampled_from(["", " ", "nan", "inf", "1e9", "0x10", "١٢٣", "１７００００００００", "-0", "+1",
                                 "9" * 5000, str(int(time.time())), f" {int(time.time())} "]))
SIGNATURES = st.text(max_size=80) | st.sampled_from(["", "v0=", "v0=" + "0" * 64, "v1=abc", "v0=ü" * 3])


class StubInbox:
    """accept/kick without a database: every new key is stored, a repeated key is a Slack retry."""

    def __init__(self) -> None:
        self.keys: dict[str, int] = {}
        self.ids = itertools.count(1)
        self.kicked: list[int] = []

    def accept(self, key: str, mode: str, content_type: str | None, body: str) -> int | None:
        assert isinstance(key, str) and len(key) <= 200 and mode == "http" and isinstance(body, str)
        if key in self.keys:
            return None
        self.keys[key] = next(self.ids)
        return self.keys[key]

    def kick(self, item_id: int) -> None:
        self.kicked.append(item_id)


class NullProcessor:
    def process(self, item: Stored) -> None:
        pass

    def give_up(self, item: Stored) -> None:
        pass


def call(edge: SlackEdge, body: bytes, content_type: str | None, timestamp: str | None, signature: str | None,
         content_length: str | None = None, method: str = "POST", path: str = EVENTS_PATH) -> tuple[int, bytes]:
    """One WSGI call; returns (status, body) after checking the response is well-formed."""
    environ: dict[str, Any] = {"REQUEST_METHOD": method, "PATH_INFO": path, "wsgi.input": io.BytesIO(body),
                               "CONTENT_LENGTH": str(len(body)) if content_length is None else content_length}
    if content_type is not None:
        environ["CONTENT_TYPE"] = content_type
    if timestamp is not None:
        environ["HTTP_X_SLACK_REQUEST_TIMESTAMP"] = timestamp
    if signature is not None:
        environ["HTTP_X_SLACK_SIGNATURE"] = signature
    started: list[tuple[str, list[tuple[str, str]]]] = []
    chunks = edge.wsgi(environ, lambda status, headers, exc_info=None: started.append((status, headers)))
    payload = b"".join(chunks)
    [(status_line, headers)] = started
    status = int(status_line.split()[0])
    assert dict(headers)["Content-Length"] == str(len(payload))
    if payload:
        assert dict(headers)["Content-Type"] == "application/json"
        assert isinstance(json.loads(payload), dict)
    return status, payload


def signed(edge: SlackEdge, body: bytes, content_type: str) -> tuple[int, bytes]:
    timestamp = str(int(time.time()))
    return call(edge, body, content_type, timestamp, sign(SECRET, timestamp, body))


# --- not signed, or signed wrongly -----------------------------------------------------------------

@FUZZ
@given(body=st.binary(max_size=300) | json_objects.map(lambda o: json.dumps(o).encode()),
       content_type=st.none() | CONTENT_TYPES, timestamp=st.none() | TIMESTAMPS, signature=st.none() | SIGNATURES,
       content_length=st.none() | st.sampled_from(["", "abc", "-1", "0", "5", "1000001", "99999999999999999999",
                                                   " 12", "1e3", "١٢"]))
def test_an_unsigned_or_badly_signed_request_is_refused_never_crashes(body, content_type, timestamp, signature,
                                                                      content_length):
    inbox = StubInbox()
    status, _ = call(SlackEdge(inbox, SECRET), body, content_type, timestamp, signature, content_length)
    assert status in REFUSED
    assert inbox.keys == {}


@FUZZ
@given(body=st.binary(max_size=200), content_type=CONTENT_TYPES, timestamp=TIMESTAMPS)
def test_a_signature_over_a_strange_timestamp_is_checked_without_crashing(body, content_type, timestamp):
    """The signature matches the (strange) timestamp it came with: only the timestamp's value can refuse it."""
    try:
        signature = sign(SECRET, timestamp, body)
    except UnicodeEncodeError:  # lone surrogates cannot be signed (nor sent in a header)
        signature = "v0=" + "0" * 64
    status, _ = call(SlackEdge(StubInbox(), SECRET), body, content_type, timestamp, signature)
    assert status in REFUSED | {200}


@FUZZ
@given(body=st.binary(max_size=200), method=st.sampled_from(["GET", "PUT", "POST", "HEAD", "DELETE", ""]),
       path=st.text(max_size=30) | st.sampled_from(["/health", "/healthz", EVENTS_PATH, "/slack/events/"]))
def test_any_method_and_path_gets_a_json_answer(body, method, path):
    status, _ = call(SlackEdge(StubInbox(), SECRET), body, "application/json", None, None, method=method, path=path)
    assert status in {200, 401, 404}


def test_no_signing_secret_refuses_everything():
    body = json.dumps({"type": "event_callback", "event_id": "Ev1"}).encode()
    timestamp = str(int(time.time()))
    status, _ = call(SlackEdge(StubInbox(), None), body, "application/json", timestamp, sign(SECRET, timestamp, body))
    assert status == 401


# --- correctly signed --------------------------------------------------------------------------------

@FUZZ
@given(payload=json_values, content_type=st.sampled_from(["application/json", "application/json; charset=utf-8"]))
def test_a_signed_json_body_is_stored_or_refused_as_malformed(payload, content_type):
    inbox = StubInbox()
    status, answer = signed(SlackEdge(inbox, SECRET), json.dumps(payload).encode(), content_type)
    assert status in {200, 400}
    if not isinstance(payload, dict):
        assert status == 400
    if status == 200 and answer == b"":
        assert len(inbox.keys) == len(inbox.kicked) <= 1


@FUZZ
@given(fields=st.dictionaries(st.text(max_size=12), st.text(max_size=40), max_size=8)
       | json_values.map(lambda v: {"payload": json.dumps(v)})
       | st.text(max_size=60).map(lambda t: {"payload": t}))
def test_a_signed_form_body_is_stored_or_refused_as_malformed(fields):
    status, _ = signed(SlackEdge(StubInbox(), SECRET), urlencode(fields).encode(), "application/x-www-form-urlencoded")
    assert status in {200, 400}


@FUZZ
@given(body=st.binary(max_size=300), content_type=CONTENT_TYPES)
def test_signed_random_bytes_never_crash(body, content_type):
    status, _ = signed(SlackEdge(StubInbox(), SECRET), body, content_type)
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:  # Slack's bodies are UTF-8; slack_sdk's verifier refuses anything else
        assert status == 401
    else:
        assert status in {200, 400}


@FUZZ
@given(payload=slack_shaped)
def test_a_signed_slack_shaped_json_payload_is_stored_or_refused_as_malformed(payload):
    status, _ = signed(SlackEdge(StubInbox(), SECRET), json.dumps(payload).encode(), "application/json")
    assert status in {200, 400}


@FUZZ
@given(payload=slack_shaped)
def test_a_signed_slack_shaped_interactive_payload_is_stored_or_refused_as_malformed(payload):
    body = urlencode({"payload": json.dumps(payload)}).encode()
    status, _ = signed(SlackEdge(StubInbox(), SECRET), body, "application/x-www-form-urlencoded")
    assert status in {200, 400}


@FUZZ
@given(fields=st.fixed_dictionaries({"type": st.sampled_from(SLACK_TYPES)},
                                    optional={k: st.text(max_size=20) for k in SLACK_KEYS if k != "type"}))
def test_a_signed_slack_shaped_form_is_stored_or_refused_as_malformed(fields):
    body = urlencode(fields).encode()
    status, _ = signed(SlackEdge(StubInbox(), SECRET), body, "application/x-www-form-urlencoded")
    assert status in {200, 400}


def test_the_same_signed_event_twice_is_stored_once():
    inbox = StubInbox()
    edge = SlackEdge(inbox, SECRET)
    body = json.dumps({"type": "event_callback", "event_id": "Ev0FUZZ", "event": {"type": "message"}}).encode()
    assert signed(edge, body, "application/json") == (200, b"")
    assert signed(edge, body, "application/json") == (200, b"")
    assert list(inbox.keys) == ["event:Ev0FUZZ"] and inbox.kicked == [1]


def test_a_signed_body_is_stored_in_the_real_inbox_whatever_its_content(database_url):
    """On SQLite and PostgreSQL: a correctly signed body is never refused (503) or crashes for what it holds."""
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    intake = make_engine(database_url, timeout_seconds=1.5)
    inbox = Inbox(make_sessions(intake), make_sessions(engine), SystemClock(), workers=2)
    inbox.processor = NullProcessor()
    edge = SlackEdge(inbox, SECRET)

    @fuzz(60)
    @given(payload=json_objects, as_form=st.booleans(), raw_form=st.dictionaries(
        st.text(max_size=10), st.text(max_size=30), min_size=1, max_size=4))
    def stored(payload: dict[str, Any], as_form: bool, raw_form: dict[str, str]) -> None:
        assume(payload.get("type") != "url_verification")
        if as_form:
            body, content_type = urlencode(raw_form).encode(), "application/x-www-form-urlencoded"
        else:
            body, content_type = json.dumps(payload).encode(), "application/json"
        status, _ = signed(edge, body, content_type)
        assert status in {200, 400}, status

    try:
        stored()
    finally:
        inbox.close()
        intake.dispose()
        engine.dispose()
