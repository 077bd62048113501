"""Run one workload script under one engine, in a fresh process and a fresh directory."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.engines import Engine, last_line
from benchmarks.report import ERROR, TIMEOUT, WRONG

WORKLOADS = Path(__file__).resolve().parent / "workloads"


@dataclass(frozen=True)
class Settings:
    """What every benchmark group is told about this run."""

    quick: bool
    timeout_s: float
    log: Callable[[str], None]


class WorkloadFailed(Exception):
    """The workload produced no usable number; ``status`` is a report cell status."""

    def __init__(self, status: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def run_workload(engine: Engine, script: str, args: list[str], timeout_s: float) -> dict[str, Any]:
    """Run ``workloads/<script>`` and return its JSON result, or raise WorkloadFailed."""
    with tempfile.TemporaryDirectory(prefix="flux-bench-") as workdir:
        # Both engines keep their state in ./.flux and flux-core does not create it itself.
        (Path(workdir) / ".flux").mkdir()
        command = [engine.python, str(WORKLOADS / script), *args]
        stdout, stderr, code = run_isolated(command, workdir, engine.environment(), timeout_s)
    if code != 0:
        raise WorkloadFailed(ERROR, last_line(stderr) or f"exit code {code}")
    result = parse_result(stdout)
    if result.get("wrong"):
        raise WorkloadFailed(WRONG, "; ".join(result["wrong"]))
    return result


def run_isolated(
    command: list[str], cwd: str, env: dict[str, str], timeout_s: float
) -> tuple[str, str, int]:
    # A session of its own lets a timeout kill the workload together with any
    # helper processes the engine started, and nothing else.
    try:
        proc = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
    except OSError as exc:
        raise WorkloadFailed(ERROR, f"cannot start {command[0]}: {exc.strerror}") from None
    try:
        stdout, stderr = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise WorkloadFailed(TIMEOUT, f"{timeout_s:g} s") from None
    return stdout, stderr, proc.returncode


def parse_result(stdout: str) -> dict[str, Any]:
    # Engines may log to stdout; the workload's result is always its last line.
    try:
        result = json.loads(last_line(stdout))
    except ValueError:
        raise WorkloadFailed(ERROR, "workload printed no JSON result") from None
    if not isinstance(result, dict):
        raise WorkloadFailed(ERROR, "workload result is not a JSON object")
    return result
