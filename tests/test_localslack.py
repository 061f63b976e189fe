"""LocalSlack (fake Web API) and SlackSim (signed requests into Bolt) against the real slack_sdk / slack_bolt."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from slack_bolt import App
from slack_bolt.adapter.socket_mode.internals import run_bolt_app
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler, ServerErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode.request import SocketModeRequest

from localslack.webapi import LocalSlack
from localslack.sender import SlackSim, sign

SECRET = "test-signing-secret"
BLOCKS = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "New request from <@U0HLEMP>: VPN is down"}},
    {"type": "actions", "elements": [
        {"type": "button", "action_id": "claim", "value": "42", "text": {"type": "plain_text", "text": "Claim"}},
        {"type": "button", "action_id": "resolve", "value": "42", "text": {"type": "plain_text", "text": "Resolve"}}]},
    {"type": "context", "elements": [{"type": "mrkdwn", "text": "IT · ticket 42"}]},
]


@pytest.fixture
def slack() -> Iterator[LocalSlack]:
    with LocalSlack(users={"U0HLEMP": {"real_name": "Ewa Nowak", "tz": "Europe/Warsaw"}}) as ls:
        yield ls


@pytest.fixture
def client(slack: LocalSlack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=slack.base_url)


def _run(server: Any) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    return thread


class _Capture(BaseHTTPRequestHandler):
    seen: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:
        self.seen.append((dict(self.headers.items()), self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def capture() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    handler = type("Capture", (_Capture,), {"seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = _run(server)
    yield f"http://127.0.0.1:{server.server_address[1]}/slack/events", handler.seen
    server.shutdown()
    server.server_close()
    thread.join(5)


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def bolt(slack: LocalSlack) -> Iterator[tuple[App, SlackSim, list[dict[str, Any]]]]:
    """A Bolt app served over HTTP with a few listeners; yields (app, sim, seen listener inputs)."""
    executor = ThreadPoolExecutor(max_workers=4)
    app = App(signing_secret=SECRET, token_verification_enabled=False, listener_executor=executor,
              client=WebClient(token="xoxb-test", base_url=slack.base_url))
    seen: list[dict[str, Any]] = []

    @app.event("message")
    def on_message(event: dict, say: Any, request: Any) -> None:
        seen.append({"event": event, "retry": (request.headers.get("x-slack-retry-num") or [None])[0]})
        say(f"echo: {event['text']}")

    @app.action("claim")
    def on_claim(ack: Any, body: dict, client: WebClient, respond: Any) -> None:
        ack()
        client.chat_postMessage(channel=body["channel"]["id"], thread_ts=body["message"]["ts"],
                                text=f"claimed by <@{body['user']['id']}>")
        respond(text="You claimed it", replace_original=False)

    @app.shortcut("report")
    @app.message_shortcut("escalate")
    def on_shortcut(ack: Any, shortcut: dict) -> None:
        ack()
        seen.append({"shortcut": shortcut})

    @app.command("/helpdesk")
    def on_command(ack: Any, command: dict) -> None:
        ack(f"searching for {command['text']}")

    server = make_server("127.0.0.1", 0, SlackRequestHandler(app), server_class=_ThreadingWSGIServer,
                         handler_class=_QuietHandler)
    thread = _run(server)
    sim = SlackSim(f"http://127.0.0.1:{server.server_port}/slack/events", SECRET, response_urls=slack.response_url)
    yield app, sim, seen
    slack.stop()  # releases gates so listener threads can finish
    server.shutdown()
    server.server_close()
    thread.join(5)
    executor.shutdown(wait=True)


# --- LocalSlack with a real WebClient -----------------------------------------------------------

def test_web_api_calls_are_recorded_with_decoded_blocks(slack: LocalSlack, client: WebClient) -> None:
    assert client.auth_test()["user_id"] == "U0HLBOT"
    first = client.chat_postMessage(channel="C0HLITTRIAGE", text="new request", blocks=BLOCKS)
    second = client.chat_postMessage(channel="C0HLITTRIAGE", text="another")
    assert first["ts"] == "1700000000.000100" and second["ts"] > first["ts"]
    assert first["message"]["blocks"] == BLOCKS
    # Form-encoded bodies carry blocks as a JSON string; the fake decodes them back to a list.
    client.api_call("chat.postMessage", params={"channel": "C0HLITTRIAGE", "blocks": json.dumps(BLOCKS)})
    assert slack.calls("chat.postMessage")[-1].args["blocks"] == BLOCKS

    upd = client.chat_update(channel="C0HLITTRIAGE", ts=first["ts"], text="claimed", blocks=BLOCKS[:1])
    assert upd["ts"] == first["ts"] and upd["message"]["text"] == "claimed"
    with pytest.raises(SlackApiError) as err:
        client.chat_update(channel="C0HLITTRIAGE", ts="1.2", text="x")
    assert err.value.response["error"] == "message_not_found"
    assert client.chat_postEphemeral(channel="C0HLITTRIAGE", user="U0HLEMP", text="psst")["message_ts"]
    link = client.chat_getPermalink(channel="C0HLITTRIAGE", message_ts=first["ts"])["permalink"]
    assert link == "https://example.slack.com/archives/C0HLITTRIAGE/p1700000000000100"
    assert client.conversations_open(users="U0HLEMP")["channel"]["id"] == "DU0HLEMP"
    user = client.users_info(user="U0HLEMP")["user"]
    assert (user["real_name"], user["tz"]) == ("Ewa Nowak", "Europe/Warsaw")
    with pytest.raises(SlackApiError) as err:
        client.users_info(user="U0NOBODY")
    assert err.value.response["error"] == "user_not_found"
    view = client.views_open(trigger_id="1.2.3", view={"type": "modal", "title": {"type": "plain_text", "text": "T"}})
    assert client.views_update(view_id=view["view"]["id"], view={"type": "modal"})["view"]["id"] == view["view"]["id"]
    assert client.reactions_add(channel="C0HLITTRIAGE", timestamp=first["ts"], name="eyes")["ok"]
    with pytest.raises(SlackApiError) as err:
        client.api_call("admin.nonsense")
    assert err.value.response["error"] == "unknown_method"

    assert [c.method for c in slack.messages()] == ["chat.postMessage"] * 3 + ["chat.update"] * 2 + [
        "chat.postEphemeral"]
    assert all(c.token == "xoxb-test" for c in slack.calls())
    slack.clear()
    assert slack.calls() == []


def test_missing_token_is_not_authed(slack: LocalSlack) -> None:
    with pytest.raises(SlackApiError) as err:
        WebClient(base_url=slack.base_url).chat_postMessage(channel="C1", text="x")
    assert err.value.response["error"] == "not_authed"


def test_response_url_records_json_posts(slack: LocalSlack) -> None:
    url = slack.response_url("claim-1", label="#C0HLITTRIAGE to @U0HLANNA")
    assert url.startswith(slack.url + "respond/")
    body = json.dumps({"text": "Claimed", "replace_original": True}).encode()
    req = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as r:
        assert json.loads(r.read())["ok"] is True
    (call,) = slack.wait_for("response_url")
    assert (call.target, call.args["text"]) == ("claim-1", "Claimed")
    assert slack.transcript() == ["<- #C0HLITTRIAGE to @U0HLANNA (replaces original)  [bot] Claimed"]


def test_gate_blocks_until_released(slack: LocalSlack, client: WebClient) -> None:
    gate = slack.gate("chat.postMessage")
    done = threading.Event()
    worker = threading.Thread(target=lambda: (client.chat_postMessage(channel="C1", text="hi"), done.set()))
    worker.start()
    assert gate.wait_arrived(1, timeout=5)
    assert client.auth_test()["ok"]  # other methods are not blocked
    assert not done.wait(0.2) and slack.calls("chat.postMessage") == []
    gate.release()
    worker.join(5)
    assert done.is_set() and slack.calls("chat.postMessage")[0].args["text"] == "hi"


def test_delay_slows_only_the_chosen_method(slack: LocalSlack, client: WebClient) -> None:
    slack.delay(0.4, "chat.postMessage")
    start = time.perf_counter()
    client.auth_test()
    fast = time.perf_counter() - start
    client.chat_postMessage(channel="C1", text="slow")
    slow = time.perf_counter() - start - fast
    assert fast < 0.3 <= 0.4 <= slow


def test_fail_returns_errors_then_recovers(slack: LocalSlack, client: WebClient) -> None:
    slack.fail("chat.postMessage")
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C1", text="x")
    assert err.value.response.status_code == 429 and err.value.response["error"] == "ratelimited"
    assert err.value.response.headers["Retry-After"] == "1"
    slack.fail("chat.update", error="channel_not_found", times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError, match="channel_not_found"):
            client.chat_update(channel="C1", ts="1.1", text="x")
    assert client.chat_postMessage(channel="C1", text="x")["ok"]
    assert [c.ok for c in slack.calls("chat.postMessage")] == [False, True]
    assert slack.transcript()[0].endswith("!! failed: ratelimited")


def test_ratelimit_retry_handler_retries_after_429(slack: LocalSlack) -> None:
    retrying = WebClient(token="xoxb-test", base_url=slack.base_url,
                         retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)])
    slack.fail("chat.postMessage", retry_after=0)
    assert retrying.chat_postMessage(channel="C1", text="x")["ok"]
    assert [c.ok for c in slack.calls("chat.postMessage")] == [False, True]


def test_wait_for_waits_and_times_out_with_a_useful_message(slack: LocalSlack, client: WebClient) -> None:
    timer = threading.Timer(0.2, lambda: client.chat_postMessage(channel="C1", text="late"))
    timer.start()
    assert slack.wait_for(lambda c: c.args.get("text") == "late", timeout=5)[0].method == "chat.postMessage"
    timer.join()
    with pytest.raises(TimeoutError) as err:
        slack.wait_for("chat.update", count=1, timeout=0.2)
    assert "'chat.update'" in str(err.value) and "got 0" in str(err.value) and '"late"' in str(err.value)


def test_transcript_renders_block_kit(slack: LocalSlack, client: WebClient) -> None:
    ts = client.chat_postMessage(channel="C0HLITTRIAGE", text="fallback", blocks=BLOCKS)["ts"]
    client.chat_postMessage(channel="U0HLEMP", text="We got it.\nSomeone will answer soon.")
    client.chat_postEphemeral(channel="C0HLITTRIAGE", user="U0HLANNA", text="Only you can see this")
    client.chat_update(channel="C0HLITTRIAGE", ts=ts, text="Claimed by <@U0HLANNA> &amp; done")
    client.chat_postMessage(channel="C0HLITTRIAGE", thread_ts=ts, text="reply")
    assert slack.transcript() == [
        "#C0HLITTRIAGE  [bot] New request from <@U0HLEMP>: VPN is down  [Claim]  [Resolve]",
        "      IT · ticket 42",
        "DM DU0HLEMP  [bot] We got it.",
        "      Someone will answer soon.",
        "#C0HLITTRIAGE (only @U0HLANNA sees)  [bot] Only you can see this",
        "#C0HLITTRIAGE  [bot] (edited) Claimed by <@U0HLANNA> & done",
        "#C0HLITTRIAGE (thread)  [bot] reply",
    ]


@pytest.mark.parametrize(("status", "page"), [(500, "Internal Server Error"), (502, "Bad Gateway"),
                                             (503, "Service Unavailable")])
def test_fail_with_http_status_answers_like_a_proxy_and_has_no_effect(slack: LocalSlack, client: WebClient,
                                                                       status: int, page: str) -> None:
    slack.fail("chat.postMessage", http_status=status)
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C1", text="lost")
    assert err.value.response.status_code == status
    assert err.value.response["error"].endswith(page)  # slack_sdk reports the non-JSON body it could not decode
    (call,) = slack.calls("chat.postMessage")
    assert not call.ok and call.response == {"ok": False, "error": f"http_{status}", "http_status": status}
    assert client.conversations_history(channel="C1")["messages"] == []
    assert slack.transcript() == [f"#C1  [bot] lost  !! failed: http_{status}"]


def test_fail_with_http_status_then_a_retry_succeeds(slack: LocalSlack) -> None:
    retrying = WebClient(base_url=slack.base_url, token="xoxb-t", retry_handlers=[ServerErrorRetryHandler()])
    slack.fail("chat.postMessage", http_status=500)
    assert retrying.chat_postMessage(channel="C1", text="once")["ok"]
    assert [c.ok for c in slack.calls("chat.postMessage")] == [False, True]
    assert [m["text"] for m in retrying.conversations_history(channel="C1")["messages"]] == ["once"]
    with pytest.raises(ValueError):
        slack.fail("chat.postMessage", http_status=200)


def test_slow_call_takes_effect_but_the_client_times_out(slack: LocalSlack) -> None:
    impatient = WebClient(base_url=slack.base_url, token="xoxb-t", timeout=0.5)  # type: ignore[arg-type]
    slack.slow("chat.postMessage", 1.5)
    start = time.perf_counter()
    with pytest.raises(TimeoutError):
        impatient.chat_postMessage(channel="C1", text="did it post?")
    assert time.perf_counter() - start < 1.4
    (call,) = slack.calls("chat.postMessage")  # recorded before the answer; slack_sdk does not retry timeouts
    assert call.ok and call.response["ts"] == "1700000000.000100"
    history = impatient.conversations_history(channel="C1")["messages"]
    assert [(m["ts"], m["text"]) for m in history] == [("1700000000.000100", "did it post?")]
    assert impatient.chat_postMessage(channel="C1", text="next")["ok"]  # times=1: the next call is prompt


def _seed_channel(slack: LocalSlack, client: WebClient) -> dict[str, str]:
    """People's messages (one a thread root with a reply), a bot message with metadata and a bot reply."""
    people = {"first": "1690000000.000100", "root": "1690000000.000200", "reply": "1690000000.000300"}
    slack.add_message("C1", "U0HLEMP", "first", people["first"])
    slack.add_message("C1", "U0HLEMP", "root", people["root"], thread_ts=people["root"])
    slack.add_message("C1", "U0HLANNA", "reply", people["reply"], thread_ts=people["root"])
    slack.add_message("C2", "U0HLEMP", "elsewhere", "1690000000.000400")
    meta = {"event_type": "ticket", "event_payload": {"id": 42}}
    bot = client.chat_postMessage(channel="C1", text="bot says", metadata=meta)["ts"]
    bot_reply = client.chat_postMessage(channel="C1", thread_ts=people["root"], text="bot reply", metadata=meta)["ts"]
    return {**people, "bot": bot, "bot_reply": bot_reply}


