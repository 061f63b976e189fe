"""Load: signed DM events from concurrent clients into `helploop run` and into a bare Bolt app, side by side.

Run by hand (not a test):

    .venv/bin/python bench/load.py                       # bare, sqlite, postgresql; 2,000 events each
    .venv/bin/python bench/load.py --events 2000 --clients 8 --rounds 3 --profile
    .venv/bin/python bench/load.py --only postgresql --profile
    .venv/bin/python bench/load.py --before HEAD         # also today's product files (HEAD) in the same run

Everything is on 127.0.0.1. LocalSlack (the fake Web API) runs in this process; each target is a
subprocess served by waitress with 8 threads:

- bare: a minimal slack_bolt App (Bolt's own signature check and ack, then a message listener that
  only calls say()), i.e. what a Bolt bot does with no database and no knowledge base;
- sqlite / postgresql: `helploop run` on a fresh SQLite file / a fresh PostgreSQL schema (created
  and dropped here; PostgreSQL is skipped with the reason when it does not answer).

Each client thread keeps one HTTP/1.1 connection and sends the next signed event as soon as the
previous one is acknowledged. Every event is a DM from its own user in its own channel with a
question the example KB answers, so "answered" means: each of those channels got exactly one
chat.postMessage in LocalSlack within --answer-timeout seconds.

--profile runs PostgreSQL once more with the same workload in an instrumented child (this file
with --child helploop: psycopg cursor/commit calls, the pool checkout and the edge are wrapped) and
prints round trips per event by thread (ack = waitress threads, inbox workers, senders), the
statements on the ack path and where the ack time goes. The instrumentation costs a little, so the
figures of the profiled run are not the ones in the table.

`helploop run` acknowledges in WEB_PROCESSES processes (the parent and `--role web` children) and
works in a worker child (wiring/worker.py); "web" in the CPU figures adds up the acknowledging ones,
"worker" is the rest. --profile runs one web process (WEB_PROCESSES=1), so it instruments every ack.

--bare-variant LABEL=NAME=VALUE runs the bare app again with other environment settings (e.g. a
PYTHONPATH with a sitecustomize), to see whether a change would help any Bolt app as much.

--before REF adds "sqlite@REF" and "postgresql@REF": the same tree with the product files the load
work may touch (--before-paths) taken from git REF, run in the same round as everything else.
"""
from __future__ import annotations

import argparse
import atexit
import collections
import http.client
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.append(str(ROOT))  # appended: a child run from another tree (PYTHONPATH) imports that tree first

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DATABASES = ("sqlite", "postgresql")
PRODUCT_PATHS = ("storage/engine.py", "storage/inbox_queries.py", "bot/inbox.py")  # what the load work changed
BARE_REPLY = "Thanks, got it."
WARMUP_PER_CLIENT = 4
LOG_NOTES = (("duplicate message ignored", "processed again (caught by the request dedupe)"),
             ("Traceback", "tracebacks"), (" ERROR ", "errors"), ("refused", "refused"),
             ("could not store", "not stored in time"), ("failed, try", "deliveries retried"))


# ---------------------------------------------------------------------------------------------
# The workload
# ---------------------------------------------------------------------------------------------

def answerable_questions(limit: int = 40) -> list[str]:
    """Questions of the example KB that the KB answers outright (one answer, no choices, no parts)."""
    from kb import load_kb
    from wiring.settings import EXAMPLE_KB_DIR

    kb = load_kb(EXAMPLE_KB_DIR)
    found: list[str] = []
    for entry_id in sorted(kb.entries):
        for question in kb.entries[entry_id].questions:
            result = kb.match(question)
            if result.entry is not None and not result.parts:
                found.append(question)
                break
        if len(found) >= limit:
            break
    if not found:
        raise SystemExit("the example KB answers none of its own questions: nothing to measure")
    return found


@dataclass(frozen=True)
class Event:
    channel: str
    body: bytes
    headers: dict[str, str]


def make_events(count: int, tag: str, questions: list[str], secret: str) -> list[Event]:
    """`count` signed DM events, each from its own user in its own DM channel."""
    from localslack.sender import SlackSim, sign

    sim = SlackSim("http://127.0.0.1/unused", secret)
    events = []
    for n in range(count):
        user, channel = f"U{tag}{n:06d}", f"D{tag}{n:06d}"
        payload = sim.message_payload(user, questions[n % len(questions)], channel, "im",
                                      event_id=f"Ev{tag}{n:08d}")
        body = json.dumps(payload).encode()
        stamp = str(int(time.time()))
        events.append(Event(channel, body, {
            "Content-Type": "application/json", "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": sign(secret, stamp, body), "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)"}))
    return events


@dataclass
class Ack:
    started: float
    ended: float
    status: int


