"""How long `helploop report` takes to compute on many requests: a data generator and a timing.

Run by hand:  .venv/bin/python bench/report.py [--count 1000000] [--database-url URL] [--keep] [--exact] [--cold]
Default databases: a SQLite file and, when reachable, PostgreSQL on 127.0.0.1 (a fresh schema, dropped after).
The generator bulk-inserts requests with their audit rows (SQLite: executemany; PostgreSQL: COPY) spread
over a year, in the example KB's departments, with the mix of outcomes of a busy helpdesk; the per-request facts
the write path keeps are then derived from those audit rows in SQL, as migration 0010 does for old databases.

Then: the worker's rollup is built from nothing (a day before the end), the report is timed (weekly and daily
periods), a last day of 3,000 new requests arrives (the report computes that day itself), the report is timed
again, and the worker's next rollup is timed. `--exact` also computes every percentile from all the values (no
sample) and prints how far the sampled medians and p90s are from them.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402

from bot.measures import Report, compute_report  # noqa: E402
from bot.rollup import refresh_rollup  # noqa: E402
from kb import load_kb  # noqa: E402
from storage.engine import make_engine, make_sessions  # noqa: E402
from storage.fact_queries import backfill  # noqa: E402
from storage.measure_queries import Selection  # noqa: E402
from storage.migrate import upgrade  # noqa: E402

START = datetime(2025, 12, 1, tzinfo=UTC)
NOW = datetime(2026, 12, 1, tzinfo=UTC)
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEPARTMENTS = {"it": ["U0HLANNA", "U0HLPIOTR", "U0HLMINH", "U0HLKASIA"], "hr": ["U0HLMAGDA", "U0HLLINH"],
               "facilities": ["U0HLTHAO", "U0HLHUNG", "U0HLEWA"], "finance": ["U0HLMAREK", "U0HLTRANG"]}
ENTRIES = [f"entry-{i}" for i in range(60)]
REQUEST_COLUMNS = ("id", "channel_id", "root_ts", "message_ts", "user_id", "source", "text", "department_id",
                   "status", "resolution", "kb_entry_id", "claimed_by", "resolved_by", "reopen_count",
                   "escalation_level", "transfer_count", "anonymous", "created_at", "updated_at", "escalated_at",
                   "claimed_at", "resolved_at", "closed_at", "first_human_reply_at")
AUDIT_COLUMNS = ("request_id", "at", "actor", "action", "from_status", "to_status", "detail")
SURVEY_COLUMNS = ("kind", "request_id", "department_id", "staff_id", "user_id", "sampled", "asked_at", "score",
                  "answered_at")
RELAY = json.dumps({"direction": "to_requester"})
DEPARTMENTS_KB = load_kb(Path(__file__).resolve().parent.parent / "kb" / "example").departments


def one_request(rid: int, rnd: random.Random, start: datetime = START,
                end: datetime = NOW - timedelta(days=30)) -> tuple[dict, list[tuple]]:
    """A request created in [start, end) and its audit rows: self-served, expired, a false answer, or escalated."""
    created = start + timedelta(seconds=rnd.randrange(int((end - start).total_seconds())))
    department = rnd.choice(list(DEPARTMENTS))
    entry = rnd.choice(ENTRIES)
    row = dict.fromkeys(REQUEST_COLUMNS)
    row.update(id=rid, channel_id="D0HLEMP", root_ts=f"{rid}.0", message_ts=f"{rid}.0", user_id=f"U{rid % 5000}",
               source="dm", text="a question", department_id=department, reopen_count=0, escalation_level=0,
               transfer_count=0, anonymous=False, created_at=created)
    events: list[tuple] = []

    def event(at: datetime, actor: str, action: str, src: str | None, dst: str | None, detail: str | None = None):
        events.append((rid, at, actor, action, src, dst, detail))
        return at

    kind = rnd.random()
    if kind < 0.55:
        event(created, row["user_id"], "created", None, "answered")
        row["kb_entry_id"] = entry
        if kind < 0.40:
            done = event(created + timedelta(minutes=rnd.randint(1, 30)), row["user_id"], "self_served", "answered",
                         "closed")
            row.update(status="closed", resolution="self_served", resolved_at=done, closed_at=done, updated_at=done)
            return row, events
        if kind < 0.47:
            done = event(created + timedelta(days=7), "helploop", "answer_expired", "answered", "closed")
            row.update(status="closed", resolution="answer_expired", closed_at=done, updated_at=done)
            return row, events
        escalated = event(created + timedelta(minutes=rnd.randint(1, 20)), row["user_id"], "escalated", "answered",
                          "escalated")
    else:
        escalated = event(created, row["user_id"], "created", None, "escalated")
    _staff_part(row, event, escalated, rnd)
    return row, events


def _staff_part(row: dict, event, escalated: datetime, rnd: random.Random) -> None:
    staff = rnd.choice(DEPARTMENTS[row["department_id"]])
    row.update(escalated_at=escalated, status="escalated", updated_at=escalated)
    if rnd.random() < 0.03:
        return  # still waiting
    claimed = event(escalated + timedelta(minutes=rnd.expovariate(1 / 40)), staff, "claimed", "escalated", "claimed")
    replied = event(claimed + timedelta(minutes=rnd.expovariate(1 / 10)), staff, "relayed", "claimed", "claimed", RELAY)
    resolved = event(replied + timedelta(minutes=rnd.expovariate(1 / 120)), staff, "resolved", "claimed", "resolved")
    row.update(claimed_by=staff, resolved_by=staff, claimed_at=claimed, first_human_reply_at=replied,
               resolved_at=resolved, status="resolved", updated_at=resolved)
    verdict = rnd.random()
    later = resolved + timedelta(hours=24)
    if verdict < 0.6:
        event(later, row["user_id"], "confirmed", "resolved", "closed")
        row.update(status="closed", resolution="confirmed", closed_at=later, updated_at=later)
        if rnd.random() < 0.5:  # half of the confirmed fixes are rated, mostly well
            row["rating"] = ("rating", row["id"], row["department_id"], staff, row["user_id"], True, later,
                             rnd.choices([1, 2, 3, 4, 5], [2, 3, 10, 35, 50])[0], later)
    elif verdict < 0.9:
        event(later + timedelta(hours=72), "helploop", "followup_expired", "resolved", "closed")
        row.update(status="closed", resolution="unconfirmed", closed_at=later, updated_at=later)
    else:
        event(later, row["user_id"], "reopened", "resolved", "reopened")
        again = event(later + timedelta(hours=2), staff, "resolved", "reopened", "resolved")
        row.update(reopen_count=1, resolved_at=again, updated_at=again)


def generate(url: str, count: int, seed: int = 7, chunk: int = 20000, first_id: int = 1,
             window: tuple[datetime, datetime] = (START, NOW - timedelta(days=30))) -> float:
    """Insert `count` requests created in `window` with their audit rows; returns seconds taken."""
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    rnd = random.Random(seed)
    began = time.perf_counter()
    raw = create_engine(url.replace("postgresql://", "postgresql+psycopg://")).raw_connection()
    try:
        for first in range(first_id, first_id + count, chunk):
            made = [one_request(rid, rnd, *window) for rid in range(first, min(first + chunk, first_id + count))]
            _insert(raw, [r for r, _ in made], [e for _, es in made for e in es], url.startswith("sqlite"))
            _insert_ratings(raw, [r["rating"] for r, _ in made if r.get("rating")], url.startswith("sqlite"))
        raw.commit()
    finally:
        raw.close()
    return time.perf_counter() - began


def derive_facts(url: str) -> float:
    """Fill request_facts and request_work from the generated audit rows (the SQL of migration 0010, which the
    write path agrees with: tests/test_request_facts.py); returns seconds taken."""
    engine = make_engine(url)
    began = time.perf_counter()
    try:
        with make_sessions(engine).begin() as session:
            backfill(session)
    finally:
        engine.dispose()
    return time.perf_counter() - began


def _insert(raw, requests: list[dict], events: list[tuple], sqlite: bool) -> None:
    cursor = raw.cursor()
    if sqlite:
        def value(v):
            return v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(v, datetime) else v
        cursor.executemany(f"INSERT INTO requests ({', '.join(REQUEST_COLUMNS)}) VALUES "
                           f"({', '.join('?' * len(REQUEST_COLUMNS))})",
                           [tuple(value(r[c]) for c in REQUEST_COLUMNS) for r in requests])
        cursor.executemany(f"INSERT INTO audit_events ({', '.join(AUDIT_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           [tuple(value(v) for v in e) for e in events])
        return
    with cursor.copy(f"COPY requests ({', '.join(REQUEST_COLUMNS)}) FROM STDIN") as copy:
        for r in requests:
            copy.write_row([r[c] for c in REQUEST_COLUMNS])
    with cursor.copy(f"COPY audit_events ({', '.join(AUDIT_COLUMNS)}) FROM STDIN") as copy:
        for e in events:
            copy.write_row(e)


def _insert_ratings(raw, rows: list[tuple], sqlite: bool) -> None:
    cursor = raw.cursor()
    if sqlite:
        cursor.executemany(f"INSERT INTO surveys ({', '.join(SURVEY_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           [tuple(v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(v, datetime)
                                  else v for v in r) for r in rows])
        return
    with cursor.copy(f"COPY surveys ({', '.join(SURVEY_COLUMNS)}) FROM STDIN") as copy:
        for r in rows:
            copy.write_row(r)


def time_report(url: str, period: str = "week", repeat: int = 2, exact: bool = False) -> tuple[list[float], Report]:
    """Seconds to compute the whole report (every group, every measure), `repeat` times."""
    engine = make_engine(url)
    out = []
    try:
        for _ in range(repeat):
            began = time.perf_counter()
            report = compute_report(make_sessions(engine), DEPARTMENTS_KB, Selection(period=period), NOW, exact)
            out.append(time.perf_counter() - began)
    finally:
        engine.dispose()
    return out, report


def roll_up(url: str, now: datetime) -> tuple[float, int]:
    """The worker's rollup run at `now`: seconds taken and days rolled up."""
    engine = make_engine(url)
    try:
        began = time.perf_counter()
        days = refresh_rollup(make_sessions(engine), DEPARTMENTS_KB, now)
        return time.perf_counter() - began, days
    finally:
        engine.dispose()


