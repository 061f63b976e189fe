"""`helploop run` as a service: clean one-line startup errors, graceful SIGTERM, documented exit codes."""
from __future__ import annotations

import errno
import functools
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from kb import KbError
from storage import migrate
from storage.engine import make_engine
from wiring.app import Helploop, build
from wiring.scheduler import start_scheduler
from wiring.server import Server
from wiring.settings import Settings
from wiring.worker import (KICK_FD_ENV, KICK_WRITE_FD_ENV, LISTEN_FD_ENV, ChildProcess, KickPipe, inherited_fd,
                           read_kicks, write_kick)

log = logging.getLogger("helploop")
README_HINT = 'See README.md, section "Create the Slack app".'


class ExitCode:
    """What `helploop run` exits with (README, section "Run")."""

    OK = 0                 # stopped by SIGTERM/SIGINT after finishing in-flight work
    KB_INVALID = 1         # the knowledge base does not load
    CONFIG = 2             # a setting is missing or malformed
    DATABASE = 3           # the database cannot be reached or migrated
    SLACK = 4              # Slack (auth.test) cannot be reached or rejects the token
    PORT = 5               # the HTTP port cannot be bound


@dataclass
class StartupError(Exception):
    """A startup failure explained in one line, with its exit code."""

    code: int
    message: str


def run_service(settings: Settings, host: str, err: TextIO = sys.stderr, role: str = "all") -> int:
    """Start, serve until SIGTERM/SIGINT, stop gracefully; one clear line on stderr if startup fails.

    Roles: "all" acknowledges here and works in a child process (or here too, without WORKER_PROCESS);
    "web" only stores and acknowledges; "worker" only works (the child, or a separate deployment).
    """
    missing = settings.missing_credentials()
    if missing:
        print(f"helploop run: missing {', '.join(missing)}. Set them in the environment or in .env "
              f"(see .env.example). {README_HINT}\nTo try helploop without Slack: helploop demo", file=err)
        return ExitCode.CONFIG
    if role == "worker":
        return _run_worker(settings, err)
    try:
        helploop = _start(settings, upgrade=inherited_fd(LISTEN_FD_ENV) is None)  # a web child's parent did
        server = None if settings.slack_app_token else _bind(helploop, host, settings.port)
    except StartupError as error:
        print(f"helploop run: {error.message}", file=err)
        return error.code
    stop = threading.Event()
    _on_signals(stop)
    children, pipe = _hand_off(helploop, settings, server) if role == "all" and settings.worker_process else ([], None)
    scheduler = _schedule(helploop) if role == "all" and pipe is None else None
    if role == "web":
        helploop.inbox.hand_off(_web_kicks())
    try:
        _serve(helploop, server, stop)
    finally:
        log.info("stopping: no new work; finishing what is in flight")
        if server is not None:
            server.close()
        for child in children:  # extra web processes first: their acks hand work to the worker
            child.stop()
        if pipe is not None:
            pipe.close()
        if scheduler is not None:
            scheduler.shutdown(wait=True)
        helploop.close()
        log.info("stopped")
    return ExitCode.OK


def _run_worker(settings: Settings, err: TextIO) -> int:
    """The working half: inbox workers, senders and the scheduler, no HTTP, until SIGTERM."""
    try:
        helploop = _start(settings, upgrade=False)
    except StartupError as error:
        print(f"helploop run --role worker: {error.message}", file=err)
        return error.code
    stop = threading.Event()
    _on_signals(stop)
    scheduler = _schedule(helploop)
    fd = inherited_fd(KICK_FD_ENV)
    if fd is not None:
        read_kicks(helploop.inbox.kick, fd, on_parent_gone=lambda: os.kill(os.getpid(), signal.SIGKILL))
    log.info("worker ready")
    try:
        stop.wait()
    finally:
        log.info("worker stopping: finishing what is in flight")
        scheduler.shutdown(wait=True)
        helploop.close()
    return ExitCode.OK


