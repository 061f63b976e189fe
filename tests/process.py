"""`helploop run` as a real child process, for crash tests: start, watch stderr, kill -9, restart, clean up.

The child is configured only through its environment (wiring/settings.py reads it). Its stdout and
stderr are read on threads (a full pipe would freeze the child), kept, and shown when a wait fails.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HELPLOOP = Path(sys.executable).parent / "helploop"  # the console script of this venv
if not HELPLOOP.exists():
    HELPLOOP = ROOT / ".venv" / "bin" / "helploop"
SIGNING_SECRET = "crash-test-signing-secret"
# Inherited settings that must not leak into the child (a developer's shell or .env may set them).
_OWN = ("SLACK_", "DATABASE_URL", "PORT", "KB_DIR", "ADMIN_CHANNEL", "HELP_", "SCHEDULER_TICK_SECONDS",
        "KB_RELOAD_SECONDS", "SWEEP_SECONDS", "INBOX_LEASE_SECONDS", "INBOX_WORKERS", "HELPLOOP_PAUSE_AT", "WORKER_", "WEB_PROCESSES")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def child_env(api_url: str, database_url: str, port: int, **settings: str | float | None) -> dict[str, str]:
    """The environment of a `helploop run` child: this process's, minus helploop settings, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OWN)}
    env.update(SLACK_BOT_TOKEN="xoxb-crash-test", SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=api_url,
               DATABASE_URL=database_url, PORT=str(port), PYTHONUNBUFFERED="1")
    return _merged(env, settings)


def _merged(env: Mapping[str, str], changes: Mapping[str, str | float | None]) -> dict[str, str]:
    out = dict(env)
    for name, value in changes.items():
        if value is None:
            out.pop(name, None)
        else:
            out[name] = str(value)
    return out


class HelploopProcess:
    """One `helploop run --host 127.0.0.1` child; its output lines are collected as they come."""

    def __init__(self, env: Mapping[str, str], cwd: Path, role: str = "all") -> None:
        self.env, self.cwd = dict(env), cwd
        self.port = int(self.env["PORT"])
        self.lines: list[str] = []  # stdout and stderr, in arrival order ("err: ..." / "out: ...")
        self._seen = threading.Condition(threading.RLock())
        command = [str(HELPLOOP), "run", "--host", "127.0.0.1", "--role", role]
        self.process = subprocess.Popen(command, env=self.env, cwd=cwd,
                                        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True, errors="replace")
        self._readers = [threading.Thread(target=self._read, args=(stream, tag), daemon=True,
                                          name=f"helploop-{self.process.pid}-{tag}")
                         for stream, tag in ((self.process.stdout, "out"), (self.process.stderr, "err"))]
        for reader in self._readers:
            reader.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def url(self) -> str:
        """Where Slack's requests go."""
        return f"http://127.0.0.1:{self.port}/slack/events"

    @property
    def output(self) -> str:
        """Everything the child printed so far."""
        with self._seen:
            return "\n".join(self.lines)

    def _read(self, stream, tag: str) -> None:
        for line in stream:
            with self._seen:
                self.lines.append(f"{tag}: {line.rstrip()}")
                self._seen.notify_all()
        stream.close()

    def stderr_count(self, text: str) -> int:
        """How often `text` occurs in stderr so far (counted in the text: lines of two threads may interleave)."""
        with self._seen:
            return sum(line.count(text) for line in self.lines if line.startswith("err: "))

    def wait_for_stderr(self, text: str, count: int = 1, timeout: float = 15.0) -> int:
        """Block until `text` occurred `count` times on stderr; AssertionError (with the output) otherwise."""
        deadline = time.monotonic() + timeout
        with self._seen:
            while (found := self.stderr_count(text)) < count:
                left = deadline - time.monotonic()
                if left <= 0 or (self.process.poll() is not None and not any(r.is_alive() for r in self._readers)):
                    raise AssertionError(f"waited {timeout}s for {count} time(s) {text!r} on stderr, got {found}; "
                                         f"exit code {self.process.poll()}; output:\n{self.output}")
                self._seen.wait(min(left, 0.2))
        return found

    def wait_healthy(self, timeout: float = 30.0) -> None:
        """Poll GET /health until it says the database is ok."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"helploop run exited with {self.process.returncode}:\n{self.output}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=1) as response:
                    if json.loads(response.read()) == {"status": "ok", "database": "ok"}:
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"helploop run was not healthy within {timeout}s:\n{self.output}")

    def kill9(self) -> None:
        """SIGKILL: no cleanup, no flush, no goodbye; returns once the child is gone."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self._join_readers()

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL if it does not exit in time (idempotent)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._join_readers()

    def _join_readers(self) -> None:
        for reader in self._readers:
            reader.join(timeout=5)


class Children:
    """Starts `helploop run` children on one environment; every child is stopped when the block ends."""

    def __init__(self, env: Mapping[str, str], cwd: Path) -> None:
        self.env, self.cwd = dict(env), cwd
        self.started: list[HelploopProcess] = []

    def start(self, healthy: bool = True, role: str = "all", **changes: str | float | None) -> HelploopProcess:
        """Start a child with the base environment plus `changes` (None removes a variable)."""
        child = HelploopProcess(_merged(self.env, changes), self.cwd, role)
        self.started.append(child)
        if healthy:
            child.wait_healthy()
        return child

    def restart(self, dead: HelploopProcess, healthy: bool = True,
                **changes: str | float | None) -> HelploopProcess:
        """A new child on the same database and port as `dead` (killed first if it still runs)."""
        dead.kill9()
        child = HelploopProcess(_merged(dead.env, changes), self.cwd)
        self.started.append(child)
        if healthy:
            child.wait_healthy()
        return child

    def close(self) -> None:
        for child in self.started:
            child.stop()


@contextmanager
def children(api_url: str, database_url: str, cwd: Path, **settings: str | float | None) -> Iterator[Children]:
    """`Children` on a free port, talking to the fake Web API at `api_url`; always cleaned up."""
    group = Children(child_env(api_url, database_url, free_port(), **settings), cwd)
    try:
        yield group
    finally:
        group.close()
