"""The worker process: `helploop run` acknowledges in one process and does the work in another.

Storing a Slack request and acknowledging it is cheap; answering it (matching, several transactions,
Web API calls) is not. In one Python process both share one interpreter lock, so under a burst the
acks waited behind the work (bench/README.md, "Load"). The web process hands each stored request's id
to a worker child through a pipe; the child runs the inbox workers, the senders and the scheduler at
a lower CPU priority, so when the machine is saturated acks go first and the work catches up after.

The pipe is a hint, never the record: a lost id (full pipe, child restarting) is found by the
worker's sweep, because every request is a row in `inbox` before its id is written here.
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
KICK_FD_ENV = "HELPLOOP_KICK_FD"   # the read end of the pipe, in the worker child
RESTART_PAUSE_SECONDS = 1.0
_PR_SET_PDEATHSIG = 1


class WorkerChild:
    """Starts `helploop run --role worker` as a child, hands it stored ids, restarts it if it dies."""

    def __init__(self, nice: int, stop_seconds: float = 15.0) -> None:
        self.nice, self.stop_seconds = nice, stop_seconds
        self._process: subprocess.Popen[bytes] | None = None
        self._write_fd = -1
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
        self._watcher = threading.Thread(target=self._watch, name="helploop-worker-watch", daemon=True)
        self._watcher.start()

    def kick(self, item_id: int) -> None:
        """Tell the child a request was stored; never blocks (a full pipe drops the hint)."""
        with suppress(BlockingIOError, BrokenPipeError, OSError):
            os.write(self._write_fd, f"{item_id}\n".encode())

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
            code = process.wait(self.stop_seconds)
        except subprocess.TimeoutExpired:
            log.warning("the worker process did not stop within %.0f s: killed", self.stop_seconds)
            process.kill()
            code = process.wait()
        with suppress(OSError):
            os.close(self._write_fd)
        return code

    def _spawn(self) -> None:
        read_fd, write_fd = os.pipe()
        os.set_blocking(write_fd, False)
        env = {**os.environ, KICK_FD_ENV: str(read_fd)}
        command = [sys.executable, "-m", "cli.main", "run", "--role", "worker"]
        with self._lock:
            old = self._write_fd
            self._process = subprocess.Popen(command, env=env, pass_fds=(read_fd,), preexec_fn=self._in_child)
            self._write_fd = write_fd
        os.close(read_fd)
        if old >= 0:
            with suppress(OSError):
                os.close(old)
        log.info("worker process started (pid %s)", self._process.pid)

    def _in_child(self) -> None:
        """Runs in the forked child before exec: die with the parent, yield the CPU to acks."""
        with suppress(Exception):  # Linux only; elsewhere the pipe's end-of-file stops the child
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        os.nice(self.nice)

    def _watch(self) -> None:
        while not self._stopping.is_set():
            process = self._process
            assert process is not None
            code = process.wait()
            if self._stopping.wait(RESTART_PAUSE_SECONDS):
                return
            log.error("the worker process exited (code %s); starting a new one", code)
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


def kick_fd() -> int | None:
    """The pipe this process reads stored ids from, when it is a worker child."""
    value = os.environ.get(KICK_FD_ENV, "")
    return int(value) if value.isdigit() else None
