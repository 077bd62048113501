"""Job cgroups: discovery on this machine (cgroup v1), and the v2 layout against a fake
cgroupfs (a directory holding the files the kernel would), since no v2 hierarchy with
controllers exists here."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from flux.jobs.sandbox.cgroups import (
    CPU,
    MEMORY,
    PIDS,
    Cgroups,
    JobCgroup,
    candidate_parents,
    find_cgroups,
    parse_mountinfo,
    parse_proc_cgroup,
    v2_parent,
)
from flux.jobs.spec import Limits

MOUNTINFO = """\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
33 31 0:30 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
"""
PROC_CGROUP = """\
8:pids:/
4:memory:/process_api/27f6
2:cpu,cpuacct:/
0::/
"""


def test_parsing_the_kernels_tables() -> None:
    mounts = parse_mountinfo(MOUNTINFO)
    assert mounts["memory"] == ("/", Path("/sys/fs/cgroup/memory"))
    assert mounts["cpuacct"] == ("/", Path("/sys/fs/cgroup/cpu,cpuacct"))
    assert mounts["v2"] == ("/", Path("/sys/fs/cgroup/unified"))
    own = parse_proc_cgroup(PROC_CGROUP)
    assert own == {"pids": "/", "memory": "/process_api/27f6", "cpu": "/", "cpuacct": "/", "": "/"}
    memory = Path("/sys/fs/cgroup/memory")
    assert candidate_parents(memory, "/", "/process_api/27f6") == [
        memory / "process_api/27f6",
        memory,
    ]
    assert candidate_parents(memory, "/", "/") == [memory]
    # In a cgroup namespace whose root is not ours: only the mount point itself.
    assert candidate_parents(memory, "/docker/abc", "/other") == [memory]


async def test_this_machine_gets_job_cgroups() -> None:
    cgroups = find_cgroups()
    if not os.access("/sys/fs/cgroup", os.W_OK):
        pytest.fail("this test expects a writable cgroup hierarchy (the CI machine has v1)")
    assert cgroups is not None
    assert {MEMORY, PIDS} <= cgroups.controllers
    job = cgroups.create(Limits(memory_bytes=64 << 20, max_processes=7))
    if cgroups.version == "v1":
        assert (job.dirs[MEMORY] / "memory.limit_in_bytes").read_text().strip() == str(64 << 20)
    assert (job.dirs[PIDS] / "pids.max").read_text().strip() == "7"
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        job.attach(sleeper.pid)
        assert job.pids() == {sleeper.pid}
        assert not job.signal_all()  # it was not empty
        sleeper.wait(5)
        assert job.pids() == set()
    finally:
        sleeper.kill()
        sleeper.wait()
    stats = job.stats()
    assert stats.oom_kills == 0 and stats.pids_limit_hits == 0
    assert await job.remove()


async def test_removing_a_job_cgroup() -> None:
    cgroups = find_cgroups()
    assert cgroups is not None
    job = cgroups.create(Limits())
    assert await job.remove()
    assert not any(d.exists() for d in job.dirs.values())
    assert await job.remove()  # twice is fine


def test_v2_layout_on_a_fake_cgroupfs(tmp_path: Path) -> None:
    base = tmp_path / "worker.service"
    base.mkdir()
    (base / "cgroup.controllers").write_text("cpu memory pids io\n")
    (base / "cgroup.subtree_control").write_text("")
    parent = v2_parent(base)
    assert parent == base / "flux"
    assert (base / "cgroup.subtree_control").read_text() == "+memory +pids"
    assert (parent / "cgroup.subtree_control").read_text() == "+memory +pids"
    cgroups = Cgroups("v2", {MEMORY: parent, PIDS: parent, CPU: parent})
    (parent / "cgroup.subtree_control").write_text("memory pids")
    job = cgroups.create(Limits(memory_bytes=1 << 30, max_processes=50))
    directory = job.dirs[MEMORY]
    assert (directory / "memory.max").read_text() == str(1 << 30)
    assert (directory / "memory.swap.max").read_text() == "0"
    assert (directory / "memory.oom.group").read_text() == "1"
    assert (directory / "pids.max").read_text() == "50"
    (directory / "memory.events").write_text("low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\n")
    (directory / "pids.events").write_text("max 3\n")
    (directory / "cpu.stat").write_text("usage_usec 2500000\nuser_usec 2000000\n")
    (directory / "memory.peak").write_text("1073741824\n")
    stats = job.stats()
    assert (stats.oom_kills, stats.pids_limit_hits) == (1, 3)
    assert stats.cpu_seconds == 2.5
    assert stats.peak_memory_bytes == 1 << 30
    (directory / "cgroup.procs").write_text("")
    assert job.signal_all()  # cgroup.kill written, nothing left
    assert (directory / "cgroup.kill").read_text() == "1"


def test_v2_refuses_a_parent_without_controllers(tmp_path: Path) -> None:
    (tmp_path / "cgroup.controllers").write_text("hugetlb\n")
    (tmp_path / "cgroup.subtree_control").write_text("")
    assert v2_parent(tmp_path) is None


def test_stale_job_cgroups_of_dead_workers_are_removed(tmp_path: Path) -> None:
    flux = tmp_path / "flux"
    dead = subprocess.Popen(["true"])
    dead.wait()
    (flux / f"job-{dead.pid}-1-abc").mkdir(parents=True)
    (flux / f"job-{os.getpid()}-1-abc").mkdir()
    (tmp_path / "cgroup.controllers").write_text("memory pids")
    (tmp_path / "cgroup.subtree_control").write_text("memory pids")
    assert v2_parent(tmp_path) == flux
    assert sorted(p.name for p in flux.iterdir() if p.is_dir()) == [f"job-{os.getpid()}-1-abc"]


def test_job_cgroup_with_nothing_to_kill(tmp_path: Path) -> None:
    job = JobCgroup("v1", {PIDS: tmp_path})
    (tmp_path / "cgroup.procs").write_text("")
    assert job.signal_all()
    assert job.cpu_seconds() is None
