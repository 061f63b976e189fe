"""The child processes of `helploop run`: one worker does the work; extra web processes share the acks.

Storing a Slack request and acknowledging it is cheap; answering it (matching, several transactions,
Web API calls) is not. In one Python process both share one interpreter lock, so under a burst the
acks waited behind the work (bench/README.md, "Load"). The web process hands each stored request's id
to a worker child through a pipe; the child runs the inbox workers, the senders and the scheduler at
a lower CPU priority, so when the machine is saturated acks go first and the work catches up after.

The pipe is a hint, never the record: a lost id (full pipe, child restarting) is found by the
worker's sweep, because every request is a row in `inbox` before its id is written here.

Acknowledging is bound by one interpreter lock too (waitress, signature check, the store), so
WEB_PROCESSES > 1 starts `helploop run --role web` children that accept on the web process's own
listening socket and write their ids into the same pipe: whichever process is free takes the next
connection (bench/README.md, "Load, round 4").
"""
from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import suppress

log = logging.getLogger("helploop")
KICK_FD_ENV = "HELPLOOP_KICK_FD"              # the read end of the kick pipe, in the worker child
KICK_WRITE_FD_ENV = "HELPLOOP_KICK_WRITE_FD"  # its write end, in an extra web child
LISTEN_FD_ENV = "HELPLOOP_LISTEN_FD"          # the listening socket, in an extra web child
RESTART_PAUSE_SECONDS = 1.0
_PR_SET_PDEATHSIG = 1


class KickPipe:
    """The pipe every acknowledging process writes stored ids into and the worker reads.

    The web process keeps both ends for its lifetime, so the pipe outlives a worker restart: ids written
    while no worker runs wait in it (or, when it is full, are dropped for the sweep to find).
    """

    def __init__(self) -> None:
        self.read_fd, self.write_fd = os.pipe()
        os.set_blocking(self.write_fd, False)

    def kick(self, item_id: int) -> None:
        """Tell the worker a request was stored; never blocks."""
        write_kick(self.write_fd, item_id)

    def close(self) -> None:
        """Close both ends (the worker then reads end-of-file)."""
        for fd in (self.write_fd, self.read_fd):
            with suppress(OSError):
                os.close(fd)


def write_kick(fd: int, item_id: int) -> None:
    """Write one stored id into the kick pipe; a full or closed pipe drops the hint."""
    with suppress(BlockingIOError, BrokenPipeError, OSError):
        os.write(fd, f"{item_id}\n".encode())


class ChildProcess:
    """Starts `helploop run --role ROLE` as a child with some of this process's descriptors, starts it again
    when it dies alone, and stops it with SIGTERM."""

    def __init__(self, role: str, nice: int, fds: dict[str, int], stop_seconds: float = 15.0) -> None:
        self.role, self.nice, self.fds, self.stop_seconds = role, nice, fds, stop_seconds
        self._process: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._watcher: threading.Thread | None = None

    @property
    def pid(self) -> int | None:
        """The child's process id (None before it started)."""
        return self._process.pid if self._process else None

    def start(self) -> None:
        """Start the child and a thread that restarts it when it dies unexpectedly."""
        self._spawn()
        self._watcher = threading.Thread(target=self._watch, name=f"helploop-{self.role}-watch", daemon=True)
        self._watcher.start()

    def stop(self) -> int | None:
        """SIGTERM the child, let it finish its work (SIGKILL after the deadline); its exit code."""
        self._stopping.set()
        with self._lock:
            process = self._process
        if process is None:
            return None
        with suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            return process.wait(self.stop_seconds)
        except subprocess.TimeoutExpired:
            log.warning("the %s process did not stop within %.0f s: killed", self.role, self.stop_seconds)
            process.kill()
            return process.wait()

    def _spawn(self) -> None:
        env = {**os.environ, **{name: str(fd) for name, fd in self.fds.items()}}
        command = [sys.executable, "-m", "cli.main", "run", "--role", self.role]
        with self._lock:
            self._process = subprocess.Popen(command, env=env, pass_fds=tuple(self.fds.values()),
                                             preexec_fn=self._in_child)
        log.info("%s process started (pid %s)", self.role, self._process.pid)

    def _in_child(self) -> None:
        """Runs in the forked child before exec: die with the parent; a worker yields the CPU to acks."""
        with suppress(Exception):  # Linux only; elsewhere the pipe's end-of-file stops a worker
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if self.nice:
            os.nice(self.nice)

    def _watch(self) -> None:
        while not self._stopping.is_set():
            process = self._process
            assert process is not None
            code = process.wait()
            if self._stopping.wait(RESTART_PAUSE_SECONDS):
                return
            log.error("the %s process exited (code %s); starting a new one", self.role, code)
            self._spawn()


def read_kicks(kick: Callable[[int], None], fd: int, on_parent_gone: Callable[[], None]) -> threading.Thread:
    """In the worker: a thread that passes each id from the web process to `kick`.

    End of file means the web process is gone without stopping this one (kill -9): the child stops
    the same way, at once, as a process killed with it would.
    """
    def loop() -> None:
        with os.fdopen(fd, "rb", buffering=0) as pipe, suppress(OSError):
            for line in _lines(pipe):
                with suppress(ValueError):
                    kick(int(line))
        on_parent_gone()

    thread = threading.Thread(target=loop, name="helploop-kicks", daemon=True)
    thread.start()
    return thread


def _lines(pipe) -> Iterator[bytes]:
    pending = b""
    while chunk := pipe.read(65536):
        pending += chunk
        *lines, pending = pending.split(b"\n")
        yield from lines


def inherited_fd(name: str) -> int | None:
    """A descriptor the parent passed under `name` (KICK_FD_ENV, KICK_WRITE_FD_ENV, LISTEN_FD_ENV), if any."""
    value = os.environ.get(name, "")
    return int(value) if value.isdigit() else None
