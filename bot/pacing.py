"""Acks first: while Slack requests arrive in a burst, the workers that answer them hold back.

An ack has a hard deadline (Slack's 3 s); an answer does not. Storing and acknowledging is cheap,
answering is not (matching, several transactions, Web API calls), and both share the machine's
cores and the database. So while requests arrive faster than `burst_per_second`, a worker waits
before it takes up the next request, a short step at a time, and never longer than
`longest_yield` per request: answering slows during a burst, never stops, and catches up after it.
The arrival rate is what the inbox sees: the web process's hints in the worker process, or the
stored requests themselves when everything runs in one process.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class ArrivalPacer:
    """Counts arrivals over a short window; `hold_back` waits while they come in a burst."""

    def __init__(self, burst_per_second: float = 100.0, window: float = 0.2, longest_yield: float = 1.0, *,
                 monotonic: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.burst_per_second, self.window, self.longest_yield = burst_per_second, window, longest_yield
        self._monotonic, self._sleep = monotonic, sleep
        self._arrivals: deque[float] = deque()
        self._lock = threading.Lock()

    def arrived(self) -> None:
        """One request came in."""
        now = self._monotonic()
        with self._lock:
            self._arrivals.append(now)
            self._forget(now)

    def rate(self) -> float:
        """Arrivals per second over the last window."""
        now = self._monotonic()
        with self._lock:
            self._forget(now)
            return len(self._arrivals) / self.window

    def hold_back(self) -> float:
        """Wait while requests arrive in a burst (at most `longest_yield`); returns the seconds waited."""
        waited = 0.0
        while waited < self.longest_yield and self.rate() > self.burst_per_second:
            step = min(self.window / 2, self.longest_yield - waited)
            self._sleep(step)
            waited += step
        return waited

    def _forget(self, now: float) -> None:
        while self._arrivals and self._arrivals[0] < now - self.window:
            self._arrivals.popleft()
