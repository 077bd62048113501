"""The files of `examples/production/` as a user runs them: against a real `flux start
server` (embedded worker), each printing what the feature it shows promises."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from conftest import FluxServer, clean_env, free_port, start_server, stop_server

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "production"

pytestmark = pytest.mark.slow


def run_against(server: FluxServer, name: str, cwd: Path) -> str:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        cwd=cwd,
        env=clean_env(FLUX_WORKERS__SERVER_URL=server.url),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"{name} exited {result.returncode}:\n{result.stderr}"
    return result.stdout


def test_idempotent_start(flux_server: FluxServer, tmp_path: Path) -> None:
    printed = run_against(flux_server, "idempotent_start.py", tmp_path)
    assert printed == "charged order 1024 25 EUR\nsame execution: True\n"


def test_retention(tmp_path: Path) -> None:
    result = subprocess.run(
        ["bash", str(EXAMPLES / "retention.sh")],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "migrated from an empty database to" in lines[0]
    assert lines[1:] == ["hello_world: would delete 1", "hello_world: deleted 1"]
    assert "would delete 0 execution(s)" in result.stderr


SUMS = b"""
from flux import task, workflow

@task
async def add(a, b):
    return a + b

@workflow
async def sums(ctx):
    return await add(await add(1, 2), 3)
"""


def test_trace_viewer(tmp_path: Path) -> None:
    port = free_port()
    viewer = subprocess.Popen(
        [sys.executable, "-u", str(EXAMPLES / "trace_viewer.py"), str(port)],
        env=clean_env(),
        stdout=subprocess.PIPE,
        text=True,
    )
    assert viewer.stdout is not None
    assert viewer.stdout.readline().startswith("listening")
    server = start_server(
        tmp_path,
        FLUX_TELEMETRY__OTLP_ENDPOINT=f"http://127.0.0.1:{port}",
        OTEL_BSP_SCHEDULE_DELAY="50",
    )
    try:
        source = SUMS
        files = {"file": ("sums.py", source, "text/x-python")}
        assert httpx.post(f"{server.url}/workflows", files=files).status_code == 200
        done = httpx.post(f"{server.url}/workflows/sums/run/sync", json=None, timeout=60)
        assert done.json()["output"] == 6
        lines = [viewer.stdout.readline().rstrip("\n") for _ in range(3)]
    finally:
        stop_server(server)
        viewer.kill()
        viewer.wait()
        viewer.stdout.close()
    assert lines[0].startswith("workflow sums ")
    assert lines[1].startswith("  task add ") and lines[2].startswith("  task add ")


def test_rerun_failed_step(flux_server: FluxServer, tmp_path: Path) -> None:
    printed = run_against(flux_server, "rerun_failed_step.py", tmp_path)
    assert printed.splitlines() == [
        "FAILED - RuntimeError: printer jammed",
        "COMPLETED - label for A-42 via courier-7",
        "rerun of the failed run: True",
        "stock reserved 1 time(s)",
        "COMPLETED - handwritten label",
    ]


def test_safe_deploy(flux_server: FluxServer, tmp_path: Path) -> None:
    printed = run_against(flux_server, "safe_deploy.py", tmp_path)
    assert printed.splitlines() == [
        "started on v1: True - PAUSED",
        "finished on v1: True - total 100",
        "a new run uses v2: True - total 120.0",
    ]


def test_check_before_deploy(flux_server: FluxServer, tmp_path: Path) -> None:
    result = subprocess.run(
        ["bash", str(EXAMPLES / "check_before_deploy.sh")],
        cwd=tmp_path,
        env=clean_env(FLUX_WORKERS__SERVER_URL=flux_server.url),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "compatible change: exit 0",
        "breaking change: exit 1, step 1: send_greeting -> log_greeting",
    ]


def test_large_outputs(flux_server: FluxServer, tmp_path: Path) -> None:
    printed = run_against(flux_server, "large_outputs.py", tmp_path)
    assert printed.splitlines() == [
        "server report rows: 20000 20000",
        "same report when read again: True",
        "local report rows: 20000",
        "files in the workflow's store: 1",
        "same report after replay: True",
    ]
    # The server kept the report in its own store (under its home), not in the log.
    assert any(p.is_file() for p in (flux_server.cwd / ".flux" / "outputs").rglob("*"))


def test_concurrency_limits(flux_server: FluxServer, tmp_path: Path) -> None:
    printed = run_against(flux_server, "concurrency_limits.py", tmp_path)
    assert printed.splitlines() == [
        'sync_customer[customer="acme"]: 1 of 1 running (first), 3 waiting',
        "second waits: True",
        "acme ran in order: first, urgent, second, third",
        "two acme syncs at once: False",
        "globex ran beside acme: True",
    ]
