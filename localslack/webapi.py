"""A local stand-in for the Slack Web API over real HTTP that records every call (stdlib only)."""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

UPLOAD = "upload"  # the POST of a file's bytes to the URL files.getUploadURLExternal handed out (no token)
MESSAGE_METHODS = ("chat.postMessage", "chat.update", "chat.postEphemeral", "chat.delete", "response_url")
_JSON_FIELDS = ("blocks", "attachments", "view", "metadata", "user_auth_blocks")
_REQUIRED: dict[str, tuple[str, ...]] = {
    "chat.postMessage": ("channel",), "chat.update": ("channel", "ts"), "chat.postEphemeral": ("channel", "user"),
    "chat.getPermalink": ("channel", "message_ts"), "users.info": ("user",), "views.open": ("trigger_id", "view"),
    "views.update": ("view",), "reactions.add": ("channel", "timestamp", "name"),
    "conversations.replies": ("channel", "ts"), "chat.delete": ("channel", "ts"),
    "views.publish": ("user_id", "view"),
    "files.getUploadURLExternal": ("filename", "length"), "files.completeUploadExternal": ("files",),
}
# Web API method -> LocalSlack handler (each takes the method name and the decoded arguments).
_ROUTES = {
    "chat.postMessage": "_chat", "chat.postEphemeral": "_chat", "chat.update": "_chat", "chat.delete": "_delete",
    "views.open": "_view", "views.update": "_view", "views.publish": "_publish", "users.info": "_user",
    "conversations.open": "_open", "conversations.history": "_history", "conversations.replies": "_history",
    "chat.getPermalink": "_permalink", "auth.test": "_auth", "reactions.add": "_ok", "response_url": "_ok",
    "files.getUploadURLExternal": "_upload_url", "files.completeUploadExternal": "_complete_upload",
    "files.list": "_files_list", UPLOAD: "_upload_bytes",
}


@dataclass
class Call:
    """One request the fake Slack received; `response` is what it answered, `target` names a response_url."""

    method: str
    args: dict[str, Any]
    at: float
    response: dict[str, Any] = field(default_factory=dict)
    token: str | None = None
    target: str | None = None

    @property
    def ok(self) -> bool:
        """True when the fake Slack answered ok."""
        return bool(self.response.get("ok"))


@dataclass(frozen=True)
class _Failure:
    """One injected failure: a Slack error (ok:false), or a bare HTTP error status from a proxy in front."""

    error: str
    retry_after: int
    http_status: int | None

    def recorded(self) -> dict[str, Any]:
        """What the Call records as the response."""
        return {"ok": False, "error": self.error, **({"http_status": self.http_status} if self.http_status else {})}

    def answer(self) -> tuple[int, dict[str, str], dict[str, Any] | str]:
        """Status, headers and body the client receives."""
        status = self.http_status or (429 if self.error == "ratelimited" else 200)
        headers = {"Retry-After": str(self.retry_after)} if status == 429 else {}
        # A proxy's error page is not Slack JSON; clients must cope with an undecodable body.
        body = HTTPStatus(status).phrase if self.http_status else {"ok": False, "error": self.error}
        return status, headers, body


class Gate(threading.Event):
    """A threading.Event that holds calls to one method until released (`set()`); counts arrivals."""

    def __init__(self) -> None:
        super().__init__()
        self._arrivals = threading.Condition()
        self.arrived = 0

    def release(self) -> None:
        """Let every blocked and future call through."""
        self.set()

    def wait_arrived(self, count: int = 1, timeout: float = 5.0) -> bool:
        """Block until `count` calls reached the gate; False on timeout."""
        with self._arrivals:
            return self._arrivals.wait_for(lambda: self.arrived >= count, timeout)

    def _pass(self) -> None:
        with self._arrivals:
            self.arrived += 1
            self._arrivals.notify_all()
        self.wait()


