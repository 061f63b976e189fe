"""`helploop run` acknowledges in one process and works in a child: the child dies with it, comes back
when it dies alone, and the two halves also run as separate deployments (--role web / --role worker).
With WEB_PROCESSES=2 a second acknowledging process takes connections on the same port."""
from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kb import load_kb
from localslack.sender import SlackSim
from localslack.webapi import LocalSlack, render_message
from tests.process import SIGNING_SECRET, Children, HelploopProcess, children
from wiring.settings import EXAMPLE_KB_DIR, Settings, SettingsError

ASKER, ASKER_DM = "U0WORKER1", "D0WORKER1"
FAST = {"SWEEP_SECONDS": 0.2, "INBOX_LEASE_SECONDS": 2, "SCHEDULER_TICK_SECONDS": 1, "KB_RELOAD_SECONDS": 60}
STARTED = re.compile(r"worker process started \(pid (\d+)\)")
WEB_STARTED = re.compile(r"web process started \(pid (\d+)\)")


@pytest.fixture
def slack() -> Iterator[LocalSlack]:
    with LocalSlack() as fake:
        yield fake


@pytest.fixture
def group(slack: LocalSlack, database_url: str, tmp_path) -> Iterator[Children]:
    with children(slack.base_url, database_url, tmp_path, **FAST) as started:
        yield started


@pytest.fixture(scope="module")
def question() -> str:
    """A question the example KB answers."""
    text = load_kb(EXAMPLE_KB_DIR).entries["it-printer"].questions[0]
    assert load_kb(EXAMPLE_KB_DIR).match(text).entry is not None
    return text


def worker_pids(child: HelploopProcess, started: re.Pattern[str] = STARTED) -> list[int]:
    """The worker (or, with WEB_STARTED, web) children `child` said it started, in order."""
    return [int(m.group(1)) for m in started.finditer(child.output)]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return _state(pid) not in ("Z", "X")  # a zombie waits for its parent to reap it: it runs nothing


def stopped(pid: int, timeout: float = 5.0) -> None:
    """Wait until every thread of `pid` is stopped: kill() returns before a thread running on another core
    has stopped, and such a thread could still accept a connection."""
    deadline = time.monotonic() + timeout
    while any(_state(int(task.name)) not in ("T", "t") for task in Path(f"/proc/{pid}/task").iterdir()):
        assert time.monotonic() < deadline, f"process {pid} did not stop"
        time.sleep(0.01)


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "X"