def _hand_off(helploop: Helploop, settings: Settings,
              server: Server | None) -> tuple[list[ChildProcess], KickPipe]:
    """Start the worker child and, over HTTP, WEB_PROCESSES - 1 web children on this process's socket."""
    pipe = KickPipe()
    worker = ChildProcess("worker", settings.worker_nice, {KICK_FD_ENV: pipe.read_fd})
    worker.start()
    helploop.inbox.hand_off(pipe.kick)
    webs = [] if server is None else [
        ChildProcess("web", 0, {LISTEN_FD_ENV: server.fileno, KICK_WRITE_FD_ENV: pipe.write_fd})
        for _ in range(settings.web_processes - 1)]
    for web in webs:
        web.start()
    return [*webs, worker], pipe


def _web_kicks() -> Callable[[int], None]:
    """Where a web process sends stored ids: into its parent's worker pipe, or nowhere (a separate worker's
    sweep finds them)."""
    fd = inherited_fd(KICK_WRITE_FD_ENV)
    return (lambda _item_id: None) if fd is None else functools.partial(write_kick, fd)


def _schedule(helploop: Helploop) -> BackgroundScheduler:
    settings = helploop.settings
    return start_scheduler(helploop.tick, settings.tick_seconds, helploop.sweep, settings.sweep_seconds,
                           helploop.kb_source.reload_if_changed, settings.kb_reload_seconds,
                           purge=helploop.retention.purge if helploop.retention else None,
                           rollup=helploop.rollup.run if helploop.rollup else None)


def _serve(helploop: Helploop, server: Server | None, stop: threading.Event) -> None:
    if server is None:
        log.info("connecting to Slack in Socket Mode")
        helploop.serve_socket_mode(stop)
    else:
        server.start()
        log.info("listening on %s/slack/events (health: /health)", server.url)
        stop.wait()


def _start(settings: Settings, upgrade: bool = True) -> Helploop:
    try:
        if not upgrade:
            _require_current_schema(settings)
        return build(settings, upgrade=upgrade)
    except KbError as error:
        raise StartupError(ExitCode.KB_INVALID, f"the knowledge base in {settings.kb_dir} is invalid:\n{error}") \
            from None
    except SQLAlchemyError as error:
        where = make_url(settings.database_url).render_as_string(hide_password=True)
        raise StartupError(ExitCode.DATABASE, f"cannot use the database {where}: {_first_line(error)}. "
                                              "Check DATABASE_URL and that the server is running.") from None
    except Exception as error:  # Bolt checks the token with auth.test while it is built
        if isinstance(error, OSError) or type(error).__module__.startswith("slack"):
            raise StartupError(ExitCode.SLACK, f"cannot reach Slack at {settings.slack_api_url} with the bot "
                                               f"token: {_first_line(error)}. Check SLACK_BOT_TOKEN, "
                                               "SLACK_API_URL and the network.") from None
        raise


def _require_current_schema(settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    try:
        current, head = migrate.current_revision(engine), migrate.head_revision()
    finally:
        engine.dispose()
    if current != head:
        raise StartupError(ExitCode.DATABASE, f"the database schema is at {current or 'nothing'}, this version "
                                              f"needs {head}: run `helploop db upgrade` first.")


def _bind(helploop: Helploop, host: str, port: int) -> Server:
    inherited = inherited_fd(LISTEN_FD_ENV)
    if inherited is not None:  # an extra web process accepts on its parent's socket
        return Server(helploop.wsgi, sock=socket.socket(fileno=inherited))
    try:
        return Server(helploop.wsgi, host=host, port=port)
    except OSError as error:
        helploop.close()
        reason = "is already in use" if error.errno == errno.EADDRINUSE else f"cannot be opened ({error.strerror})"
        raise StartupError(ExitCode.PORT, f"port {port} on {host} {reason}. Choose another with PORT.") from None


def _on_signals(stop: threading.Event) -> None:
    def shutdown(signum: int, _frame: object) -> None:
        stop.set()  # the main thread wakes and shuts down in order; nothing else runs in a handler

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return (text.splitlines() or [type(error).__name__])[0][:300]
