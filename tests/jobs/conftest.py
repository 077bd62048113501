"""Fixtures for the sandbox, runtime, dependency-cache and runner tests.

These run real bubblewrap sandboxes, real interpreters and (tests marked `slow` that install
packages) the real npm registry and PyPI. A machine without bubblewrap fails them with a
message instead of skipping: CI installs it.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from flux.jobs.deps import DependencyCache
from flux.jobs.runner import ScriptRunner
from flux.jobs.runtimes import Runtimes
from flux.jobs.sandbox import BwrapSandbox, ProcessSandbox
from flux.jobs.sandbox.base import Sandbox
from flux.jobs.sandbox.cgroups import find_cgroups


@pytest.fixture(scope="session")
def bwrap() -> BwrapSandbox:
    if shutil.which("bwrap") is None:
        pytest.fail("bubblewrap is not installed: apt-get install -y bubblewrap (.ci/run does)")
    sandbox = BwrapSandbox()
    reason = sandbox.unavailable()
    if reason is not None:
        pytest.fail(f"bubblewrap cannot make sandboxes on this machine: {reason}")
    return sandbox


@pytest.fixture(scope="session")
def process_sandbox() -> ProcessSandbox:
    return ProcessSandbox()


@pytest.fixture(scope="session")
def runtimes() -> Runtimes:
    return Runtimes.discover()


@pytest.fixture(scope="session")
def deps_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One dependency cache for the session: installs are the slow part."""
    return tmp_path_factory.mktemp("deps")


@pytest.fixture(scope="session")
def runner(
    bwrap: BwrapSandbox,
    runtimes: Runtimes,
    deps_root: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> ScriptRunner:
    work = tmp_path_factory.mktemp("work")
    return ScriptRunner(bwrap, runtimes, DependencyCache(deps_root, bwrap), work)


def make_runner(sandbox: Sandbox, runtimes: Runtimes, root: Path) -> ScriptRunner:
    return ScriptRunner(sandbox, runtimes, DependencyCache(root / "deps", sandbox), root / "work")


def unique_name(suffix: str) -> str:
    """A script file name no other process on the machine has: to find stray processes."""
    return f"flux_test_{secrets.token_hex(6)}{suffix}"


def processes_running(marker: str) -> list[int]:
    """Pids of processes whose command line mentions `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline:
            found.append(int(entry.name))
    return found


def job_cgroups_left() -> list[Path]:
    """Job cgroups this process made that still exist."""
    cgroups = find_cgroups()
    if cgroups is None:
        return []
    return [p for parent in cgroups.parents.values() for p in parent.glob(f"job-{os.getpid()}-*")]


@pytest.fixture
def no_leftovers() -> Iterator[None]:
    """Fails the test when a job cgroup of this process outlives it."""
    yield
    assert job_cgroups_left() == []
