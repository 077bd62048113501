"""A workflow process SIGKILLed mid-run resumes in a new process with no step repeated."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

PROGRAM = Path(__file__).with_name("crash_program.py")

pytestmark = pytest.mark.slow


def _env(tmp_path: Path, database_url: str, block: bool) -> dict[str, str]:
    return {
        **os.environ,
        "FLUX_DATABASE_URL": database_url,
        "FLUX_HOME": str(tmp_path / ".flux"),
        "EFFECTS_FILE": str(tmp_path / "effects.txt"),
        "READY_FILE": str(tmp_path / "ready"),
        "ID_FILE": str(tmp_path / "execution_id"),
        "BLOCK_AT_GATE": "1" if block else "0",
    }


def test_sigkill_between_steps_then_resume(tmp_path: Path, database_url: str) -> None:
    ready = tmp_path / "ready"
    proc = subprocess.Popen(
        [sys.executable, str(PROGRAM), "start"],
        cwd=tmp_path,
        env=_env(tmp_path, database_url, block=True),
    )
    deadline = time.monotonic() + 30
    while not ready.exists():
        assert proc.poll() is None, "the workflow process ended before reaching the gate"
        assert time.monotonic() < deadline, "the workflow never reached the gate"
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert (tmp_path / "effects.txt").read_text().split() == ["a", "b"]

    execution_id = (tmp_path / "execution_id").read_text()
    resumed = subprocess.run(
        [sys.executable, str(PROGRAM), "resume", execution_id],
        cwd=tmp_path,
        env=_env(tmp_path, database_url, block=False),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout) == {"state": "COMPLETED", "output": ["A", "B", "C"]}
    assert (tmp_path / "effects.txt").read_text().split() == ["a", "b", "c"]