def _texts(response: Any) -> list[str]:
    return [m["text"] for m in response["messages"]]


def test_conversations_history_is_top_level_newest_first_within_bounds(slack: LocalSlack, client: WebClient) -> None:
    ts = _seed_channel(slack, client)
    everything = client.conversations_history(channel="C1")
    assert _texts(everything) == ["bot says", "root", "first"] and everything["has_more"] is False
    assert everything["messages"][0]["bot_id"] == slack.bot_id and "metadata" not in everything["messages"][0]
    with_meta = client.conversations_history(channel="C1", include_all_metadata=True)["messages"]
    assert with_meta[0]["metadata"] == {"event_type": "ticket", "event_payload": {"id": 42}}
    # The intake reads one message by its ts like this:
    one = client.conversations_history(channel="C1", latest=ts["bot"], inclusive=True, limit=1)
    assert [m["ts"] for m in one["messages"]] == [ts["bot"]] and one["has_more"] is True
    assert _texts(client.conversations_history(channel="C1", latest=ts["bot"])) == ["root", "first"]
    assert _texts(client.conversations_history(channel="C1", latest=ts["reply"], inclusive=True, limit=1)) == ["root"]
    assert _texts(client.conversations_history(channel="C1", oldest=ts["first"])) == ["bot says", "root"]
    assert _texts(client.conversations_history(channel="C1", oldest=ts["first"], latest=ts["bot"],
                                               inclusive=True)) == ["bot says", "root", "first"]
    assert _texts(client.conversations_history(channel="C1", limit=2)) == ["bot says", "root"]
    assert [c.response["ok"] for c in slack.calls("conversations.history")] == [True] * 8


