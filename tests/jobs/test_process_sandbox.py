"""The plain-process backend: limits without isolation, and a report that says so."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from flux.jobs.runtimes import Runtimes
from flux.jobs.sandbox import ProcessSandbox, SandboxSpec
from flux.jobs.spec import Limits, ScriptSpec
from tests.jobs.conftest import job_cgroups_left, make_runner, processes_running, unique_name

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("no_leftovers")]


async def test_the_report_says_what_is_not_isolated(
    process_sandbox: ProcessSandbox, runtimes: Runtimes, tmp_path: Path
) -> None:
    runner = make_runner(process_sandbox, runtimes, tmp_path)
    result = await runner.run(ScriptSpec("bash", "echo $PAYLOAD", "x.sh", payload=[1]))
    assert result.ok and result.logs == "[1]\n"
    assert result.sandbox == "process"
    assert result.enforced["filesystem"] == "not isolated"
    assert result.enforced["wall_time"] == "timer"
    if os.geteuid() == 0:
        assert result.enforced["network"] == "namespace (unshare)"
    else:
        assert result.enforced["network"] == "not enforced"
    if process_sandbox.cgroups is not None:
        assert result.enforced["memory"].startswith(process_sandbox.cgroups.label())
        assert result.enforced["processes"] == process_sandbox.cgroups.label()
    assert "not isolated" in process_sandbox.describe()


async def test_limits_still_hold(
    process_sandbox: ProcessSandbox, runtimes: Runtimes, tmp_path: Path
) -> None:
    runner = make_runner(process_sandbox, runtimes, tmp_path)
    memory = await runner.run(
        ScriptSpec(
            "python",
            "x = b'x' * (10 * 1024**3)",
            "m.py",
            limits=Limits(memory_bytes=128 << 20, wall_seconds=20),
        )
    )
    assert memory.limit == "memory", memory.logs
    name = unique_name(".sh")
    bomb = ScriptSpec(
        "bash", ":(){ :|:& };:\nsleep 30", name, limits=Limits(max_processes=32, wall_seconds=2)
    )
    result = await runner.run(bomb)
    assert result.limit == "processes"
    assert processes_running(name) == []
    assert job_cgroups_left() == []


async def test_background_processes_do_not_outlive_the_job(
    process_sandbox: ProcessSandbox, tmp_path: Path
) -> None:
    nap = "2999.4321"
    spec = SandboxSpec(
        ["bash", "-c", f"setsid sleep {nap} & echo left"], {"PATH": "/usr/bin:/bin"}, tmp_path
    )
    result = await process_sandbox.run(spec)
    assert result.exit_code == 0
    assert processes_running(nap) == []


async def test_cancellation_kills_the_session(
    process_sandbox: ProcessSandbox, tmp_path: Path
) -> None:
    nap = "2999.1234"
    spec = SandboxSpec(
        ["bash", "-c", f"sleep {nap} & echo go; wait"], {"PATH": "/usr/bin:/bin"}, tmp_path
    )
    started = asyncio.Event()
    task = asyncio.create_task(process_sandbox.run(spec, lambda data: started.set()))
    await asyncio.wait_for(started.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert processes_running(nap) == []
