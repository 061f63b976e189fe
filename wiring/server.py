"""Serve the WSGI app with waitress (multi-threaded, production-grade) and tick the timers."""
from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any

from waitress import wasyncore
from waitress.server import create_server

log = logging.getLogger(__name__)
MAX_BODY = 1_000_000  # bytes; Slack's requests are far smaller


class Server:
    """A waitress server on a background thread (port 0 picks a free port), or on a listening socket
    another process opened (`sock`)."""

    def __init__(self, app: Callable[..., Iterable[bytes]], host: str = "127.0.0.1", port: int = 0,
                 threads: int = 12, sock: socket.socket | None = None) -> None:
        where: dict[str, Any] = {"sockets": [sock]} if sock is not None else {"host": host, "port": port}
        self._server: Any = create_server(app, threads=threads, max_request_body_size=MAX_BODY,
                                          clear_untrusted_proxy_headers=True, **where)
        self._thread: threading.Thread | None = None

    @property
    def fileno(self) -> int:
        """The listening socket's descriptor (handed to extra web processes)."""
        return int(self._server.socket.fileno())

    @property
    def port(self) -> int:
        """The port actually bound."""
        return int(self._server.effective_port)

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:3000."""
        return f"http://{self._server.effective_host}:{self.port}"

    def serve_forever(self) -> None:
        """Serve on the calling thread until closed."""
        self._server.run()

    def start(self) -> Server:
        """Serve on a daemon thread."""
        self._thread = threading.Thread(target=self.serve_forever, name="helploop-http", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving: close the sockets from inside the server's own loop, then its workers."""
        server = self._server
        if self._thread and self._thread.is_alive():
            # Closing sockets from another thread while the loop is in select() raises EBADF there.
            server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
            self._thread.join(timeout=5)
        else:
            server.close()
        server.task_dispatcher.shutdown()