def test_conversations_replies_is_the_thread_oldest_first(slack: LocalSlack, client: WebClient) -> None:
    ts = _seed_channel(slack, client)
    thread = client.conversations_replies(channel="C1", ts=ts["root"])
    assert _texts(thread) == ["root", "reply", "bot reply"] and thread["has_more"] is False
    assert thread["messages"][2]["bot_id"] == slack.bot_id and "metadata" not in thread["messages"][2]
    with_meta = client.conversations_replies(channel="C1", ts=ts["root"], include_all_metadata=1)["messages"]
    assert with_meta[2]["metadata"]["event_payload"] == {"id": 42}
    assert _texts(client.conversations_replies(channel="C1", ts=ts["root"], oldest=ts["root"])) == [
        "reply", "bot reply"]
    assert _texts(client.conversations_replies(channel="C1", ts=ts["root"], latest=ts["reply"],
                                               inclusive=True)) == ["root", "reply"]
    limited = client.conversations_replies(channel="C1", ts=ts["root"], limit=2)
    assert _texts(limited) == ["root", "reply"] and limited["has_more"] is True
    assert _texts(client.conversations_replies(channel="C1", ts=ts["first"])) == ["first"]


def test_posting_to_a_user_lands_in_their_dm(slack: LocalSlack, client: WebClient) -> None:
    posted = client.chat_postMessage(channel="U0HLEMP", text="We got it.")
    dm = client.conversations_open(users="U0HLEMP")["channel"]["id"]
    assert posted["channel"] == dm == "DU0HLEMP"
    assert _texts(client.conversations_history(channel=dm)) == ["We got it."]
    assert client.chat_update(channel="U0HLEMP", ts=posted["ts"], text="Solved.")["channel"] == dm
    assert _texts(client.conversations_history(channel=dm)) == ["Solved."]


