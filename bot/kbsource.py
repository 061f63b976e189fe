"""The knowledge base the bot serves, reloaded when its files change; a broken edit never goes live."""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from kb import KbError, KnowledgeBase, load_kb

log = logging.getLogger(__name__)
Signature = tuple[tuple[str, int, int], ...]


class KbSource:
    """Holds the last good KB; `reload_if_changed` swaps in a new one only when it loads cleanly."""

    def __init__(self, kb_dir: Path, on_error: Callable[[list[str]], None] | None = None) -> None:
        self.kb_dir = kb_dir
        self.on_error = on_error
        self._lock = threading.Lock()
        self._signature = self._scan()
        self._kb = load_kb(kb_dir)  # at start a broken KB is fatal: there is no last good one
        self._failed_signature: Signature | None = None

    def current(self) -> KnowledgeBase:
        """The KB to answer from right now."""
        return self._kb

    def reload_if_changed(self) -> bool:
        """Reload when a file was added, removed or modified; True when a new KB went live."""
        signature = self._scan()
        if signature == self._signature or signature == self._failed_signature:
            return False
        with self._lock:
            try:
                kb = load_kb(self.kb_dir)
            except KbError as error:
                self._failed_signature = signature  # report a broken edit once, not on every tick
                log.error("knowledge base reload failed; still serving the last good one:\n%s", error)
                if self.on_error:
                    self.on_error(error.errors)
                return False
            self._kb, self._signature, self._failed_signature = kb, signature, None
        log.info("knowledge base reloaded: %d entries", len(kb.entries))
        return True

    def _scan(self) -> Signature:
        try:
            files = sorted(self.kb_dir.glob("*.yaml"))
            return tuple((f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in files)
        except OSError:
            return ()
