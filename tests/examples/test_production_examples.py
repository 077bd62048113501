"""The files of `examples/production/` as a user runs them: against a real `flux start
server` (embedded worker), each printing what the feature it shows promises."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FluxServer, clean_env

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