def test_chat_delete_removes_the_message_and_shows_in_the_transcript(slack: LocalSlack, client: WebClient) -> None:
    keep = client.chat_postMessage(channel="C1", text="keep")["ts"]
    oops = client.chat_postMessage(channel="C1", text="oops", blocks=BLOCKS[:1])["ts"]
    reply = client.chat_postMessage(channel="U0HLEMP", thread_ts=keep, text="in a thread")["ts"]
    deleted = client.chat_delete(channel="C1", ts=oops)
    assert (deleted["channel"], deleted["ts"]) == ("C1", oops)
    assert client.chat_delete(channel="U0HLEMP", ts=reply)["channel"] == "DU0HLEMP"
    for gone in (oops, "1.2"):
        with pytest.raises(SlackApiError) as err:
            client.chat_delete(channel="C1", ts=gone)
        assert err.value.response["error"] == "message_not_found"
    assert [m["ts"] for m in client.conversations_history(channel="C1")["messages"]] == [keep]
    assert [c.ok for c in slack.calls("chat.delete")] == [True, True, False, False]
    assert slack.transcript()[3:] == [
        "#C1  [bot] (deleted) New request from <@U0HLEMP>: VPN is down",
        "DM DU0HLEMP (thread)  [bot] (deleted) in a thread",
        "#C1  [bot] (deleted) New request from <@U0HLEMP>: VPN is down  !! failed: message_not_found",
        "#C1  [bot] (deleted) message 1.2  !! failed: message_not_found",
    ]


