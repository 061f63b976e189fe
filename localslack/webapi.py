"""A local stand-in for the Slack Web API over real HTTP that records every call (stdlib only)."""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

MESSAGE_METHODS = ("chat.postMessage", "chat.update", "chat.postEphemeral", "response_url")
_JSON_FIELDS = ("blocks", "attachments", "view", "metadata", "user_auth_blocks")
_REQUIRED: dict[str, tuple[str, ...]] = {
    "chat.postMessage": ("channel",), "chat.update": ("channel", "ts"), "chat.postEphemeral": ("channel", "user"),
    "chat.getPermalink": ("channel", "message_ts"), "users.info": ("user",), "views.open": ("trigger_id", "view"),
    "views.update": ("view",), "reactions.add": ("channel", "timestamp", "name"),
    "conversations.replies": ("channel", "ts"),
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
        self._hooks: dict[str, str] = {}
        self._delays: dict[str | None, float] = {}
        self._gates: dict[str, Gate] = {}
        self._all_gates: list[Gate] = []
        self._fails: dict[str, list[Any]] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------------
    def start(self) -> LocalSlack:
        """Start serving in a background thread."""
        handler = type("Handler", (_Handler,), {"slack": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
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
        """Register a user for users.info (`tz` must be a valid IANA zone)."""
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

    def calls(self, method: str | None = None) -> list[Call]:
        """Recorded calls (in completion order), optionally only one method."""
        with self._cond:
            return [c for c in self._calls if method is None or c.method == method]

    def messages(self) -> list[Call]:
        """postMessage/update/postEphemeral/response_url calls in order."""
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

    def fail(self, method: str, error: str = "ratelimited", times: int = 1, retry_after: int = 1) -> None:
        """Answer the next `times` calls to `method` with ok:false (ratelimited: HTTP 429 + Retry-After)."""
        self._fails.setdefault(method, []).extend([(error, retry_after)] * times)

    # --- request handling ------------------------------------------------------------------
    def _handle(self, method: str, args: dict[str, Any], token: str | None,
                target: str | None = None) -> tuple[int, dict[str, str], dict[str, Any]]:
        gate = self._gates.get(method)
        if gate is not None:
            gate._pass()
        pause = self._delays.get(method, self._delays.get(None, 0))
        if pause:
            time.sleep(pause)
        status, headers = 200, {}
        with self._cond:
            pending = self._fails.get(method)
            failure = pending.pop(0) if pending else None
        if failure is not None:
            resp: dict[str, Any] = {"ok": False, "error": failure[0]}
            if failure[0] == "ratelimited":
                status, headers = 429, {"Retry-After": str(failure[1])}
        elif method != "response_url" and not token:
            resp = {"ok": False, "error": "not_authed"}
        else:
            with self._cond:
                resp = self._respond(method, args)
        with self._cond:
            self._calls.append(Call(method, args, time.time(), resp, token, target))
            self._cond.notify_all()
        return status, headers, resp

    def _next_ts(self) -> str:
        n = next(self._ts)
        return f"{n // 1_000_000}.{n % 1_000_000:06d}"

    def _channel(self, channel: str) -> str:
        return "D" + channel if channel[:1] in ("U", "W") else channel

    def _respond(self, method: str, a: dict[str, Any]) -> dict[str, Any]:
        missing = [k for k in _REQUIRED.get(method, ()) if not a.get(k)]
        if missing:
            return {"ok": False, "error": "invalid_arguments", "missing": missing}
        if method in ("chat.postMessage", "chat.postEphemeral", "chat.update"):
            return self._chat(method, a)
        if method in ("views.open", "views.update"):
            vid = f"V0HL{next(self._ids):06d}" if method == "views.open" else str(a.get("view_id"))
            if method == "views.update" and vid not in self._views or not isinstance(a["view"], dict):
                return {"ok": False, "error": "not_found" if isinstance(a["view"], dict) else "invalid_arguments"}
            self._views[vid] = {**a["view"], "id": vid, "team_id": self.team_id, "state": {"values": {}},
                                "hash": f"{time.time():.6f}", "bot_id": self.bot_id}
            return {"ok": True, "view": self._views[vid]}
        if method == "users.info":
            u = self.users.get(str(a["user"]))
            if u is None:
                return {"ok": False, "error": "user_not_found"}
            offset = datetime.now(ZoneInfo(u["tz"])).utcoffset()
            return {"ok": True, "user": {"team_id": self.team_id, "name": u["real_name"].lower().replace(" ", "."),
                                         "deleted": False, "is_bot": False, "tz_label": u["tz"],
                                         "tz_offset": int(offset.total_seconds()) if offset else 0,
                                         "profile": {"real_name": u["real_name"], "display_name": u["real_name"]},
                                         **u}}
        if method == "conversations.open":
            users = [u for u in str(a.get("users", "")).split(",") if u]
            if not users and not a.get("channel"):
                return {"ok": False, "error": "users_list_not_supplied"}
            cid = a.get("channel") or ("D" + users[0] if len(users) == 1 else "G" + "".join(users)[:20])
            return {"ok": True, "channel": {"id": cid, "is_im": cid.startswith("D")}}
        if method == "chat.getPermalink":
            p = f"{a['channel']}/p{str(a['message_ts']).replace('.', '')}"
            return {"ok": True, "channel": a["channel"], "permalink": f"https://example.slack.com/archives/{p}"}
        if method == "auth.test":
            return {"ok": True, "url": "https://example.slack.com/", "team": self.team, "user": "helploop",
                    "team_id": self.team_id, "user_id": self.bot_user_id, "bot_id": self.bot_id,
                    "is_enterprise_install": False}
        if method in ("conversations.history", "conversations.replies"):
            return self._history(method, a)
        if method in ("reactions.add", "response_url"):
            return {"ok": True}
        return {"ok": False, "error": "unknown_method"}

    def _history(self, method: str, a: dict[str, Any]) -> dict[str, Any]:
        channel = str(a.get("channel") or "")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if method == "conversations.replies":
            root = str(a.get("ts") or "")
            found = [m for (c, ts), m in self._messages.items() if c == channel and (m.get("thread_ts") or ts) == root]
        else:
            latest = str(a.get("latest") or "")
            found = [m for (c, ts), m in self._messages.items() if c == channel and (not latest or ts == latest)]
        found.sort(key=lambda m: float(m["ts"]))
        return {"ok": True, "messages": found[: int(a.get("limit") or 100)], "has_more": False}

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

    # --- transcript ------------------------------------------------------------------------
    def transcript(self) -> list[str]:
        """Readable lines, one message per entry (continuation lines indented)."""
        out: list[str] = []
        for c in self.messages():
            a = c.args
            if c.method == "response_url":
                ephemeral = a.get("response_type") == "ephemeral"
                where = "(ephemeral: only they see it)" if ephemeral else f"<- {self._hooks.get(c.target or '', c.target)}"
                where += " (replaces original)" if a.get("replace_original") in (True, "true") else ""
            else:
                ch = str(c.response.get("channel") or self._channel(str(a.get("channel", "?"))))
                where = f"DM {ch}" if ch.startswith("D") else f"#{ch}"
                if c.method == "chat.postEphemeral":
                    where += f" (only @{a.get('user')} sees)"
                if a.get("thread_ts"):
                    where += " (thread)"
            tag = "[bot] (edited)" if c.method == "chat.update" else "[bot]"
            lines = render_message(a) or [""]
            if not c.ok:
                lines[-1] += f"  !! failed: {c.response.get('error')}"
            out.append(f"{where}  {tag} {lines[0]}")
            out.extend("      " + line for line in lines[1:])
        return out


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

    def _send(self, status: int, headers: dict[str, str], body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
