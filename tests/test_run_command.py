"""`helploop run` as a real process: migrates an empty database, serves /health and Slack's requests."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from localslack.webapi import LocalSlack
from localslack.sender import SlackSim
from tests.flows import text_of

ROOT = Path(__file__).resolve().parent.parent
SECRET = "run-command-secret"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(tmp_path):
    with LocalSlack() as slack:
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
        env.update(SLACK_BOT_TOKEN="xoxb-run", SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=slack.base_url,
                   DATABASE_URL=f"sqlite:///{tmp_path / 'fresh.db'}", PORT=str(port), PYTHONPATH=str(ROOT),
                   SCHEDULER_TICK_SECONDS="1")
        process = subprocess.Popen([sys.executable, "-m", "cli.main", "run", "--host", "127.0.0.1"], env=env,
                                   cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            _wait_healthy(port, process)
            yield slack, SlackSim(f"http://127.0.0.1:{port}/slack/events", SECRET,
                                  response_urls=slack.response_url), port
        finally:
            process.terminate()
            output, _ = process.communicate(timeout=10)
            assert "Traceback" not in output, output


def _wait_healthy(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"helploop run exited: {process.stdout.read()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as response:
                if json.loads(response.read()) == {"status": "ok", "database": "ok"}:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("helploop run never became healthy")


def test_run_serves_slack_on_an_empty_database(served):
    slack, sim, _ = served
    response = sim.message("U0HLEMP", "jak zresetowac haslo do vpn", "D0HLEMP")
    assert response.status == 200
    [answer] = slack.wait_for("chat.postMessage", timeout=10)
    assert answer.args["channel"] == "D0HLEMP" and "[That solved it]" in text_of(answer)


def test_malformed_and_oversized_input_is_answered_and_loses_nothing(served):
    slack, sim, _ = served
    assert sim.raw(b"payload=%7Bnot-json", "application/x-www-form-urlencoded").status in (400, 404)
    assert sim.raw(b"{\"type\": \"event_callback\"", "application/json").status in (400, 404)
    huge = "The projector in the boardroom makes a weird buzzing sound during calls. " * 550  # ~40,000 characters
    assert sim.message("U0HLEMP", huge, "D0HLEMP").status == 200
    posts = slack.wait_for("chat.postMessage", count=2, timeout=10)  # notice + triage post
    triage = next(p for p in posts if p.args["channel"].startswith("C"))
    assert "The projector in the boardroom" in text_of(triage) and len(text_of(triage)) < 4000