def test_views_publish_stores_the_home_tab_and_reactions_are_recorded(slack: LocalSlack, client: WebClient) -> None:
    assert slack.home_view("U0HLEMP") is None
    home = {"type": "home", "blocks": BLOCKS[:1]}
    first = client.views_publish(user_id="U0HLEMP", view=home)["view"]
    assert slack.home_view("U0HLEMP") == first and first["blocks"] == BLOCKS[:1] and first["type"] == "home"
    again = client.views_publish(user_id="U0HLEMP", view={"type": "home", "blocks": []})["view"]
    assert again["id"] == first["id"] and slack.home_view("U0HLEMP")["blocks"] == []
    with pytest.raises(SlackApiError) as err:
        client.views_publish(user_id="U0HLEMP", view={"type": "modal", "blocks": []})
    assert err.value.response["error"] == "invalid_arguments"
    assert [c.args["user_id"] for c in slack.calls("views.publish")] == ["U0HLEMP"] * 3
    assert client.reactions_add(channel="C1", timestamp="1690000000.000100", name="eyes")["ok"]
    (reaction,) = slack.calls("reactions.add")
    assert (reaction.args["channel"], reaction.args["timestamp"], reaction.args["name"]) == (
        "C1", "1690000000.000100", "eyes")


# --- SlackSim signatures ------------------------------------------------------------------------

