"""Two bot processes on one database: every due follow-up, escalation step and reminder runs once."""
from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime

from localslack.webapi import LocalSlack
from tests.replicas import run_replicas, seed_due_timers
from tests.flows import text_of

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # Tuesday 11:00 in Warsaw: working hours


def test_two_replicas_run_each_of_1000_due_timers_exactly_once(database_url):
    seed_due_timers(database_url, 1000, NOW)
    with LocalSlack() as slack:
        results = run_replicas(2, database_url, slack.base_url, NOW)
        messages = [text_of(c) for c in slack.calls("chat.postMessage")]
        followups = Counter(c.args["channel"] for c in slack.calls("chat.postMessage")
                            if "really fixed?" in text_of(c))
    pages = Counter(re.search(r"Request #(\d+) for", m)[1] for m in messages if "has not been claimed" in m)
    reminders = Counter(re.search(r"Request #(\d+) from", m)[1] for m in messages if "still open with you" in m)
    assert sum(r.acted for r in results) == 1000
    assert (len(followups), len(pages), len(reminders)) == (334, 333, 333)
    assert set(followups.values()) == set(pages.values()) == set(reminders.values()) == {1}