def sampling_error(url: str, sampled: Report) -> str:
    """The largest relative difference between the sampled and the exact medians and p90s (groups of >= 1,000)."""
    took, exact = time_report(url, repeat=1, exact=True)
    worst: dict[str, tuple[float, str]] = {}
    for name in ("overall", "departments", "staff", "periods"):
        pairs = zip(_listed(getattr(sampled, name)), _listed(getattr(exact, name)), strict=True)
        for a, b in pairs:
            for timing, t in a.timings.items():
                e = b.timings[timing]
                for stat in ("median", "p90", "median_working", "p90_working"):
                    x, y = getattr(t, stat), getattr(e, stat)
                    if x is not None and y is not None and t.estimated:  # durations under a minute count as one
                        error, where = abs(x - y) / max(y, 60.0), f"{name} {stat.split('_')[0]}"
                        if error >= worst.get(where, (0.0, ""))[0]:
                            worst[where] = (error, f"{a.key} {timing} {stat} {x:.0f} s vs {y:.0f} s")
    return (f"exact report {took[0]:.1f} s; largest relative error of an estimated median/p90: "
            + "; ".join(f"{k} {v:.1%} ({what})" for k, (v, what) in worst.items()))


def _listed(value):
    return value if isinstance(value, list) else [value]


def run(url: str, count: int, exact: bool, cold: bool) -> None:
    """Generate, roll up, time the report, add a day, time it again."""
    print(f"  generated in {generate(url, count):.1f} s")
    print(f"  facts derived from the audit rows (migration 0010's backfill) in {derive_facts(url):.1f} s")
    if cold:
        timings, _ = time_report(url, repeat=1)
        print(f"  report before any rollup (every day computed now): {timings[0]:.1f} s")
    took, days = roll_up(url, NOW - timedelta(days=1))
    print(f"  rollup built from nothing: {days} days in {took:.1f} s")
    reports = {}
    for period in ("week", "day"):
        timings, reports[period] = time_report(url, period)
        print(f"  report, {'daily' if period == 'day' else 'weekly'} periods: {', '.join(f'{t:.2f}' for t in timings)} s "
              f"({reports[period].overall.counts['requests']} requests, {len(reports[period].periods)} periods)")
    if exact:
        print("  " + sampling_error(url, reports["week"]))
    print(f"  a last day of 3000 requests added in {generate(url, 3000, 8, 3000, count + 1, (NOW - timedelta(days=1), NOW)):.1f} s")
    timings, report = time_report(url)
    print(f"  report with that day computed now: {', '.join(f'{t:.2f}' for t in timings)} s "
          f"({report.overall.counts['requests']} requests)")
    took, days = roll_up(url, NOW)
    print(f"  the worker's next rollup: {days} days in {took:.1f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--database-url", action="append",
                        help="a URL, or `postgres` for a fresh schema on local PostgreSQL (default: a SQLite file and that)")
    parser.add_argument("--keep", action="store_true", help="keep the generated databases")
    parser.add_argument("--exact", action="store_true", help="also compare the sampled percentiles with exact ones")
    parser.add_argument("--cold", action="store_true", help="also time a report before the first rollup")
    args = parser.parse_args()
    targets = args.database_url or [f"sqlite:///{tempfile.mkdtemp()}/report.db", "postgres"]
    for url in targets:
        schema = None
        if url == "postgres":
            schema = f"bench_report_{uuid.uuid4().hex[:8]}"
            try:
                with create_engine(PG).begin() as conn:
                    conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            except Exception as error:  # no server here: say so and go on
                print(f"PostgreSQL skipped: {str(error).splitlines()[0]}")
                continue
            url = f"{PG}?options=-csearch_path%3D{schema}"
        try:
            print(f"{url.split('?')[0]}: generating {args.count} requests ...")
            run(url, args.count, args.exact, args.cold)
        finally:
            if schema and not args.keep:
                with create_engine(PG).begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    return 0


if __name__ == "__main__":
    sys.exit(main())
