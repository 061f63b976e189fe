"""ArrivalPacer: answering holds back while Slack requests arrive in a burst, never for long."""
from __future__ import annotations

from bot.pacing import ArrivalPacer


class FakeTime:
    """A monotonic clock that only moves when someone sleeps (or the test moves it)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def pacer(fake: FakeTime, **options: float) -> ArrivalPacer:
    return ArrivalPacer(burst_per_second=100, window=0.2, longest_yield=1.0, monotonic=fake.monotonic,
                        sleep=fake.sleep, **options)


def test_a_quiet_inbox_does_not_wait():
    fake = FakeTime()
    p = pacer(fake)
    for _ in range(10):  # 50 per second over the window: below the burst rate
        p.arrived()
    assert p.rate() == 50
    assert p.hold_back() == 0 and fake.slept == []


def test_a_burst_holds_back_until_the_window_has_passed_it():
    fake = FakeTime()
    p = pacer(fake)
    for _ in range(30):  # 150 per second
        p.arrived()
    waited = p.hold_back()
    assert 0 < waited < 0.31 and p.rate() == 0  # the burst's arrivals left the window, then it went on


def test_a_burst_that_never_ends_holds_back_at_most_the_longest_yield():
    fake = FakeTime()
    p = pacer(fake)

    def sleep_while_more_arrive(seconds: float) -> None:
        FakeTime.sleep(fake, seconds)
        for _ in range(40):
            p.arrived()

    p._sleep = sleep_while_more_arrive  # requests keep pouring in while the worker waits
    for _ in range(40):
        p.arrived()
    assert p.hold_back() == 1.0
    assert sum(fake.slept) == 1.0