def answered(slack: LocalSlack, channel: str, timeout: float = 20.0) -> str:
    """The text of the first answer Slack accepted in `channel`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        posts = [c for c in slack.calls("chat.postMessage") if c.ok and c.args.get("channel") == channel]
        if posts:
            return "\n".join(render_message(posts[0].args))
        time.sleep(0.05)
    raise AssertionError(f"nothing posted in {channel} within {timeout}s")


def ask(child: HelploopProcess, user: str, channel: str, text: str) -> None:
    response = SlackSim(child.url, SIGNING_SECRET).message(user, text, channel)
    assert response.status == 200, response.body


def test_the_work_is_done_in_a_child_that_dies_with_the_web_process(slack, group, question):
    child = group.start(WEB_PROCESSES=2)
    child.wait_for_stderr("worker ready")
    child.wait_for_stderr("listening on", count=2)
    [worker], [web] = worker_pids(child), worker_pids(child, WEB_STARTED)
    assert worker != child.pid and alive(worker) and alive(web)

    ask(child, ASKER, ASKER_DM, question)
    assert "[That solved it]" in answered(slack, ASKER_DM)

    child.kill9()
    deadline = time.monotonic() + 5
    while (alive(worker) or alive(web)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(worker), "the worker outlived a kill -9 of helploop run"
    assert not alive(web), "the second web process outlived a kill -9 of helploop run"


def test_a_worker_that_dies_is_started_again_and_nothing_is_lost(slack, group, question):
    child = group.start()
    child.wait_for_stderr("worker ready")
    [first] = worker_pids(child)
    os.kill(first, signal.SIGKILL)
    ask(child, ASKER, ASKER_DM, question)  # stored while no worker runs

    child.wait_for_stderr("starting a new one")
    child.wait_for_stderr("worker ready", count=2)
    assert "[That solved it]" in answered(slack, ASKER_DM)
    [_, second] = worker_pids(child)
    assert alive(second) and not alive(first)


def test_sigterm_stops_both_halves_with_exit_zero(group, question):
    child = group.start(WEB_PROCESSES=2)
    child.wait_for_stderr("worker ready")
    child.wait_for_stderr("listening on", count=2)
    [worker], [web] = worker_pids(child), worker_pids(child, WEB_STARTED)
    child.stop()
    assert child.process.returncode == 0, child.output
    assert not alive(worker) and not alive(web)
    assert "worker stopping" in child.output
    assert child.stderr_count("stopped") >= 2, child.output  # the web child stopped in order too


def test_a_second_web_process_takes_connections_on_the_same_port(slack, group, question):
    child = group.start(WEB_PROCESSES=2)
    child.wait_for_stderr("worker ready")
    child.wait_for_stderr("listening on", count=2)
    os.kill(child.pid, signal.SIGSTOP)  # the first web process accepts nothing now
    stopped(child.pid)
    try:
        ask(child, ASKER, ASKER_DM, question)  # a new connection: only the second one can take it
        assert "[That solved it]" in answered(slack, ASKER_DM)
    finally:
        os.kill(child.pid, signal.SIGCONT)


def test_a_second_web_process_that_dies_is_started_again(slack, group, question):
    child = group.start(WEB_PROCESSES=2)
    child.wait_for_stderr("listening on", count=2)
    [first] = worker_pids(child, WEB_STARTED)
    os.kill(first, signal.SIGKILL)
    ask(child, ASKER, ASKER_DM, question)  # the first web process still takes it
    assert "[That solved it]" in answered(slack, ASKER_DM)

    child.wait_for_stderr("the web process exited")
    child.wait_for_stderr("listening on", count=3)
    [_, second] = worker_pids(child, WEB_STARTED)
    assert alive(second) and not alive(first)


def test_one_web_process_when_asked(group):
    child = group.start(WEB_PROCESSES=1)
    child.wait_for_stderr("worker ready")
    assert worker_pids(child, WEB_STARTED) == []


def test_web_and_worker_run_as_separate_processes(slack, group, question):
    web = group.start(role="web")
    ask(web, ASKER, ASKER_DM, question)
    time.sleep(0.5)
    assert slack.calls("chat.postMessage") == [], "a web-only process answered by itself"
    assert "worker process started" not in web.output

    worker = group.start(healthy=False, role="worker")
    worker.wait_for_stderr("worker ready")
    assert "[That solved it]" in answered(slack, ASKER_DM)  # taken up by the worker's sweep


def test_a_worker_never_migrates_the_database(group, tmp_path):
    worker = group.start(healthy=False, role="worker", DATABASE_URL=f"sqlite:///{tmp_path / 'empty.db'}")
    assert worker.process.wait(timeout=30) == 3
    assert "run `helploop db upgrade` first" in worker.output
    assert "Traceback" not in worker.output


def test_web_processes_come_from_the_environment_within_bounds():
    assert Settings.from_env({}).web_processes == 2
    assert Settings.from_env({"WEB_PROCESSES": "4"}).web_processes == 4
    assert Settings.from_env({"WEB_PROCESSES": "0"}).web_processes == 1
    assert Settings.from_env({"WEB_PROCESSES": "99"}).web_processes == 16
    with pytest.raises(SettingsError, match="WEB_PROCESSES"):
        Settings.from_env({"WEB_PROCESSES": "two"})