def test_signature_verifies_with_slack_sdk(capture: tuple[str, list]) -> None:
    url, seen = capture
    verifier = SignatureVerifier(SECRET)
    SlackSim(url, SECRET).message("U0HLEMP", "hello", "DU0HLEMP")
    SlackSim(url, SECRET, clock=lambda: time.time() - 600).message("U0HLEMP", "hello", "DU0HLEMP")
    (fresh, body), (stale, stale_body) = seen
    assert verifier.is_valid(body, fresh["X-Slack-Request-Timestamp"], fresh["X-Slack-Signature"])
    assert not verifier.is_valid(body.replace(b"hello", b"hellO"), fresh["X-Slack-Request-Timestamp"],
                                 fresh["X-Slack-Signature"])
    assert not verifier.is_valid(stale_body, stale["X-Slack-Request-Timestamp"], stale["X-Slack-Signature"])
    assert sign(SECRET, "123", b"x") == SignatureVerifier(SECRET).generate_signature(timestamp="123", body=b"x")
    event = json.loads(body)
    assert event["type"] == "event_callback" and event["event"]["channel_type"] == "im"


def test_message_returns_ids_and_sends_retry_headers(capture: tuple[str, list]) -> None:
    url, seen = capture
    sim = SlackSim(url, SECRET)
    first = sim.message("U0HLEMP", "hi", "DU0HLEMP")
    assert first.status == 200 and first.ts and first.event_id and first.payload["event_id"] == first.event_id
    sim.message("U0HLEMP", "hi", "DU0HLEMP", ts=first.ts, event_id=first.event_id, retry_num=1)
    assert seen[1][0]["X-Slack-Retry-Num"] == "1" and seen[1][0]["X-Slack-Retry-Reason"] == "http_timeout"
    assert json.loads(seen[1][1])["event"]["ts"] == first.ts and "X-Slack-Retry-Num" not in seen[0][0]


# --- SlackSim into a real Bolt app, Bolt's Web API calls into LocalSlack -------------------------

