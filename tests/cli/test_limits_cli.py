"""`flux limits list` as a user runs it, against a real `flux start server`: a run holding
the only slot of a limit and one waiting for it, in a table and as JSON."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest
from conftest import FluxCLI, FluxServer

pytestmark = pytest.mark.slow

SLOW = """
import asyncio
from flux import task, workflow

@task
async def nap(seconds):
    await asyncio.sleep(seconds)

@workflow.with_options(concurrency=1, priority=2)
async def nightly(ctx):
    await nap(ctx.input)
"""


def test_limits_list_shows_holders_and_waiting_runs(
    flux_server: FluxServer, flux_cli: FluxCLI, tmp_path: Path
) -> None:
    cli = flux_cli.at(flux_server.url)
    source = tmp_path / "nightly.py"
    source.write_text(SLOW)
    assert cli("workflow", "register", str(source)).returncode == 0
    url = flux_server.url
    first = httpx.post(f"{url}/workflows/nightly/run/async", json=30).json()["execution_id"]
    httpx.post(f"{url}/workflows/nightly/run/async", json=0)
    deadline = time.monotonic() + 30
    while httpx.get(f"{url}/executions/{first}").json()["state"] != "RUNNING":
        assert time.monotonic() < deadline, "the first run did not start"
        time.sleep(0.05)

    shown = cli("limits", "list")
    listed = cli("limits", "list", "--workflow", "nightly", "--format", "json")

    assert shown.returncode == 0, shown.stderr
    header, row = shown.stdout.splitlines()[:2]
    assert header.split()[:6] == ["KIND", "KEY", "CAPACITY", "IN", "USE", "WAITING"]
    assert row.split()[:6] == ["concurrency", "nightly", "1", "1", "1", first]
    # What the workflow declares: its priority and concurrency.
    assert shown.stdout.splitlines()[-1].split() == ["nightly", "2", "1", "-", "-", "-"]
    found = json.loads(listed.stdout)
    [limit] = found["limits"]
    assert (limit["in_use"], limit["waiting"], limit["available"]) == (1, 1, 0)
    assert [h["execution_id"] for h in limit["holders"]] == [first]
    httpx.get(f"{url}/workflows/nightly/cancel/{first}")


def test_workflow_run_priority_overrides_the_declared_one(
    flux_server: FluxServer, flux_cli: FluxCLI, tmp_path: Path
) -> None:
    cli = flux_cli.at(flux_server.url)
    source = tmp_path / "nightly.py"
    source.write_text(SLOW)
    assert cli("workflow", "register", str(source)).returncode == 0

    started = cli("workflow", "run", "nightly", "0", "--priority", "7", "--format", "json")
    too_high = cli("workflow", "run", "nightly", "0", "--priority", "5000")

    assert started.returncode == 0, started.stderr
    execution_id = json.loads(started.stdout)["execution_id"]
    shown = httpx.get(f"{flux_server.url}/executions/{execution_id}").json()
    assert shown["priority"] == 7
    assert too_high.returncode == 2
    assert "5000 is not in the range -1000<=x<=1000" in too_high.stderr
