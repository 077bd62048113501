"""Limits in the bubblewrap sandbox, enforced on real processes: each one kills the whole
tree, says which limit it was, and leaves nothing behind for the next job."""

from __future__ import annotations

import asyncio
import os
import secrets
from pathlib import Path
from typing import Any

import pytest

from flux.jobs.runner import ScriptRunner
from flux.jobs.sandbox import BwrapSandbox, SandboxSpec
from flux.jobs.spec import Limits, ScriptSpec
from tests.jobs.conftest import job_cgroups_left, processes_running, unique_name

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("no_leftovers")]


def bash(source: str, filename: str = "job.sh", **limits: Any) -> ScriptSpec:
    return ScriptSpec("bash", source, filename, limits=Limits(**limits))


def python(source: str, **limits: Any) -> ScriptSpec:
    return ScriptSpec("python", source, "job.py", limits=Limits(**limits))


async def test_enforced_says_how_each_limit_is_enforced(runner: ScriptRunner) -> None:
    result = await runner.run(bash("true"))
    assert result.ok, result
    assert result.sandbox == "bwrap"
    assert set(result.enforced) >= {
        "memory",
        "processes",
        "cpu_time",
        "wall_time",
        "output",
        "network",
        "filesystem",
    }
    assert result.enforced["filesystem"] == "bwrap"
    assert result.enforced["network"] == "namespace"
    assert result.enforced["wall_time"] == "timer"
    if os.access("/sys/fs/cgroup/pids", os.W_OK):  # this machine and CI: cgroup v1
        assert result.enforced["memory"].startswith("cgroup v1")
        assert result.enforced["processes"] == "cgroup v1"
    assert result.usage["wall_seconds"] > 0


async def test_a_10_gb_allocation_is_killed_as_out_of_memory(runner: ScriptRunner) -> None:
    result = await runner.run(
        python("data = b'x' * (10 * 1024**3)\nprint('allocated')", memory_bytes=128 << 20)
    )
    assert result.limit == "memory"
    assert result.reason == "out of memory (limit 128 MiB)"
    assert "allocated" not in result.logs
    assert result.usage["max_memory_bytes"] <= 128 << 20


async def test_an_endless_loop_is_killed_at_the_wall_time_limit(runner: ScriptRunner) -> None:
    result = await runner.run(bash("echo started; while :; do sleep 0.01; done", wall_seconds=1))
    assert result.limit == "wall_time"
    assert result.reason == "timed out (limit 1 s)"
    assert result.exit_code is None
    assert result.logs == "started\n"


async def test_a_busy_loop_is_killed_at_the_cpu_time_limit(runner: ScriptRunner) -> None:
    result = await runner.run(python("while True: pass", cpu_seconds=1, wall_seconds=20))
    assert result.limit == "cpu_time"
    assert result.reason == "cpu time limit exceeded (limit 1 s)"
    assert 0.9 <= result.usage["cpu_seconds"] < 5


async def test_cpu_time_counts_for_the_whole_tree(runner: ScriptRunner) -> None:
    # Four processes at 0.6 s each stay under a per-process rlimit of 2 s; the tree does not.
    source = "for i in 1 2 3 4; do (while :; do :; done) & done; wait"
    result = await runner.run(bash(source, cpu_seconds=2, wall_seconds=30))
    assert result.limit == "cpu_time"
    assert result.usage["cpu_seconds"] >= 2


async def test_a_fork_bomb_meets_the_process_limit_and_leaves_nothing(
    runner: ScriptRunner,
) -> None:
    name = unique_name(".sh")
    bomb = bash(":(){ :|:& };:\nsleep 30", filename=name, max_processes=32, wall_seconds=3)
    result = await runner.run(bomb)
    assert result.limit == "processes"
    assert result.reason == "too many processes (limit 32)"
    assert processes_running(name) == []
    assert job_cgroups_left() == []
    after = await runner.run(bash("echo still fine"))
    assert after.ok and after.logs == "still fine\n"


async def test_endless_output_stops_at_the_output_limit(runner: ScriptRunner) -> None:
    result = await runner.run(
        python("while True: print('x' * 99)", max_output_bytes=64 * 1024, wall_seconds=30)
    )
    assert result.limit == "output"
    assert result.reason == "output too large (limit 64 KiB)"
    assert len(result.logs) == 64 * 1024


async def test_cancelling_kills_the_whole_tree(runner: ScriptRunner) -> None:
    name = unique_name(".sh")
    nap = f"3000.{secrets.randbelow(10**6)}"  # a sleep no other process on the machine takes
    started = asyncio.Event()
    spec = bash(f"sleep {nap} & sleep {nap} & echo started; wait", filename=name)
    task = asyncio.create_task(runner.run(spec, on_output=lambda text: started.set()))
    await asyncio.wait_for(started.wait(), 10)
    assert processes_running(name)  # bwrap, its PID 1 and bash
    for _ in range(200):  # the sleeps may still be forking when "started" arrives
        if len(processes_running(nap)) == 2:
            break
        await asyncio.sleep(0.01)
    assert len(processes_running(nap)) == 2
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert processes_running(name) == []
    assert processes_running(nap) == []
    assert job_cgroups_left() == []
    assert list(runner.work_root.iterdir()) == []


async def test_the_limit_holds_in_the_sandbox_without_cgroups(tmp_path: Path) -> None:
    """Where no cgroup is writable: rlimits, and `enforced` says so."""
    sandbox = BwrapSandbox(use_cgroups=False)
    spec = SandboxSpec(
        ["bash", "-c", "while :; do :; done"],
        {"PATH": "/usr/bin:/bin"},
        tmp_path,
        limits=Limits(cpu_seconds=1, wall_seconds=20),
    )
    result = await sandbox.run(spec)
    assert result.limit == "cpu_time"
    assert result.enforced["memory"] == "rlimit RLIMIT_DATA (per process)"
    assert result.enforced["cpu_time"] == "rlimit per process"
    assert result.enforced["processes"].startswith(
        "not enforced" if os.geteuid() == 0 else "rlimit"
    )
