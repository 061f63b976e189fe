"""How long 10,000 due follow-ups take to send with one and with two bot processes on one database.

Run by hand:  .venv/bin/python bench/timers.py [--count 10000] [--database-url URL]
Default databases: a SQLite file and, when reachable, PostgreSQL on 127.0.0.1 (a fresh schema).
The Slack Web API is the local stand-in (bot/localslack.py), so the figures measure helploop and
the database, not Slack's latency.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402

from localslack.webapi import LocalSlack, render_message  # noqa: E402
from tests.replicas import run_replicas, seed_due_timers  # noqa: E402
from bot.words import TimerKind# noqa: E402

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def measure(label: str, url: str, count: int, processes: int) -> None:
    """Seed `count` due follow-ups, drain them with `processes` replicas, print the figures."""
    seed_due_timers(url, count, NOW, (TimerKind.FOLLOWUP,))
    with LocalSlack() as slack:
        results = run_replicas(processes, url, slack.base_url, NOW)
        asked = Counter(c.args["channel"] for c in slack.calls("chat.postMessage")
                        if "really fixed?" in "\n".join(render_message(c.args)))
    wall = max(r.seconds for r in results)
    exactly_once = len(asked) == count and set(asked.values()) == {1}
    print(f"{label:11} {processes} process(es): {count} follow-ups in {wall:6.1f} s "
          f"= {count / wall:6.0f}/s; per process {[r.acted for r in results]}; "
          f"exactly once: {exactly_once}")


def pg_schema_url(server: str) -> str | None:
    """A fresh schema on the PostgreSQL server, or None if it does not answer."""
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    try:
        engine = create_engine(server, connect_args={"connect_timeout": 3})
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine.dispose()
    except Exception as error:  # report and carry on with SQLite
        print(f"PostgreSQL skipped: {str(error).splitlines()[0]}")
        return None
    return f"{server}?options=-csearch_path%3D{schema}"


def main() -> None:
    """Entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--pg", default=PG, help="PostgreSQL server URL (default: %(default)s)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for processes in (1, 2):
            measure("sqlite", f"sqlite:///{tmp}/bench-{processes}.db", args.count, processes)
    for processes in (1, 2):
        url = pg_schema_url(args.pg)
        if url:
            measure("postgresql", url, args.count, processes)


if __name__ == "__main__":
    main()