def send_all(port: int, events: list[Event], clients: int, deadline: float) -> list[Ack]:
    """Send every event from `clients` keep-alive connections, each as fast as its acks come back.

    A 503 (not stored in time) or a broken connection is retried like Slack would, at most 3 times;
    every attempt is recorded.
    """
    todo = collections.deque(events)
    acks: list[Ack] = []
    lock = threading.Lock()

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[Ack] = []
        while time.monotonic() < deadline:
            try:
                event = todo.popleft()
            except IndexError:
                break
            for _attempt in range(4):
                started = time.perf_counter()
                try:
                    conn.request("POST", "/slack/events", event.body, event.headers)
                    response = conn.getresponse()
                    response.read()
                    status = response.status
                except (OSError, http.client.HTTPException):
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                    status = 0
                mine.append(Ack(started, time.perf_counter(), status))
                if status == 200:
                    break
                time.sleep(0.05)
        conn.close()
        with lock:
            acks.extend(mine)

    threads = [threading.Thread(target=client, name=f"bench-client-{i}") for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return acks


def answers(slack: Any, channels: set[str]) -> tuple[collections.Counter[str], float | None]:
    """How many ok chat.postMessage each of `channels` got, and when the last one landed (time.time())."""
    counts: collections.Counter[str] = collections.Counter()
    last = None
    for call in slack.calls("chat.postMessage"):
        channel = call.response.get("channel") or call.args.get("channel")
        if call.ok and channel in channels:
            counts[channel] += 1
            last = call.at if last is None else max(last, call.at)
    return counts, last


def wait_answers(slack: Any, channels: set[str], timeout: float) -> tuple[collections.Counter[str], float | None]:
    """Poll LocalSlack until every channel has an answer (or the time is up), then a short settle for extras."""
    deadline = time.monotonic() + timeout
    while True:
        counts, last = answers(slack, channels)
        if len(counts) >= len(channels) or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    time.sleep(0.5)  # a duplicate would come right after
    return answers(slack, channels)


# ---------------------------------------------------------------------------------------------
# Targets (children)
# ---------------------------------------------------------------------------------------------

@dataclass
class Target:
    name: str            # table label
    kind: str            # "bare" or "helploop"
    database: str | None = None  # "sqlite" or "postgresql"
    tree: Path | None = None     # run helploop from this source tree (PYTHONPATH) instead of ROOT
    profile: bool = False
    env: dict[str, str] = field(default_factory=dict)  # extra settings (a --variant)


@dataclass
class Result:
    target: str
    events: int
    acked: int
    failed_attempts: int
    seconds: float
    latencies_ms: list[float]
    answered: int
    duplicates: int
    last_answer_s: float | None
    profile: dict[str, Any] | None = None
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds during the sends, by process
    logged: dict[str, int] = field(default_factory=dict)  # notable lines in the child's log (LOG_NOTES)

    @property
    def rate(self) -> float:
        return self.acked / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        return percentile(self.latencies_ms, q)

    @property
    def all_answered(self) -> bool:
        return self.answered == self.events and self.duplicates == 0


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q / 100 * len(ordered) + 0.5)) - 1))]


