"""`helploop run` as a service: one-line startup errors with documented exit codes, graceful SIGTERM."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from localslack.sender import SlackSim
from localslack.webapi import LocalSlack
from tests.flows import text_of
from tests.test_run_command import ROOT, SECRET, _free_port, _wait_healthy
from wiring.service import ExitCode


def _env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_", "HELPLOOP_"))}
    env.update(PYTHONPATH=str(ROOT), SLACK_BOT_TOKEN="xoxb-ops", SLACK_SIGNING_SECRET=SECRET, **values)
    return env


def _run(env: dict[str, str], cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cli.main", "run", "--host", "127.0.0.1"], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


def _closed_port() -> int:
    return _free_port()  # nothing listens there once the probe socket is closed


def test_an_unreachable_database_is_one_line_naming_the_cause_and_the_fix(tmp_path):
    with LocalSlack() as slack:
        done = _run(_env(SLACK_API_URL=slack.base_url, PORT=str(_free_port()),
                         DATABASE_URL=f"postgresql+psycopg://nobody:secret@127.0.0.1:{_closed_port()}/x"), tmp_path)
    assert done.returncode == ExitCode.DATABASE
    assert "Traceback" not in done.stderr and "secret" not in done.stderr
    line = done.stderr.strip().splitlines()[-1]
    assert "cannot use the database" in line and "DATABASE_URL" in line


def test_unreachable_slack_is_one_line_naming_the_cause_and_the_fix(tmp_path):
    done = _run(_env(SLACK_API_URL=f"http://127.0.0.1:{_closed_port()}/api/", PORT=str(_free_port()),
                     DATABASE_URL=f"sqlite:///{tmp_path / 'h.db'}"), tmp_path)
    assert done.returncode == ExitCode.SLACK, done.stderr
    assert "Traceback" not in done.stderr
    assert "cannot reach Slack" in done.stderr and "SLACK_BOT_TOKEN" in done.stderr


def test_a_port_in_use_is_one_line_naming_the_cause_and_the_fix(tmp_path):
    with LocalSlack() as slack, socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _run(_env(SLACK_API_URL=slack.base_url, PORT=str(port), DATABASE_URL=f"sqlite:///{tmp_path / 'h.db'}"),
                    tmp_path)
    assert done.returncode == ExitCode.PORT, done.stderr
    assert "Traceback" not in done.stderr and f"port {port}" in done.stderr and "PORT" in done.stderr


def test_a_malformed_setting_exits_2_with_its_name(tmp_path):
    done = _run(_env(PORT="eighty", DATABASE_URL=f"sqlite:///{tmp_path / 'h.db'}"), tmp_path)
    assert done.returncode == ExitCode.CONFIG and "PORT" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_finishes_what_is_in_flight_and_exits_0(tmp_path, sig):
    with LocalSlack() as slack:
        port = _free_port()
        env = _env(SLACK_API_URL=slack.base_url, PORT=str(port), DATABASE_URL=f"sqlite:///{tmp_path / 'h.db'}")
        process = subprocess.Popen([sys.executable, "-m", "cli.main", "run", "--host", "127.0.0.1"], env=env,
                                   cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            _wait_healthy(port, process)
            slack.slow("chat.postMessage", 1.0)  # the answer is still on its way when the signal comes
            sim = SlackSim(f"http://127.0.0.1:{port}/slack/events", SECRET)
            assert sim.message("U0HLEMP", "jak zresetowac haslo do vpn", "D0HLEMP").status == 200
            slack.wait_for("chat.postMessage", timeout=10)
            process.send_signal(sig)
            output, _ = process.communicate(timeout=20)
        finally:
            if process.poll() is None:
                process.kill()
        assert process.returncode == ExitCode.OK, output
        assert "Traceback" not in output and "stopped" in output
        [answer] = slack.calls("chat.postMessage")
        assert "[That solved it]" in text_of(answer)
