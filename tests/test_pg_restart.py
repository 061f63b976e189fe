"""PostgreSQL restarts in the middle of traffic: `helploop run` recovers by itself and answers each question once.

The test owns a throwaway PostgreSQL cluster (initdb as the `postgres` OS user, its own port and socket
directory), runs `helploop run` against it as a child process, and sends a steady stream of DMs from
four threads (each DM a different person) while the cluster is restarted (`pg_ctl restart -m fast`, and
`-m immediate`: a crash and recovery). Whatever Slack did not get a 200 for is sent again as Slack would
(same event_id, X-Slack-Retry-Num). In the end every question is answered exactly once (chat.postMessage
calls LocalSlack answered ok, per DM channel) and /health is ok again, with the same helploop process.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from kb import load_kb
from localslack.sender import SlackSim
from localslack.webapi import LocalSlack, render_message
from storage.engine import make_engine, make_sessions
from storage.models import Delivery, DeliveryState, InboxItem, InboxState, Request
from tests.process import SIGNING_SECRET, children, free_port
from wiring.settings import EXAMPLE_KB_DIR

SENDERS, PER_SENDER, GAP = 4, 10, 0.8   # 40 DMs over ~8 s
RESTART_AFTER = 2.5                     # seconds into the traffic
FAST = {"SWEEP_SECONDS": 0.2, "INBOX_LEASE_SECONDS": 3, "SCHEDULER_TICK_SECONDS": 1, "KB_RELOAD_SECONDS": 60,
        "SLACK_TIMEOUT_SECONDS": 1, "DELIVERY_LEASE_SECONDS": 1}
SLACK_WAITS = 3.0                       # Slack treats a slower answer as a failure and retries
POST_TAKES = 0.4                        # each chat.postMessage: long enough to straddle the restart


# --- the throwaway cluster -----------------------------------------------------------------------

def _binaries() -> tuple[Path | None, str]:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent, ""
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).parent, ""
    return None, "no initdb/pg_ctl (looked in /usr/lib/postgresql/*/bin and on PATH)"


@dataclass
class Cluster:
    """A PostgreSQL cluster in a temporary directory, run as the `postgres` OS user when we are root."""

    bin: Path
    root: Path
    port: int
    as_user: list[str]

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([*self.as_user, str(self.bin / args[0]), *args[1:]], capture_output=True,
                                text=True, timeout=timeout, cwd=self.root)
        if result.returncode != 0:
            raise AssertionError(f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
                                 f"\nserver log:\n{self.log()}")
        return result

    def pg_ctl(self, action: str, *extra: str) -> None:
        self.run("pg_ctl", action, "-D", str(self.data), "-w", "-t", "30", "-l", str(self.root / "server.log"),
                 "-o", f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1", *extra)

    def log(self) -> str:
        try:
            return (self.root / "server.log").read_text(errors="replace")[-4000:]
        except OSError:
            return ""


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    bin_dir, reason = _binaries()
    if bin_dir is None:
        pytest.skip(reason)
    as_user: list[str] = []
    owner = None
    if os.geteuid() == 0:  # initdb refuses to run as root: run the cluster as `postgres`
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no `postgres` OS user to own the cluster")
        runuser = shutil.which("runuser")
        if runuser is None:
            pytest.skip("running as root and there is no runuser to become `postgres`")
        as_user = [runuser, "-u", "postgres", "--"]
    root = Path(tempfile.mkdtemp(prefix="helploop-pg-"))
    started = False
    try:
        if owner is not None:
            os.chown(root, owner.pw_uid, owner.pw_gid)
        root.chmod(0o700)
        cluster = Cluster(bin_dir, root, free_port(), as_user)
        cluster.run("initdb", "-D", str(cluster.data), "--auth=trust", "-U", "postgres", "--no-sync",
                    "--no-instructions")
        cluster.pg_ctl("start")
        started = True
        yield cluster
    finally:
        if started:
            subprocess.run([*as_user, str(bin_dir / "pg_ctl"), "stop", "-D", str(root / "data"), "-m", "immediate",
                            "-w", "-t", "30"], capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


# --- Slack's side --------------------------------------------------------------------------------

@dataclass
class Sent:
    """One DM event and every attempt Slack made to deliver it (HTTP status, 0 = no answer in time)."""

    user: str
    channel: str
    payload: dict[str, Any]
    statuses: list[int] = field(default_factory=list)


def deliver(sim: SlackSim, sent: Sent, retry_num: int | None = None) -> int:
    try:
        status = sim.event(sent.payload, retry_num=retry_num,
                           retry_reason="http_error" if retry_num else None).status
    except OSError:  # refused, reset or slower than Slack waits: Slack counts it as failed and retries
        status = 0
    sent.statuses.append(status)
    return status


def eventually(probe: Callable[[], object], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not probe():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        time.sleep(0.1)


def answerable_question() -> str:
    kb = load_kb(EXAMPLE_KB_DIR)
    text = kb.entries["it-printer"].questions[0]
    assert kb.match(text).entry is not None
    return text


def traffic_with_a_restart(sim: SlackSim, people: list[Sent], cluster: Cluster, mode: str) -> float:
    """Each sender thread DMs its people one by one while the cluster restarts; returns when it restarted."""
    def sender(mine: list[Sent]) -> None:
        for sent in mine:
            deliver(sim, sent)
            time.sleep(GAP)

    threads = [threading.Thread(target=sender, args=(people[s::SENDERS],), name=f"slack-{s}")
               for s in range(SENDERS)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    try:
        time.sleep(RESTART_AFTER)
        cluster.pg_ctl("restart", "-m", mode)
        return time.monotonic() - started
    finally:
        for thread in threads:
            thread.join(timeout=60)


def retried_like_slack(sim: SlackSim, people: list[Sent]) -> None:
    """Slack sends an event it got no 200 for again (same event_id), up to three more times."""
    for retry_num in (1, 2, 3):
        for sent in people:
            if sent.statuses[-1] != 200:
                deliver(sim, sent, retry_num)
    assert all(s.statuses[-1] == 200 for s in people), {s.channel: s.statuses for s in people}


def assert_each_answered_once(slack: LocalSlack, database_url: str, people: list[Sent], output: Callable[[], str]):
    engine = make_engine(database_url)
    sessions = make_sessions(engine)

    def posts(channel: str) -> list:
        return [c for c in slack.calls("chat.postMessage")
                if c.ok and (c.response.get("channel") or c.args.get("channel")) == channel]

    def settled() -> bool:
        with sessions.begin() as session:
            states = dict(session.execute(select(InboxItem.state, func.count()).group_by(InboxItem.state)).all())
            unfinished = session.scalar(select(func.count()).select_from(Delivery).where(
                Delivery.state.in_([DeliveryState.PENDING, DeliveryState.SENDING])))
        return set(states) <= {InboxState.DONE} and unfinished == 0

    try:
        eventually(lambda: all(posts(s.channel) for s in people),
                   f"every question answered; child output:\n{output()[-6000:]}")
        eventually(settled, f"inbox and outbox settled; child output:\n{output()[-6000:]}")
        time.sleep(1.0)  # a late duplicate (a lease running out, a sweep) would show by now
        answers = {s.channel: ["\n".join(render_message(c.args)) for c in posts(s.channel)] for s in people}
        assert {channel: texts for channel, texts in answers.items() if len(texts) != 1} == {}
        assert all("[That solved it]" in texts[0] for texts in answers.values()), answers
        with sessions.begin() as session:
            per_channel = dict(session.execute(select(Request.channel_id, func.count())
                                               .group_by(Request.channel_id)).all())
        assert per_channel == {s.channel: 1 for s in people}
    finally:
        engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_a_postgres_restart_mid_traffic_loses_nothing_and_answers_each_question_once(cluster, mode, tmp_path):
    question = answerable_question()
    with LocalSlack() as slack, children(slack.base_url, cluster.url, tmp_path, **FAST) as group:
        child = group.start()
        slack.delay(POST_TAKES, "chat.postMessage")  # answers are on their way to Slack while the cluster restarts
        sim = SlackSim(child.url, SIGNING_SECRET, response_urls=slack.response_url, timeout=SLACK_WAITS)
        people = [Sent(f"U0PG{s}{n:02d}", f"D0PG{s}{n:02d}", {}) for s in range(SENDERS) for n in range(PER_SENDER)]
        for sent in people:  # built up front: SlackSim's ts counter is not meant for several threads
            sent.payload = sim.message_payload(sent.user, question, sent.channel)

        restarted = traffic_with_a_restart(sim, people, cluster, mode)
        assert restarted < GAP * PER_SENDER, "the restart must land in the middle of the traffic"
        child.wait_healthy(timeout=20)  # the same process: it reconnects by itself
        retried_like_slack(sim, people)
        assert_each_answered_once(slack, cluster.url, people, lambda: child.output)

        child.wait_healthy(timeout=5)
        assert child.process.poll() is None and group.started == [child], "helploop was not restarted"
        refused = sum(1 for s in people if s.statuses[0] != 200)
        print(f"pg restart -m {mode} {restarted:.1f}s into the traffic: {refused} of {len(people)} first "
              "deliveries were not acknowledged (and were retried)")
