"""`flux db` and retention as a user meets them: workflows run in the user's own process
store executions in ./.flux/flux.db; `flux db prune` deletes the finished ones past their
retention (never a paused one); a server prunes on its own; `flux db migrate` says what it
did."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from conftest import FluxCLI, clean_env, start_server, stop_server

pytestmark = pytest.mark.slow

WORKFLOWS = """
import sys
from flux import pause, workflow

@workflow
async def nightly(ctx):
    return "done"

@workflow
async def audit(ctx):
    return "kept"

@workflow
async def approval(ctx):
    return await pause("wait")

for name in sys.argv[1:]:
    {"nightly": nightly, "audit": audit, "approval": approval}[name].run()
"""


def run_local(cwd: Path, *names: str) -> None:
    script = cwd / "flows.py"
    script.write_text(WORKFLOWS)
    done = subprocess.run(
        [sys.executable, str(script), *names], cwd=cwd, env=clean_env(), capture_output=True
    )
    assert done.returncode == 0, done.stderr


def test_migrate_then_prune_by_age_and_per_workflow(tmp_path: Path) -> None:
    flux = FluxCLI(tmp_path)
    first = flux("db", "migrate")
    assert first.returncode == 0, first.stderr
    assert "migrated from an empty database to" in first.stdout
    assert "already at revision" in flux("db", "migrate").stdout

    run_local(tmp_path, "nightly", "nightly", "audit", "approval")
    time.sleep(1.2)
    dry = flux("db", "prune", "--older-than", "1s", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines() == ["audit: would delete 1", "nightly: would delete 2"]

    # Settings: 0 keeps a workflow's executions forever.
    env = {"FLUX_RETENTION__DAYS": "0.00001", "FLUX_RETENTION__WORKFLOWS": '{"audit": 0}'}
    pruned = flux("db", "prune", env=env)
    assert pruned.returncode == 0, pruned.stderr
    assert pruned.stdout == "nightly: deleted 2\n" and "deleted 2 execution(s)" in pruned.stderr
    # The paused run is never pruned, whatever its age.
    left = flux("db", "prune", "--older-than", "1s", "--dry-run")
    assert left.stdout == "audit: would delete 1\n"

    bad = flux("db", "prune", "--older-than", "soon")
    assert bad.returncode == 2 and "not an age" in bad.stderr


def test_a_server_prunes_finished_runs_on_its_own(tmp_path: Path) -> None:
    server = start_server(
        tmp_path, FLUX_RETENTION__DAYS="0.00002", FLUX_RETENTION__INTERVAL="0.5"
    )  # 1.7 s
    try:
        source = WORKFLOWS.split("for name")[0]
        files = {"file": ("flows.py", source.encode(), "text/x-python")}
        assert httpx.post(f"{server.url}/workflows", files=files).status_code == 200
        done = httpx.post(f"{server.url}/workflows/nightly/run/sync", json=None, timeout=30)
        paused = httpx.post(f"{server.url}/workflows/approval/run/sync", json=None, timeout=30)
        assert done.json()["state"] == "COMPLETED" and paused.json()["state"] == "PAUSED"

        deadline = time.monotonic() + 20
        while (
            httpx.get(f"{server.url}/executions/{done.json()['execution_id']}").status_code != 404
        ):
            assert time.monotonic() < deadline, "the finished run was not pruned"
            time.sleep(0.2)
        kept = httpx.get(f"{server.url}/executions/{paused.json()['execution_id']}")
        assert kept.status_code == 200 and kept.json()["state"] == "PAUSED"
    finally:
        stop_server(server)
