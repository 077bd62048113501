"""`flux execution rerun` and `flux workflow check` as a user runs them: the real command in a
subprocess, against a real server (embedded worker)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import FluxCLI, FluxServer

from flux.client import FluxClient

pytestmark = pytest.mark.slow

V1 = """
from flux import task, workflow, pause

@task
async def fetch(n):
    return {"n": n}

@task
async def charge(order):
    if order["n"] < 0:
        raise ValueError("negative amount")
    return f"charged {order['n']}"

@workflow
async def checkout(ctx):
    order = await fetch(ctx.input)
    approved = await pause("approve")
    return [await charge(order), approved]
"""
# Renames the task at step 2: runs that reached it cannot be replayed by this code.
V2_BREAKING = V1.replace("charge(order)", "charge_card(order)").replace(
    "def charge(", "def charge_card("
)
# Adds a step after the last recorded one: every recorded run replays.
V3_COMPATIBLE = V1.replace(
    "    return [await charge(order), approved]",
    "    receipt = await charge(order)\n    await fetch(0)\n    return [receipt, approved]",
)


@pytest.fixture(scope="module")
def recorded(flux_server: FluxServer) -> dict[str, str]:
    """Runs of checkout v1: one completed, one paused before step 2, one failed at it."""
    with FluxClient(flux_server.url, timeout=30) as client:
        client.upload_workflow_source(V1, "checkout.py")
        done = client.run("checkout", 5, mode="sync")
        done = client.resume("checkout", done.execution_id, True, mode="sync")
        paused = client.run("checkout", 6, mode="sync")
        failed = client.run("checkout", -1, mode="sync")
        failed = client.resume("checkout", failed.execution_id, True, mode="sync")
    assert (done.state.value, paused.state.value, failed.state.value) == (
        "COMPLETED",
        "PAUSED",
        "FAILED",
    )
    return {"done": done.execution_id, "paused": paused.execution_id, "failed": failed.execution_id}


def write(folder: Path, source: str) -> Path:
    path = folder / "checkout.py"
    path.write_text(source)
    return path


def as_json(result: subprocess.CompletedProcess[str], code: int = 0) -> Any:
    assert result.returncode == code, result.stderr
    return json.loads(result.stdout)


def by_run(results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["execution_id"]: r for r in results}


def test_check_reports_where_a_breaking_change_diverges_and_exits_1(
    flux_server: FluxServer, recorded: dict[str, str], tmp_path: Path
) -> None:
    flux = FluxCLI(tmp_path, flux_server.url)
    file = write(tmp_path, V2_BREAKING)
    result = flux("workflow", "check", str(file))
    assert result.returncode == 1, result.stderr
    assert "DIVERGED" in result.stdout
    assert f"{recorded['done']}: step 2: the record has a call to 'charge', " in result.stderr
    assert "3 run(s) checked: 1 ok, 2 diverged, 0 could not be checked" in result.stderr
    shown = by_run(as_json(flux("workflow", "check", str(file), "--format", "json"), 1))
    done = shown[recorded["done"]]
    assert (done["status"], done["step_id"], done["expected"], done["found"]) == (
        "diverged",
        "2",
        "charge",
        "charge_card",
    )
    assert shown[recorded["failed"]]["step_id"] == "2"
    paused = shown[recorded["paused"]]
    assert paused["status"] == "ok", "paused before step 2: nothing to tell yet"
    assert paused["detail"] == "matches the record up to its end at step 1"


def test_check_passes_a_compatible_change_and_the_unchanged_code(
    flux_server: FluxServer, recorded: dict[str, str], tmp_path: Path
) -> None:
    flux = FluxCLI(tmp_path, flux_server.url)
    for source in (V1, V3_COMPATIBLE):
        results = as_json(
            flux("workflow", "check", str(write(tmp_path, source)), "--format", "json")
        )
        assert {r["status"] for r in results} == {"ok"}
        assert set(by_run(results)) == set(recorded.values())
    one = flux("workflow", "check", str(write(tmp_path, V1)), "--execution", recorded["paused"])
    assert one.returncode == 0, one.stderr
    assert "1 run(s) checked: 1 ok" in one.stderr


def test_check_reads_the_runs_from_the_database_with_local(
    flux_server: FluxServer, recorded: dict[str, str], tmp_path: Path
) -> None:
    # In the server's folder: its database and key, as on the machine that runs it.
    flux = FluxCLI(flux_server.cwd)
    file = write(tmp_path, V2_BREAKING)
    shown = by_run(as_json(flux("workflow", "check", str(file), "--local", "--format", "json"), 1))
    assert shown[recorded["done"]]["found"] == "charge_card"
    assert all(r["unreadable_values"] == 0 for r in shown.values())


def test_check_of_a_file_that_does_not_import_is_bad_input(tmp_path: Path) -> None:
    file = write(tmp_path, "import flux_no_such_module\n")
    result = FluxCLI(tmp_path)("workflow", "check", str(file), "--local")
    assert result.returncode == 2
    assert "importing" in result.stderr and "ModuleNotFoundError" in result.stderr


def test_rerun_from_the_cli(
    flux_server: FluxServer, recorded: dict[str, str], tmp_path: Path
) -> None:
    flux = FluxCLI(tmp_path, flux_server.url)
    result = flux(
        "execution", "rerun", recorded["failed"], "--step-output", '"waived"', "--mode", "sync"
    )
    assert result.returncode == 0, result.stderr
    assert f"rerun of      {recorded['failed']}" in result.stdout
    assert '["waived", true]' in result.stdout
    again = flux("execution", "rerun", recorded["failed"], "--mode", "sync")
    assert again.returncode == 1, "the step fails again: the command says so"
    assert "negative amount" in again.stderr
    lonely = flux("execution", "rerun", recorded["failed"], "--step", "2")
    assert lonely.returncode == 2 and "give --step-output too" in lonely.stderr
    refused = flux("execution", "rerun", recorded["done"])
    assert refused.returncode == 1
    assert "it is COMPLETED" in refused.stderr