class Child:
    """One served target as a subprocess; its output goes to a log file (shown when it fails)."""

    def __init__(self, command: list[str], env: dict[str, str], cwd: Path, port: int, log: Path) -> None:
        self.port, self.log = port, log
        self._out = open(log, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(command, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=self._out,
                                        stderr=subprocess.STDOUT)

    def wait_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the child exited with {self.process.returncode}:\n{self.tail()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the child was not healthy within {timeout:.0f} s:\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        self._out.flush()
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._out.close()


TICKS = os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid: int) -> float:
    """CPU seconds (user + system, all threads) of a process; 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def _children(pid: int) -> list[int]:
    """The process ids of `pid`'s children now alive."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found.extend(int(child) for child in task.read_text().split())
        except OSError:
            continue
    return found


def _tree_cpu(pid: int) -> float:
    """CPU seconds of a process and of its descendants now alive (helploop run's worker and web children)."""
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += _proc_cpu(current)
        todo.extend(_children(current))
    return total


def _web_cpu(pid: int) -> float:
    """CPU seconds of helploop run's acknowledging processes: the parent and its `--role web` children."""
    return _proc_cpu(pid) + sum(_proc_cpu(child) for child in _children(pid) if _is_web(child))


def _is_web(pid: int) -> bool:
    try:
        return b"--role\0web" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _machine() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / TICKS, sum(values[:8]) / TICKS


def cpu_snapshot(child_pid: int, app_name: str, pg_server: str | None) -> dict[str, Any]:
    """CPU used so far by the child (and its worker child), by this process (clients + LocalSlack), by the child's PostgreSQL
    backends (found by application_name), and by the whole machine."""
    own = os.times()
    snap: dict[str, Any] = {"child": _tree_cpu(child_pid), "web": _web_cpu(child_pid), "bench": own.user + own.system,
                            "machine": _machine(), "wall": time.monotonic(), "backends": {}}
    if pg_server:
        import psycopg

        try:
            with psycopg.connect(pg_server.replace("+psycopg", ""), connect_timeout=3, autocommit=True) as conn:
                pids = [row[0] for row in conn.execute(
                    "SELECT pid FROM pg_stat_activity WHERE application_name = %s", (app_name,))]
            snap["backends"] = {pid: _proc_cpu(pid) for pid in pids}
        except Exception:  # noqa: BLE001 - the figure is then missing, not the run
            pass
    return snap


def cpu_used(before: dict[str, Any], after: dict[str, Any]) -> dict[str, float]:
    """CPU seconds used between two snapshots; backends closed in between are missed (counted from 0 if new)."""
    busy = after["machine"][0] - before["machine"][0]
    total = after["machine"][1] - before["machine"][1]
    used = {"helploop": after["child"] - before["child"], "bench": after["bench"] - before["bench"],
            "web": after["web"] - before["web"],
            "postgres": sum(cpu - before["backends"].get(pid, 0.0) for pid, cpu in after["backends"].items()),
            "machine_busy": busy / total if total else 0.0, "seconds": after["wall"] - before["wall"]}
    used["others"] = max(0.0, busy - used["helploop"] - used["bench"] - used["postgres"])
    used["worker"] = max(0.0, used["helploop"] - used["web"])  # helploop run's worker child (0 for one process)
    # (a web child that restarted in between would be missed; none does in a run that passes)
    return used


def pg_schema(server: str) -> tuple[str, Callable[[], None]] | str:
    """A fresh schema on the PostgreSQL server: (url, drop), or the reason it cannot be used."""
    from sqlalchemy import create_engine, text

    schema = f"bench_load_{uuid.uuid4().hex[:8]}"
    try:
        engine = create_engine(server, connect_args={"connect_timeout": 3})
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as error:  # reported, and the run carries on without PostgreSQL
        return str(error).strip().splitlines()[0][:200]

    def drop() -> None:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()

    return f"{server}?options=-csearch_path%3D{schema}", drop


def run_target(target: Target, args: argparse.Namespace, questions: list[str], tag: str) -> Result | str:
    """Serve one target, load it, collect the figures; a string says why it was skipped."""
    from localslack.webapi import LocalSlack
    from tests.process import SIGNING_SECRET, child_env, free_port

    cleanup: list[Callable[[], None]] = []
    work = Path(tempfile.mkdtemp(prefix="helploop-load-"))
    cleanup.append(lambda: shutil.rmtree(work, ignore_errors=True))
    try:
        if target.database == "postgresql":
            made = pg_schema(args.pg)
            if isinstance(made, str):
                return f"PostgreSQL unreachable at {args.pg}: {made}"
            url, drop = made
            cleanup.append(drop)
        else:
            url = f"sqlite:///{work}/helploop.db"
        slack = LocalSlack().start()
        cleanup.append(slack.stop)
        port = free_port()
        env = child_env(slack.base_url, url, port, SWEEP_SECONDS=2, SCHEDULER_TICK_SECONDS=15)
        env.pop("PYTHONPATH", None)
        env["PGAPPNAME"] = f"helploop-load-{tag}-{os.getpid()}"  # finds this child's PostgreSQL backends
        profile_path = work / "profile.json"
        if target.kind == "bare":
            command = [sys.executable, str(Path(__file__).resolve()), "--child", "bare"]
        elif target.profile:
            command = [sys.executable, str(Path(__file__).resolve()), "--child", "helploop"]
            env["HELPLOOP_BENCH_PROFILE"] = str(profile_path)
            env["WEB_PROCESSES"] = "1"  # every ack in the instrumented process
        else:
            command = [str(Path(sys.executable).parent / "helploop"), "run", "--host", "127.0.0.1"]
        env.update(target.env)
        if target.tree is not None:
            env["PYTHONPATH"] = str(target.tree)
            env["KB_DIR"] = str(target.tree / "kb" / "example")  # the tree's own KB (its schema may be older)
        if args.cprofile and target.kind == "helploop":  # bench/cprofile/sitecustomize.py, in both processes
            slug = re.sub(r"\W+", "-", target.name).strip("-")
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [env.get("PYTHONPATH"), str(ROOT / "bench" / "cprofile")]))
            env["HELPLOOP_CPROFILE"] = str(Path(args.cprofile).resolve() / f"{slug}-{tag}")
        child = Child(command, env, work, port, work / "child.log")
        cleanup.append(child.stop)
        child.wait_healthy()

        # Warm-up (not counted): first requests pay imports, pool connects, the KB's lazy parts.
        warm = make_events(WARMUP_PER_CLIENT * args.clients, f"W{tag}", questions, SIGNING_SECRET)
        send_all(port, warm, args.clients, time.monotonic() + 60)
        wait_answers(slack, {e.channel for e in warm}, 60)

        events = make_events(args.events, tag, questions, SIGNING_SECRET)
        spy = None
        if args.py_spy and target.kind == "helploop":
            slug = re.sub(r"\W+", "-", target.name).strip("-")
            spied = Path(tempfile.gettempdir()) / f"helploop-load-{slug}.txt"
            spy = subprocess.Popen([args.py_spy, "record", "--pid", str(child.process.pid), "--rate", "250",
                                    "--format", "raw", "--threads", "--gil", "--output", str(spied)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1.0)
        app_name = env["PGAPPNAME"]
        pg = args.pg if target.database == "postgresql" else None
        cpu_before = cpu_snapshot(child.process.pid, app_name, pg)
        started_wall = time.time()
        acks = send_all(port, events, args.clients, time.monotonic() + args.send_timeout)
        cpu_sent = cpu_snapshot(child.process.pid, app_name, pg)
        ok = [a for a in acks if a.status == 200]
        seconds = (max(a.ended for a in ok) - min(a.started for a in acks)) if ok else 0.0
        channels = {e.channel for e in events}
        counts, last = wait_answers(slack, channels, args.answer_timeout)
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait(timeout=30)
            print(f"  py-spy (samples holding the GIL, from the first send to the last answer): {spied}")
        cpu = cpu_used(cpu_before, cpu_sent)
        whole = cpu_used(cpu_before, cpu_snapshot(child.process.pid, app_name, pg))
        cpu.update({f"whole_{k}": v for k, v in whole.items()})
        child.stop()  # graceful: the profiled child writes its profile on the way out
        profile = json.loads(profile_path.read_text()) if profile_path.exists() else None
        if target.kind == "helploop":
            from sqlalchemy import create_engine, text

            engine = create_engine(url)
            with engine.connect() as conn:
                again = conn.execute(text("SELECT count(*) FROM inbox WHERE attempts > 1")).scalar()
            engine.dispose()
        logged = collections.Counter()
        if target.kind == "helploop" and again:
            logged["inbox items claimed more than once"] = again
        for line in child.log.read_text(errors="replace").splitlines():
            for pattern, name in LOG_NOTES:
                if pattern in line:
                    logged[name] += 1
        return Result(target.name, len(events), len(ok), len(acks) - len(ok), seconds,
                      [(a.ended - a.started) * 1000 for a in ok], len(counts),
                      sum(n - 1 for n in counts.values() if n > 1),
                      (last - started_wall) if last is not None else None, profile, cpu=cpu, logged=dict(logged))
    finally:
        for step in reversed(cleanup):
            try:
                step()
            except Exception as error:  # cleanup must not hide the figures
                print(f"  (cleanup: {type(error).__name__}: {error})", file=sys.stderr)


def before_tree(ref: str, paths: Iterable[str]) -> tuple[Path, list[str]]:
    """A copy of this tree with `paths` taken from git `ref` (only the ones that differ)."""
    tree = Path(tempfile.mkdtemp(prefix="helploop-before-"))
    atexit.register(shutil.rmtree, tree, True)
    for folder in ("bot", "handlers", "kb", "storage", "wiring", "cli", "localslack"):
        shutil.copytree(ROOT / folder, tree / folder, ignore=shutil.ignore_patterns("__pycache__"))
    changed = []
    for path in paths:
        old = subprocess.run(["git", "-C", str(ROOT), "show", f"{ref}:{path}"], capture_output=True, check=True).stdout
        if old != (ROOT / path).read_bytes():
            (tree / path).write_bytes(old)
            changed.append(path)
    return tree, changed


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------

def table(results: list[Result], bare_rate: float | None) -> str:
    rows = ["| target | events/s | × bare | ack p50 / p95 / p99 ms | answered | time to last answer |",
            "|---|---|---|---|---|---|"]
    for r in results:
        ratio = f"{r.rate / bare_rate:.2f}" if bare_rate else "-"
        answered = f"{r.answered}/{r.events}" + (f" ({r.duplicates} dup)" if r.duplicates else "")
        answered += "" if r.acked == r.events else f", {r.events - r.acked} not acked"
        answered += f", {r.failed_attempts} retried" if r.failed_attempts else ""
        last = f"{r.last_answer_s:.1f} s" if r.last_answer_s is not None else "-"
        rows.append(f"| {r.target} | {r.rate:.0f} | {ratio} | {r.pct(50):.1f} / {r.pct(95):.1f} / {r.pct(99):.1f} "
                    f"| {answered} | {last} |")
    return "\n".join(rows)


def cpu_table(results: list[Result]) -> str:
    """CPU per event: while the events are sent (acks, and whatever processing runs meanwhile), and over the
    whole run (until the last answer: what one event costs in all); "others" is what else ran on the machine."""
    rows = ["| target | sending: target process (web + worker) / its PG backends / bench / others, ms per event "
            "| machine busy | whole run: target process (web + worker) / its PG backends, ms per event |",
            "|---|---|---|---|"]
    for r in results:
        if not r.cpu:
            continue
        n = max(1, r.acked)
        ms = _per_event(r.cpu, n)
        send = (f"{ms('helploop')} ({ms('web')} + {ms('worker')}) / "
                + " / ".join(ms(k) for k in ("postgres", "bench", "others")))
        whole = f"{ms('whole_helploop')} ({ms('whole_web')} + {ms('whole_worker')}) / {ms('whole_postgres')}"
        rows.append(f"| {r.target} | {send} | {r.cpu['machine_busy'] * 100:.0f} % | {whole} |")
    return "\n".join(rows)


def _per_event(cpu: dict[str, float], n: int) -> Callable[[str], str]:
    return lambda key: f"{cpu[key] * 1000 / n:.2f}"


def print_profile(result: Result) -> None:
    p = result.profile
    if not p:
        print("(no profile written)")
        return
    acks = max(1, p["acks"])
    print(f"\nprofile of {result.target} ({p['acks']} acks in the child, incl. warm-up; {result.rate:.0f} events/s "
          f"under instrumentation; ack p50/p99 at the client {result.pct(50):.1f}/{result.pct(99):.1f} ms)")
    print("\nround trips per event, by thread (BEGIN is psycopg's implicit one before a transaction's first "
          "statement):")
    print("| threads | round trips / event | DB time / event ms | transactions / event | pool checkouts / event "
          "| pool wait / event ms |")
    print("|---|---|---|---|---|---|")
    for role, r in sorted(p["roles"].items()):
        print(f"| {role} | {r['rt'] / acks:.1f} | {r['rt_ms'] / acks:.2f} | {r['tx'] / acks:.2f} "
              f"| {r['checkouts'] / acks:.2f} | {r['pool_wait_ms'] / acks:.2f} |")
    print("\nstatements per event (top 25):")
    print("| threads | statement | per event | mean ms |")
    print("|---|---|---|---|")
    rows = [(role, label, n, ms) for role, r in p["roles"].items() for label, (n, ms) in r["labels"].items()]
    for role, label, n, ms in sorted(rows, key=lambda row: -row[2])[:25]:
        print(f"| {role} | `{label}` | {n / acks:.2f} | {ms / max(1, n):.2f} |")
    print("\nwhere the ack time goes (server side, per request, ms):")
    print("| part | mean | p50 | p99 |")
    print("|---|---|---|---|")
    for part, values in p["ack_parts"].items():
        if values:
            print(f"| {part} | {statistics.fmean(values):.2f} | {percentile(values, 50):.2f} "
                  f"| {percentile(values, 99):.2f} |")
    print(f"| (client-observed ack) | {statistics.fmean(result.latencies_ms):.2f} | {result.pct(50):.2f} "
          f"| {result.pct(99):.2f} |")
    print(f"\nround trips inside one accept (store + commit): {p['accept_rts']}")
    print(f"pools: {p['pools']}")
    print(f"new database connections, by thread: {p.get('connects')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--only", default="bare,sqlite,postgresql",
                        help="comma list of bare, sqlite, postgresql (default: all three)")
    parser.add_argument("--rounds", type=int, default=1, help="repeat the targets in turn; the median round counts")
    parser.add_argument("--profile", action="store_true", help="then profile PostgreSQL in an instrumented child")
    parser.add_argument("--before", metavar="REF", help="also run the product files of git REF (same round)")
    parser.add_argument("--before-paths", default=",".join(PRODUCT_PATHS))
    parser.add_argument("--tree", action="append", default=[], metavar="LABEL[:DB]=DIR",
                        help="also run helploop from another source tree (a variant being tried), on both "
                             "databases or only the one named")
    parser.add_argument("--trees-only", action="store_true",
                        help="run helploop only from the --tree folders (and --before), not from this tree")
    parser.add_argument("--variant", action="append", default=[], metavar="LABEL=NAME=VALUE[,NAME=VALUE]",
                        help="also run this tree with other settings (e.g. 'one process=WORKER_PROCESS=0')")
    parser.add_argument("--bare-variant", action="append", default=[], metavar="LABEL=NAME=VALUE[,NAME=VALUE]",
                        help="also run the bare app with other environment settings (e.g. a PYTHONPATH)")
    parser.add_argument("--cprofile", metavar="DIR", help="cProfile every thread of the helploop processes (CPU time; "
                        "slows them 2-3x); profiles in DIR/<target>-<round>/, read with bench/cprofile/show.py")
    parser.add_argument("--py-spy", metavar="BIN", help="record helploop children with py-spy while sending")
    parser.add_argument("--pg", default=PG, help="PostgreSQL server URL (default: %(default)s)")
    parser.add_argument("--send-timeout", type=float, default=300.0)
    parser.add_argument("--answer-timeout", type=float, default=120.0)
    parser.add_argument("--child", choices=("bare", "helploop"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "bare":
        return child_bare()
    if args.child == "helploop":
        return child_helploop()
    if not (1 <= args.events <= 100_000 and 1 <= args.clients <= 64 and 1 <= args.rounds <= 10):
        parser.error("--events 1..100000, --clients 1..64, --rounds 1..10")
    wanted = [w.strip() for w in args.only.split(",") if w.strip()]
    unknown = set(wanted) - {"bare", "sqlite", "postgresql"}
    if unknown:
        parser.error(f"--only: unknown {', '.join(sorted(unknown))}")

    targets = [Target("bare Bolt app", "bare")] if "bare" in wanted else []
    if not args.trees_only:
        targets += [Target(f"helploop {db}", "helploop", db) for db in ("sqlite", "postgresql") if db in wanted]
    if args.before:
        tree, changed = before_tree(args.before, [p for p in args.before_paths.split(",") if p])
        print(f"--before {args.before}: {', '.join(changed) or 'no product file differs'} taken from {args.before}")
        targets += [Target(f"helploop {db} @{args.before}", "helploop", db, tree=tree)
                    for db in ("sqlite", "postgresql") if db in wanted]
    for spec in args.tree:
        label, _, folder = spec.partition("=")
        label, _, only = label.partition(":")
        if not folder or not (Path(folder) / "wiring" / "app.py").exists() or only not in ("", *DATABASES):
            parser.error(f"--tree {spec}: expected LABEL[:sqlite|:postgresql]=DIR, DIR a copy of the source tree")
        targets += [Target(f"helploop {db} [{label}]", "helploop", db, tree=Path(folder).resolve())
                    for db in DATABASES if db in wanted and only in ("", db)]
    for spec in args.variant:
        label, env = _variant(parser, spec)
        targets += [Target(f"helploop {db} [{label}]", "helploop", db, env=env) for db in DATABASES if db in wanted]
    for spec in args.bare_variant:
        label, env = _variant(parser, spec)
        targets.append(Target(f"bare Bolt app [{label}]", "bare", env=env))
    questions = answerable_questions()
    print(f"{args.events} events per target, {args.clients} clients, {args.rounds} round(s); "
          f"{len(questions)} distinct KB questions; {os.cpu_count()} CPUs")

    rounds: dict[str, list[Result]] = collections.defaultdict(list)
    skipped: dict[str, str] = {}
    for n in range(args.rounds):
        for i, target in enumerate(targets):
            if target.name in skipped:
                continue
            print(f"round {n + 1}: {target.name} ...", flush=True)
            got = run_target(target, args, questions, f"{n}{i}")
            if isinstance(got, str):
                skipped[target.name] = got
                print(f"  skipped: {got}")
                continue
            rounds[target.name].append(got)
            print(f"  {got.rate:.0f} events/s, ack p50/p99 {got.pct(50):.1f}/{got.pct(99):.1f} ms, "
                  f"answered {got.answered}/{got.events}, last answer {got.last_answer_s or float('nan'):.1f} s"
                  + "".join(f"; {name}: {n}" for name, n in got.logged.items()), flush=True)

    chosen = [sorted(rs, key=lambda r: r.rate)[len(rs) // 2] for rs in rounds.values()]
    bare = next((r for r in chosen if r.target == "bare Bolt app"), None)
    print(f"\n{args.events} signed DM events, {args.clients} clients"
          + (f", median of {args.rounds} rounds by events/s" if args.rounds > 1 else "") + ":\n")
    print(table(chosen, bare.rate if bare else None))
    print(f"\nCPU while sending ({os.cpu_count()} CPUs on this machine):\n")
    print(cpu_table(chosen))
    for name, reason in skipped.items():
        print(f"{name}: skipped ({reason})")
    if args.rounds > 1:
        for name, rs in rounds.items():
            print(f"{name}: events/s per round {[round(r.rate) for r in rs]}, "
                  f"p99 per round {[round(r.pct(99), 1) for r in rs]}")
    if bare:
        for r in chosen:
            if r.target.startswith("bare Bolt app"):
                continue
            met = r.rate >= bare.rate and r.pct(99) <= 50 and r.all_answered
            print(f"{r.target}: {'meets' if met else 'misses'} the target (>= 1.0 x bare: {r.rate / bare.rate:.2f}; "
                  f"ack p99 <= 50 ms: {r.pct(99):.1f}; every event answered once: {r.all_answered})")

    if args.profile:
        for target in [t for t in targets if t.kind == "helploop" and t.name not in skipped]:
            print(f"\nprofiling {target.name} ...", flush=True)
            profiled = Target(f"{target.name} (profiled)", "helploop", target.database, tree=target.tree,
                              profile=True)
            got = run_target(profiled, args, questions, "P0")
            if isinstance(got, str):
                print(f"profile skipped: {got}")
                continue
            print(table([got], bare.rate if bare else None))
            print_profile(got)


def _variant(parser: argparse.ArgumentParser, spec: str) -> tuple[str, dict[str, str]]:
    """LABEL=NAME=VALUE[,NAME=VALUE] as (label, environment)."""
    label, _, settings = spec.partition("=")
    pairs = [item.partition("=") for item in settings.split(",")]
    if not label or not pairs or any(not name or not sep for name, sep, _ in pairs):
        parser.error(f"{spec}: expected LABEL=NAME=VALUE[,NAME=VALUE]")
    return label, {name: value for name, _, value in pairs}


# ---------------------------------------------------------------------------------------------
# Children
# ---------------------------------------------------------------------------------------------

def child_bare() -> None:
    """A minimal Bolt app on waitress (8 threads): Bolt verifies and acks, the listener only says something."""
    from slack_bolt import App
    from slack_bolt.adapter.wsgi import SlackRequestHandler
    from slack_sdk import WebClient

    from wiring.server import Server

    app = App(client=WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"]),
              signing_secret=os.environ["SLACK_SIGNING_SECRET"])

    @app.event("message")
    def reply(say) -> None:
        say(text=BARE_REPLY)

    bolt = SlackRequestHandler(app)

    def wsgi(environ, start_response):
        if environ.get("PATH_INFO") == "/health":
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "2")])
            return [b"{}"]
        return bolt(environ, start_response)

    server = Server(wsgi, host="127.0.0.1", port=int(os.environ["PORT"]), threads=8)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    server.start()
    stop.wait()
    server.close()


class Profile:
    """Counts and times what helploop asks of PostgreSQL, by thread, from inside a `helploop run` child."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.roles: dict[str, dict[str, Any]] = {}
        self.ack_parts: dict[str, list[float]] = {"edge (verify, store, kick)": [], "accept (store + commit)": [],
                                                  "  pool checkout": [], "  round trips": [], "  commit": [],
                                                  "kick": []}
        self.accept_rts: collections.Counter[str] = collections.Counter()
        self.pools: dict[str, int] = {}
        self.connects: collections.Counter[str] = collections.Counter()
        self.local = threading.local()
        self.acks = 0

    @staticmethod
    def role() -> str:
        name = threading.current_thread().name
        for prefix, role in (("waitress", "ack (waitress)"), ("helploop-inbox", "inbox workers"),
                             ("helploop-send", "senders"), ("ThreadPoolExecutor", "other pools")):
            if name.startswith(prefix):
                return role
        return "other (" + re.sub(r"[-_]?\d+$", "", name)[:30] + ")"

    def _role_stats(self) -> dict[str, Any]:
        role = self.role()
        stats = self.roles.get(role)
        if stats is None:
            stats = self.roles[role] = {"rt": 0, "rt_ms": 0.0, "tx": 0, "checkouts": 0, "pool_wait_ms": 0.0,
                                        "labels": {}}
        return stats

    def rt(self, label: str, ms: float, transaction_end: bool = False) -> None:
        with self.lock:
            stats = self._role_stats()
            stats["rt"] += 1
            stats["rt_ms"] += ms
            stats["tx"] += transaction_end
            entry = stats["labels"].setdefault(label, [0, 0.0])
            entry[0] += 1
            entry[1] += ms
        acc = getattr(self.local, "accept", None)
        if acc is not None:
            acc["labels"].append(label)
            acc["commit" if label in ("COMMIT", "ROLLBACK") else "rts"] += ms

    def checkout(self, ms: float, pool: Any) -> None:
        with self.lock:
            stats = self._role_stats()
            stats["checkouts"] += 1
            stats["pool_wait_ms"] += ms
            key = f"pool {id(pool) % 10000} (size {pool.size()}, overflow {pool._max_overflow}) max checked out"
            self.pools[key] = max(self.pools.get(key, 0), pool.checkedout())
        acc = getattr(self.local, "accept", None)
        if acc is not None:
            acc["pool"] += ms

    def install(self) -> None:
        import psycopg
        from psycopg import pq
        from sqlalchemy import event as sa_event
        from sqlalchemy.pool import Pool, QueuePool

        from bot.inbox import Inbox
        from handlers.edge import SlackEdge

        profile = self
        idle = pq.TransactionStatus.IDLE

        def label_of(query: Any) -> str:
            text = query.decode() if isinstance(query, bytes) else str(query)
            text = " ".join(str(text).split())
            words = text.split(" ")
            head = words[0].upper()
            table_name = re.search(r"\b(?:INTO|FROM|UPDATE)\s+(\w+)", text, re.I)
            extra = " ON CONFLICT" if " ON CONFLICT " in text.upper() else ""
            extra += " FOR UPDATE" if " FOR UPDATE" in text.upper() else ""
            if head in ("SAVEPOINT", "RELEASE", "ROLLBACK"):
                return " ".join(words[:2]).upper() if head != "ROLLBACK" else "ROLLBACK TO SAVEPOINT"
            return f"{head} {table_name.group(1) if table_name else ' '.join(words[1:3])}{extra}".strip()

        def wrap_execute(original):
            def execute(cursor, query, *a, **k):
                conn = cursor.connection
                if not conn.autocommit and conn.info.transaction_status == idle:
                    profile.rt("BEGIN (implicit)", 0.0)  # sent in the same call; its time is in the statement's
                started = time.perf_counter()
                try:
                    return original(cursor, query, *a, **k)
                finally:
                    profile.rt(label_of(query), (time.perf_counter() - started) * 1000)
            return execute

        def wrap_end(original, label):
            def end(conn, *a, **k):
                active = conn.info.transaction_status != idle
                started = time.perf_counter()
                try:
                    return original(conn, *a, **k)
                finally:
                    if active:
                        profile.rt(label, (time.perf_counter() - started) * 1000, transaction_end=True)
            return end

        psycopg.Cursor.execute = wrap_execute(psycopg.Cursor.execute)
        psycopg.Cursor.executemany = wrap_execute(psycopg.Cursor.executemany)
        psycopg.Connection.commit = wrap_end(psycopg.Connection.commit, "COMMIT")
        psycopg.Connection.rollback = wrap_end(psycopg.Connection.rollback, "ROLLBACK")

        do_get = QueuePool._do_get

        def timed_get(pool):
            started = time.perf_counter()
            try:
                return do_get(pool)
            finally:
                profile.checkout((time.perf_counter() - started) * 1000, pool)

        QueuePool._do_get = timed_get

        @sa_event.listens_for(Pool, "connect")
        def connected(_dbapi_connection, _record) -> None:
            with profile.lock:
                profile.connects[profile.role()] += 1

        events, accept, kick = SlackEdge._events, Inbox.accept, Inbox.kick

        def timed_events(edge, environ, start_response):
            started = time.perf_counter()
            try:
                return events(edge, environ, start_response)
            finally:
                profile.ack_parts["edge (verify, store, kick)"].append((time.perf_counter() - started) * 1000)
                profile.acks += 1

        def timed_accept(inbox, *a, **k):
            profile.local.accept = acc = {"pool": 0.0, "rts": 0.0, "commit": 0.0, "labels": []}
            started = time.perf_counter()
            try:
                return accept(inbox, *a, **k)
            finally:
                profile.local.accept = None
                profile.ack_parts["accept (store + commit)"].append((time.perf_counter() - started) * 1000)
                profile.ack_parts["  pool checkout"].append(acc["pool"])
                profile.ack_parts["  round trips"].append(acc["rts"])
                profile.ack_parts["  commit"].append(acc["commit"])
                with profile.lock:
                    profile.accept_rts[" -> ".join(acc["labels"])] += 1

        def timed_kick(inbox, *a, **k):
            started = time.perf_counter()
            try:
                return kick(inbox, *a, **k)
            finally:
                profile.ack_parts["kick"].append((time.perf_counter() - started) * 1000)

        SlackEdge._events, Inbox.accept, Inbox.kick = timed_events, timed_accept, timed_kick

    def dump(self, path: str) -> None:
        with self.lock:
            data = {"acks": self.acks, "roles": self.roles, "ack_parts": self.ack_parts,
                    "accept_rts": dict(self.accept_rts.most_common(5)), "pools": self.pools,
                    "connects": dict(self.connects)}
        Path(path).write_text(json.dumps(data))


def child_helploop() -> None:
    """`helploop run`, instrumented (the bench sets HELPLOOP_BENCH_PROFILE to where the profile goes)."""
    profile = Profile()
    profile.install()
    from cli.main import main as helploop_main

    code = helploop_main(["run", "--host", "127.0.0.1"])
    profile.dump(os.environ["HELPLOOP_BENCH_PROFILE"])
    sys.exit(code)


if __name__ == "__main__":
    main()