def test_bolt_message_event_reaches_localslack(slack: LocalSlack, bolt: tuple) -> None:
    _, sim, seen = bolt
    resp = sim.message("U0HLEMP", "my vpn is broken", "DU0HLEMP")
    assert resp.status == 200
    (call,) = slack.wait_for("chat.postMessage")
    assert (call.args["channel"], call.args["text"]) == ("DU0HLEMP", "echo: my vpn is broken")
    assert seen[0]["retry"] is None
    sim.message("U0HLEMP", "my vpn is broken", "DU0HLEMP", ts=resp.ts, event_id=resp.event_id, retry_num=1)
    slack.wait_for("chat.postMessage", count=2)
    assert seen[1]["retry"] == "1" and seen[1]["event"]["ts"] == resp.ts


def test_bolt_block_action_and_response_url(slack: LocalSlack, bolt: tuple) -> None:
    _, sim, _ = bolt
    ts = WebClient(token="xoxb-test", base_url=slack.base_url).chat_postMessage(
        channel="C0HLITTRIAGE", text="new", blocks=BLOCKS)["ts"]
    assert sim.block_action("U0HLANNA", "claim", "42", "C0HLITTRIAGE", ts).status == 200
    (reply,) = slack.wait_for(lambda c: c.args.get("thread_ts") == ts)
    assert (reply.args["channel"], reply.args["text"]) == ("C0HLITTRIAGE", "claimed by <@U0HLANNA>")
    (hook,) = slack.wait_for("response_url")
    assert hook.args["text"] == "You claimed it" and hook.target and hook.target.startswith("actions-")


def test_bolt_slash_command_shortcuts_url_verification_and_bad_signatures(bolt: tuple) -> None:
    _, sim, seen = bolt
    assert sim.slash_command("U0HLEMP", "/helpdesk", "vpn", "C0GENERAL").body == "searching for vpn"
    assert sim.shortcut("U0HLEMP", "report").status == 200
    assert sim.message_shortcut("U0HLEMP", "escalate", "C0GENERAL", "1700000001.000200").status == 200
    assert sim.shortcut("U0HLEMP", "no-such-shortcut").status == 404  # Bolt: no listener matched
    assert [x["shortcut"]["type"] for x in seen] == ["shortcut", "message_action"]
    assert seen[1]["shortcut"]["message"]["ts"] == "1700000001.000200"
    assert sim.url_verification("abc123").json() == {"challenge": "abc123"}
    body = json.dumps(sim.message_payload("U0HLEMP", "x", "DU0HLEMP")).encode()
    assert sim.raw(body, "application/json", signature="v0=" + "0" * 64).status == 401
    assert sim.raw(body, "application/json", timestamp=int(time.time()) - 600).status == 401


def test_bolt_acks_while_web_api_is_gated(slack: LocalSlack, bolt: tuple) -> None:
    _, sim, _ = bolt
    gate = slack.gate("chat.postMessage")
    resp = sim.message("U0HLEMP", "hello", "DU0HLEMP")
    assert resp.status == 200 and resp.elapsed < 2
    assert gate.wait_arrived(1, timeout=5) and slack.calls("chat.postMessage") == []
    gate.release()
    assert slack.wait_for("chat.postMessage")[0].args["text"] == "echo: hello"


def test_socket_mode_envelope_dispatches_through_bolt(slack: LocalSlack, bolt: tuple) -> None:
    app, sim, seen = bolt
    env = sim.socket_mode_envelope("events_api", sim.message_payload("U0HLEMP", "via socket", "DU0HLEMP"))
    assert env["accepts_response_payload"] is False and env["retry_attempt"] == 0
    assert run_bolt_app(app, SocketModeRequest.from_dict(env)).status == 200
    assert slack.wait_for("chat.postMessage")[0].args["text"] == "echo: via socket"
    # Bolt mirrors retry_attempt=0 of a first delivery as an x-slack-retry-num header of "0".
    assert seen[0]["retry"] == "0"
    interactive = sim.socket_mode_envelope("interactive", sim.shortcut_payload("U0HLEMP", "report"))
    assert interactive["accepts_response_payload"] is True and "retry_attempt" not in interactive
