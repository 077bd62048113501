"""`flux schedule` as a user runs it, against a real `flux start server` with its embedded
worker: a schedule fires real runs, keeps firing after the server restarts, and a bad cron
is refused with the server's message."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import FluxCLI, FluxServer, start_server, stop_server

pytestmark = pytest.mark.slow

HELLO = """
from flux import workflow, cron

@workflow
async def hello(ctx):
    return f"hello {ctx.input}"

@workflow.with_options(schedule=cron("0 9 * * *", timezone="Europe/Lisbon"))
async def morning(ctx):
    return "good morning"
"""


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Callable[[], FluxServer]]:
    started: list[FluxServer] = []

    def start() -> FluxServer:
        server = start_server(tmp_path)  # same directory: same database, key and files
        started.append(server)
        return server

    yield start
    for server in started:
        if server.process.poll() is None:
            stop_server(server)


def _completed(url: str) -> int:
    params = {"workflow": "hello", "state": "COMPLETED"}
    count: int = httpx.get(f"{url}/executions", params=params, timeout=5).json()["count"]
    return count


def _wait_for(check: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_schedule_commands_and_a_restart(servers: Callable[[], FluxServer], tmp_path: Path) -> None:
    server = servers()
    flux = FluxCLI(tmp_path, server.url)
    (tmp_path / "hello.py").write_text(HELLO)
    assert flux("workflow", "register", "hello.py").returncode == 0

    made = flux(
        "schedule", "create", "greeter", "hello", "--every", "1", "-i", '"world"',
        "--format", "json",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["description"] == "every 1 s"
    _wait_for(lambda: _completed(server.url) >= 2)

    listed = flux("schedule", "list")
    assert listed.returncode == 0
    assert "greeter" in listed.stdout and "morning" in listed.stdout  # from schedule=
    shown = flux("schedule", "show", "greeter", "--format", "json")
    runs: list[dict[str, Any]] = json.loads(shown.stdout)["recent_runs"]
    assert "COMPLETED" in {run["state"] for run in runs}
    morning = json.loads(flux("schedule", "show", "morning", "--format", "json").stdout)
    assert (morning["source"], morning["schedule"]["timezone"]) == ("workflow", "Europe/Lisbon")

    stop_server(server)
    restarted = servers()  # the schedule was stored: it fires again, no one recreates it
    after_restart = _completed(restarted.url)
    _wait_for(lambda: _completed(restarted.url) >= after_restart + 2)

    flux = flux.at(restarted.url)
    paused = flux("schedule", "pause", "greeter")
    assert paused.returncode == 0 and "paused" in paused.stdout
    preview = flux("schedule", "preview", "--cron", "30 2 * * *", "--tz", "America/New_York")
    assert preview.returncode == 0 and len(preview.stdout.splitlines()) == 10
    bad = flux("schedule", "create", "bad", "hello", "--cron", "0 0 30 2 *")
    assert bad.returncode == 1 and "never fires" in bad.stderr
    assert flux("schedule", "delete", "greeter").returncode == 0
    assert flux("schedule", "show", "greeter").returncode == 1
