"""The container image builds and answers /health (needs a Docker daemon; skipped with the reason otherwise)."""
from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from localslack.webapi import LocalSlack
from tests.test_run_command import _free_port

ROOT = Path(__file__).resolve().parent.parent


def _docker_reason() -> str | None:
    if shutil.which("docker") is None:
        return "no docker client on this machine"
    info = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True)
    if info.returncode != 0:
        return "no Docker daemon reachable: " + (info.stderr.strip().splitlines() or ["docker info failed"])[-1]
    return None


def test_the_image_builds_and_answers_health():
    reason = _docker_reason()
    if reason:
        pytest.skip(reason)
    subprocess.run(["docker", "build", "-t", "helploop:test", str(ROOT)], check=True, timeout=900)
    with LocalSlack() as slack:
        port = _free_port()
        api = slack.base_url.replace("127.0.0.1", "host.docker.internal")
        container = subprocess.run(
            ["docker", "run", "-d", "--rm", "--add-host=host.docker.internal:host-gateway", "-p", f"{port}:3000",
             "-e", "SLACK_BOT_TOKEN=xoxb-c", "-e", "SLACK_SIGNING_SECRET=s", "-e", f"SLACK_API_URL={api}",
             "-e", "DATABASE_URL=sqlite:////tmp/h.db", "helploop:test"],
            check=True, capture_output=True, text=True).stdout.strip()
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                        assert json.loads(response.read())["status"] == "ok"
                        break
                except OSError:
                    assert time.monotonic() < deadline, "the container never answered /health"
                    time.sleep(1)
        finally:
            subprocess.run(["docker", "stop", container], capture_output=True, timeout=60)