class LocalSlack:
    """Fake Slack Web API (+ response_urls) on 127.0.0.1 with an OS-assigned port."""

    def __init__(self, bot_user_id: str = "U0HLBOT", team_id: str = "T0HELP", team: str = "Helploop",
                 users: dict[str, dict[str, Any]] | None = None) -> None:
        self.bot_user_id, self.team_id, self.team = bot_user_id, team_id, team
        self.bot_id = "B" + bot_user_id[1:]
        self.users: dict[str, dict[str, Any]] = {}
        for uid, info in (users or {}).items():
            self.add_user(uid, **info)
        self._calls: list[Call] = []
        self._cond = threading.Condition()
        self._ts = itertools.count(1700000000_000100, 100)
        self._ids = itertools.count(1)
        self._messages: dict[tuple[str, str], dict[str, Any]] = {}
        self._views: dict[str, dict[str, Any]] = {}
        self._homes: dict[str, dict[str, Any]] = {}
        self._files: dict[str, dict[str, Any]] = {}  # file id -> the file, its bytes under "content"
        self._hooks: dict[str, str] = {}
        self._delays: dict[str | None, float] = {}
        self._gates: dict[str, Gate] = {}
        self._all_gates: list[Gate] = []
        self._fails: dict[str, list[_Failure]] = {}
        self._slow: dict[str, list[float]] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------------
    def start(self) -> LocalSlack:
        """Start serving in a background thread."""
        handler = type("Handler", (_Handler,), {"slack": self})
        # A deep accept queue: many senders at once must queue, not get "connection reset".
        server_class = type("Server", (ThreadingHTTPServer,), {"request_queue_size": 256})
        self._server = server_class(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="localslack",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Release all gates, stop the server and join its thread."""
        for g in self._all_gates:
            g.release()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> LocalSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Server root, e.g. http://127.0.0.1:PORT/."""
        if self._server is None:
            raise RuntimeError("LocalSlack is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    @property
    def base_url(self) -> str:
        """Web API base for slack_sdk.WebClient(base_url=...)."""
        return self.url + "api/"

    def response_url(self, name: str, label: str | None = None) -> str:
        """A response_url on this server; `label` (e.g. '#C1 to @U1') is shown in the transcript."""
        self._hooks[name] = label or name
        return f"{self.url}respond/{name}"

    def add_user(self, user_id: str, real_name: str | None = None, tz: str = "Europe/Warsaw",
                 **extra: Any) -> None:
        """Register a user for users.info (`tz` must be a valid IANA zone; e.g. locale="vi-VN" is returned
        only when asked for with include_locale, as Slack does)."""
        ZoneInfo(tz)
        name = real_name or user_id
        self.users[user_id] = {"id": user_id, "real_name": name, "tz": tz, **extra}

    # --- recorded calls --------------------------------------------------------------------
    def add_message(self, channel: str, user: str, text: str, ts: str, thread_ts: str | None = None) -> None:
        """Store a message a person wrote (so conversations.history/replies can return it)."""
        message = {"type": "message", "user": user, "text": text, "ts": ts, "team": self.team_id}
        if thread_ts:
            message["thread_ts"] = thread_ts
        with self._cond:
            self._messages[(channel, ts)] = message

    def home_view(self, user_id: str) -> dict[str, Any] | None:
        """The App Home view last published for `user_id` (views.publish), or None."""
        with self._cond:
            return self._homes.get(user_id)

    def files(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Files uploaded and shared (to `channel`, if given), oldest first; each holds its bytes as "content"."""
        with self._cond:
            return [dict(f) for f in self._files.values()
                    if f["channels"] and (channel is None or channel in f["channels"])]

    def calls(self, method: str | None = None) -> list[Call]:
        """Recorded calls (in completion order), optionally only one method."""
        with self._cond:
            return [c for c in self._calls if method is None or c.method == method]

    def messages(self) -> list[Call]:
        """postMessage/update/postEphemeral/delete/response_url calls in order."""
        return [c for c in self.calls() if c.method in MESSAGE_METHODS]

    def clear(self) -> None:
        """Forget recorded calls (posted messages stay updatable)."""
        with self._cond:
            self._calls.clear()

    def wait_for(self, what: str | Callable[[Call], bool], count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Block until `count` calls match a method name or predicate; return all matching calls."""
        pred = (lambda c: c.method == what) if isinstance(what, str) else what
        with self._cond:
            if self._cond.wait_for(lambda: len([c for c in self._calls if pred(c)]) >= count, timeout):
                return [c for c in self._calls if pred(c)]
            seen = [c for c in self._calls if pred(c)]
            lines = "\n".join(f"  {c.method} {json.dumps(c.args, default=str)[:160]}" for c in self._calls)
        desc = what if isinstance(what, str) else getattr(what, "__name__", "predicate")
        raise TimeoutError(f"waited {timeout}s for {count} call(s) matching {desc!r}, got {len(seen)}; "
                           f"recorded {len(self._calls)} call(s):\n{lines or '  (none)'}")

    # --- fault injection -------------------------------------------------------------------
    def delay(self, seconds: float, method: str | None = None) -> None:
        """Slow down every call (or one method) by `seconds`; 0 removes the delay."""
        self._delays[method] = seconds

    def gate(self, method: str) -> Gate:
        """Calls to `method` block until the returned gate is released."""
        self._gates[method] = gate = Gate()
        self._all_gates.append(gate)
        return gate

    def fail(self, method: str, error: str | None = None, times: int = 1, retry_after: int = 1,
             http_status: int | None = None) -> None:
        """Next `times` calls to `method` fail with no effect: ok:false `error`, or an `http_status` error page."""
        if http_status is not None and not 400 <= http_status < 600:
            raise ValueError(f"http_status must be an HTTP error status, not {http_status}")
        failure = _Failure(error or (f"http_{http_status}" if http_status else "ratelimited"), retry_after, http_status)
        with self._cond:
            self._fails.setdefault(method, []).extend([failure] * times)

    def slow(self, method: str, seconds: float, times: int = 1) -> None:
        """The next `times` calls to `method` take effect at once but are answered only after `seconds`."""
        with self._cond:
            self._slow.setdefault(method, []).extend([seconds] * times)

    # --- request handling ------------------------------------------------------------------
    def _handle(self, method: str, args: dict[str, Any], token: str | None,
                target: str | None = None) -> tuple[int, dict[str, str], dict[str, Any] | str]:
        gate = self._gates.get(method)
        if gate is not None:
            gate._pass()
        pause = self._delays.get(method, self._delays.get(None, 0))
        if pause:
            time.sleep(pause)
        with self._cond:
            failure = _pop(self._fails, method)
            lag = _pop(self._slow, method)
        if failure is not None:
            resp, answer = failure.recorded(), failure.answer()
        else:
            with self._cond:
                resp = self._respond(method, args, token)
            answer = 200, {}, resp
        with self._cond:
            self._calls.append(Call(method, args, time.time(), resp, token, target))
            self._cond.notify_all()
        if lag:  # after recording: the call took effect, only the answer is late (client-side timeout)
            time.sleep(lag)
        return answer

    def _next_ts(self) -> str:
        n = next(self._ts)
        return f"{n // 1_000_000}.{n % 1_000_000:06d}"

    def _channel(self, channel: str) -> str:
        # A user's DM with the bot: "D" + their id, unless they were registered with an opaque `dm` id
        # (as real Slack's are) — tests of anonymity need ids that do not spell the user's.
        if channel[:1] not in ("U", "W"):
            return channel
        return str(self.users.get(channel, {}).get("dm") or "D" + channel)

    def _respond(self, method: str, a: dict[str, Any], token: str | None) -> dict[str, Any]:
        if method not in ("response_url", UPLOAD) and not token:
            return {"ok": False, "error": "not_authed"}
        missing = [k for k in _REQUIRED.get(method, ()) if not a.get(k)]
        if missing:
            return {"ok": False, "error": "invalid_arguments", "missing": missing}
        route = _ROUTES.get(method)
        if route is None:
            return {"ok": False, "error": "unknown_method"}
        return getattr(self, route)(method, a)

    def _ok(self, method: str, a: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True}

    def _auth(self, method: str, a: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": "https://example.slack.com/", "team": self.team, "user": "helploop",
                "team_id": self.team_id, "user_id": self.bot_user_id, "bot_id": self.bot_id,
                "is_enterprise_install": False}

    def _user(self, method: str, a: dict[str, Any]) -> dict[str, Any]:
        u = self.users.get(str(a["user"]))
        if u is None:
            return {"ok": False, "error": "user_not_found"}
        offset = datetime.now(ZoneInfo(u["tz"])).utcoffset()
        shown = u if _truthy(a.get("include_locale")) else {k: v for k, v in u.items() if k != "locale"}
        return {"ok": True, "user": {"team_id": self.team_id, "name": u["real_name"].lower().replace(" ", "."),
                                     "deleted": False, "is_bot": False, "tz_label": u["tz"],
                                     "tz_offset": int(offset.total_seconds()) if offset else 0,
                                     "profile": {"real_name": u["real_name"], "display_name": u["real_name"]},
                                     **shown}}

    def _open(self, method: str, a: dict[str, Any]) -> dict[str, Any]:
        users = [u for u in str(a.get("users", "")).split(",") if u]
        if not users and not a.get("channel"):
            return {"ok": False, "error": "users_list_not_supplied"}
        cid = a.get("channel") or (self._channel(users[0]) if len(users) == 1 else "G" + "".join(users)[:20])
        return {"ok": True, "channel": {"id": cid, "is_im": cid.startswith("D")}}

    def _permalink(self, method: str, a: dict[str, Any]) -> dict[str, Any]:
        p = f"{a['channel']}/p{str(a['message_ts']).replace('.', '')}"
        return {"ok": True, "channel": a["channel"], "permalink": f"https://example.slack.com/archives/{p}"}

    def _view(self, method: str, a: dict[str, Any]) -> dict[str, Any]:
        vid = f"V0HL{next(self._ids):06d}" if method == "views.open" else str(a.get("view_id"))
        if not isinstance(a["view"], dict):
            return {"ok": False, "error": "invalid_arguments"}
        if method == "views.update" and vid not in self._views:
            return {"ok": False, "error": "not_found"}
        self._views[vid] = self._stored_view(vid, a["view"])
        return {"ok": True, "view": self._views[vid]}

    def _publish(self, method: str, a: dict[str, Any]) -> dict[str, Any]:
        view, user = a["view"], str(a["user_id"])
        if not isinstance(view, dict) or view.get("type") != "home":
            return {"ok": False, "error": "invalid_arguments"}
        # Slack keeps one Home view per user: republishing replaces it under the same id.
        vid = self._homes[user]["id"] if user in self._homes else f"V0HL{next(self._ids):06d}"
        self._homes[user] = self._stored_view(vid, view)
        return {"ok": True, "view": self._homes[user]}

    def _stored_view(self, vid: str, view: dict[str, Any]) -> dict[str, Any]:
        return {**view, "id": vid, "team_id": self.team_id, "state": {"values": {}}, "hash": f"{time.time():.6f}",
                "bot_id": self.bot_id}

    def _history(self, method: str, a: dict[str, Any]) -> dict[str, Any]:
        channel = str(a.get("channel") or "")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        stored = [m for (c, _), m in self._messages.items() if c == channel]
        if method == "conversations.replies":
            root = str(a["ts"])
            found = sorted((m for m in stored if root in (m["ts"], m.get("thread_ts"))), key=_ts_key)
        else:  # replies stay in their thread; a root carries thread_ts == ts once it has replies
            found = sorted((m for m in stored if (m.get("thread_ts") or m["ts"]) == m["ts"]), key=_ts_key, reverse=True)
        found = [m for m in found if _in_window(m["ts"], a)]
        limit = int(a.get("limit") or 0) or 100
        metadata = _truthy(a.get("include_all_metadata"))
        shown = [m if metadata else {k: v for k, v in m.items() if k != "metadata"} for m in found[:limit]]
        return {"ok": True, "messages": shown, "has_more": len(found) > limit}

    def _chat(self, method: str, a: dict[str, Any]) -> dict[str, Any]:
        if not (a.get("text") or a.get("blocks") or a.get("attachments")):
            return {"ok": False, "error": "no_text"}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._next_ts()}
        channel = self._channel(str(a["channel"]))
        msg = {"type": "message", "text": a.get("text", ""), "user": self.bot_user_id, "bot_id": self.bot_id,
               "team": self.team_id, **{k: a[k] for k in ("blocks", "attachments", "thread_ts", "metadata") if k in a}}
        if method == "chat.update":
            key = (channel, str(a["ts"]))
            if key not in self._messages:
                return {"ok": False, "error": "message_not_found"}
            msg = {**self._messages[key], **msg, "edited": {"user": self.bot_user_id, "ts": self._next_ts()}}
            self._messages[key] = msg
            return {"ok": True, "channel": channel, "ts": key[1], "text": msg["text"], "message": msg}
        msg["ts"] = self._next_ts()
        self._messages[(channel, msg["ts"])] = msg
        return {"ok": True, "channel": channel, "ts": msg["ts"], "message": msg}

    def _upload_url(self, method: str, a: dict[str, Any]) -> dict[str, Any]:
        file_id = f"F0HL{next(self._ids):06d}"
        self._files[file_id] = {"id": file_id, "name": str(a["filename"]), "title": str(a["filename"]),
                                "length": int(a["length"]), "alt_txt": a.get("alt_txt"), "content": None,
                                "channels": [], "user": self.bot_user_id}
        return {"ok": True, "file_id": file_id, "upload_url": f"{self.url}upload/{file_id}"}

    def _upload_bytes(self, method: str, a: dict[str, Any]) -> dict[str, Any]:
        stored = self._files.get(str(a["file_id"]))
        if stored is None:
            return {"ok": False, "error": "not_found"}
        stored["content"] = a["content"]
        return {"ok": True}

    def _complete_upload(self, method: str, a: dict[str, Any]) -> dict[str, Any]:
        try:
            wanted = json.loads(a["files"]) if isinstance(a["files"], str) else a["files"]
        except ValueError:
            return {"ok": False, "error": "invalid_arguments"}
        found = [(self._files.get(str(w.get("id"))), w) for w in wanted]
        if not found or any(f is None or f["content"] is None for f, _ in found):
            return {"ok": False, "error": "file_not_found"}  # never asked for, or its bytes never arrived
        channel = a.get("channel_id") or a.get("channels")
        for stored, w in found:
            stored.update(title=w.get("title") or stored["name"], created=int(time.time()),
                          mimetype="image/png" if stored["name"].endswith(".png") else "application/octet-stream")
            if channel:
                stored["channels"].append(self._channel(str(channel)))
        return {"ok": True, "files": [_public(f) for f, _ in found]}

    def _files_list(self, method: str, a: dict[str, Any]) -> dict[str, Any]:
        channel, images = a.get("channel"), a.get("types") == "images"
        shown = [_public(f) for f in reversed(self._files.values()) if f["channels"]
                 and (not channel or channel in f["channels"]) and (not images or f["mimetype"].startswith("image/"))]
        count = int(a.get("count") or 100)
        return {"ok": True, "files": shown[:count], "paging": {"count": count, "total": len(shown), "page": 1}}

    def _delete(self, method: str, a: dict[str, Any]) -> dict[str, Any]:
        key = (self._channel(str(a["channel"])), str(a["ts"]))
        if self._messages.pop(key, None) is None:
            return {"ok": False, "error": "message_not_found"}
        return {"ok": True, "channel": key[0], "ts": key[1]}

    # --- transcript ------------------------------------------------------------------------
    def transcript(self) -> list[str]:
        """Readable lines, one message per entry (continuation lines indented)."""
        out: list[str] = []
        said: dict[tuple[str, str], dict[str, Any]] = {}  # what each bot message last said, shown on chat.delete
        for c in self.messages():
            a = c.args
            if c.method == "chat.delete":
                a = said.get(self._message_key(c), {**a, "text": f"message {a.get('ts')}"})
            elif c.ok and c.method in ("chat.postMessage", "chat.update"):
                said[self._message_key(c)] = {**said.get(self._message_key(c), {}), **a}
            tag = {"chat.update": "[bot] (edited)", "chat.delete": "[bot] (deleted)"}.get(c.method, "[bot]")
            lines = render_message(a) or [""]
            if not c.ok:
                lines[-1] += f"  !! failed: {c.response.get('error')}"
            out.append(f"{self._where(c, a)}  {tag} {lines[0]}")
            out.extend("      " + line for line in lines[1:])
        return out

    def _message_key(self, c: Call) -> tuple[str, str]:
        channel = c.response.get("channel") or self._channel(str(c.args.get("channel", "?")))
        return str(channel), str(c.response.get("ts") or c.args.get("ts"))

    def _where(self, c: Call, a: dict[str, Any]) -> str:
        if c.method == "response_url":
            ephemeral = a.get("response_type") == "ephemeral"
            where = "(ephemeral: only they see it)" if ephemeral else f"<- {self._hooks.get(c.target or '', c.target)}"
            return where + (" (replaces original)" if a.get("replace_original") in (True, "true") else "")
        ch = str(c.response.get("channel") or self._channel(str(a.get("channel", "?"))))
        where = f"DM {ch}" if ch.startswith("D") else f"#{ch}"
        if c.method == "chat.postEphemeral":
            where += f" (only @{a.get('user')} sees)"
        return where + (" (thread)" if a.get("thread_ts") else "")


def _public(stored: dict[str, Any]) -> dict[str, Any]:
    """A file as the Web API describes it (without its bytes)."""
    return {k: v for k, v in stored.items() if k != "content"} | {"size": len(stored["content"] or b"")}


def _pop(queues: dict[str, list[Any]], method: str) -> Any:
    """Take the next queued fault for `method` (None when none is left); call under the lock."""
    pending = queues.get(method)
    return pending.pop(0) if pending else None


def _ts_key(message: dict[str, Any]) -> Decimal:
    # Decimal, not float: a float cannot tell 1700000000.000100 from its neighbours reliably.
    return Decimal(message["ts"])


def _truthy(value: Any) -> bool:
    """Slack's boolean arguments arrive as True, "true" or "1" (slack_sdk sends "1")."""
    return str(value).lower() in ("true", "1")


def _in_window(ts: str, a: dict[str, Any]) -> bool:
    """Whether `ts` lies between the request's `oldest` and `latest` (exclusive unless `inclusive`)."""
    t, inclusive, oldest, latest = Decimal(ts), _truthy(a.get("inclusive")), a.get("oldest"), a.get("latest")
    above = not oldest or t > Decimal(str(oldest)) or (inclusive and t == Decimal(str(oldest)))
    below = not latest or t < Decimal(str(latest)) or (inclusive and t == Decimal(str(latest)))
    return bool(above and below)


_DATE = re.compile(r"<!date\^\d+\^[^|>]*\|([^>]*)>")


def _text(obj: Any) -> str:
    if isinstance(obj, dict):
        obj = obj.get("text", "")
    text = str(obj or "").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return _DATE.sub(r"\1", text)  # Slack shows <!date^…> in the reader's zone; we show the fallback


def render_message(args: dict[str, Any]) -> list[str]:
    """Render a message's Block Kit (or text) as plain lines; buttons become [Text]."""
    blocks = args.get("blocks")
    if not isinstance(blocks, list) or not blocks:
        return _text(args.get("text")).splitlines()
    lines: list[str] = []
    for b in blocks:
        kind = b.get("type")
        if kind in ("section", "header"):
            body = _text(b.get("text"))
            body += "".join("\n" + _text(f) for f in b.get("fields") or [])
            acc = b.get("accessory") or {}
            if acc.get("type") == "button":
                body += f"  [{_text(acc.get('text'))}]"
            lines.extend(body.splitlines() or [""])
        elif kind == "context":
            lines.append(" · ".join(_text(e) for e in b.get("elements", []) if e.get("type") != "image"))
        elif kind == "actions":
            buttons = "  ".join(f"[{_text(e.get('text'))}]" for e in b.get("elements", []))
            if lines:
                lines[-1] += "  " + buttons
            else:
                lines.append(buttons)
        elif kind == "divider":
            lines.append("---")
    return lines


class _Handler(BaseHTTPRequestHandler):
    slack: LocalSlack

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence access logs
        pass

    def do_GET(self) -> None:
        self.do_POST()

    def do_POST(self) -> None:
        parts = urlsplit(self.path)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if parts.path.startswith("/upload/"):  # a file's bytes, as they are (not a form)
            return self._send(*self.slack._handle(UPLOAD, {"file_id": parts.path[8:], "content": raw}, None))
        args: dict[str, Any] = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        ctype = self.headers.get("Content-Type", "")
        try:
            if ctype.startswith("application/json") or (raw.startswith(b"{") and "form" not in ctype):
                args.update(json.loads(raw or b"{}"))
            else:
                args.update({k: v[-1] for k, v in parse_qs(raw.decode(), keep_blank_values=True).items()})
        except (ValueError, TypeError):
            return self._send(200, {}, {"ok": False, "error": "invalid_json"})
        for k in _JSON_FIELDS:
            if isinstance(args.get(k), str) and args[k][:1] in ("[", "{"):
                try:
                    args[k] = json.loads(args[k])
                except ValueError:
                    return self._send(200, {}, {"ok": False, "error": f"invalid_{k}"})
        auth, form_token = self.headers.get("Authorization", ""), args.pop("token", None)
        token = auth[7:] if auth.startswith("Bearer ") else form_token
        if parts.path.startswith("/api/"):
            self._send(*self.slack._handle(parts.path[5:], args, token))
        elif parts.path.startswith("/respond/"):
            self._send(*self.slack._handle("response_url", args, token, parts.path[9:]))
        else:
            self._send(404, {}, {"ok": False, "error": "not_found"})

    def _send(self, status: int, headers: dict[str, str], body: dict[str, Any] | str) -> None:
        is_json = isinstance(body, dict)
        data = json.dumps(body).encode() if is_json else str(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", f"{'application/json' if is_json else 'text/plain'}; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up waiting (see LocalSlack.slow); nothing to answer
