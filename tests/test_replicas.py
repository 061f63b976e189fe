"""Two bot processes on one database: every due follow-up is sent exactly once."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone

from bot.localslack import LocalSlack
from bot.replicas import run_replicas, seed_due_followups
from tests.flows import text_of

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)


def test_two_replicas_send_each_of_1000_due_follow_ups_exactly_once(database_url):
    seed_due_followups(database_url, 1000, NOW)
    with LocalSlack() as slack:
        results = run_replicas(2, database_url, slack.base_url, NOW)
        asked = Counter(c.args["channel"] for c in slack.calls("chat.postMessage") if "really fixed?" in text_of(c))
    assert sum(r.acted for r in results) == 1000
    assert len(asked) == 1000 and set(asked.values()) == {1}
