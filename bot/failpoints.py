"""Named moments where a crash test can freeze the process (to `kill -9` it there); inert otherwise."""
from __future__ import annotations

import os
import sys
import threading

ENV = "HELPLOOP_PAUSE_AT"  # e.g. "before_process" or "before_send"; unset in production


def failpoint(name: str) -> None:
    """If HELPLOOP_PAUSE_AT names this point, announce it on stderr and block this thread for good."""
    if os.environ.get(ENV) != name:
        return
    sys.stderr.write(f"helploop: paused at {name}\n")  # one write: paused threads' lines never interleave
    sys.stderr.flush()
    threading.Event().wait()
