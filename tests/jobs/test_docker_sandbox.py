"""The Docker backend. No Docker daemon runs where these tests run, so only what can be
checked without one is: the `docker run` command it builds, and how fast and clearly it
finds out that no daemon answers. Running a container for real cannot be tested here."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest

from flux.config import JobsSettings
from flux.errors import ConfigurationError
from flux.jobs.sandbox import DockerSandbox, SandboxSpec, choose_sandbox, describe
from flux.jobs.sandbox.bwrap import BwrapSandbox
from flux.jobs.spec import Limits


def fake_docker(directory: Path, body: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    docker = directory / "docker"
    docker.write_text(f"#!/bin/sh\n{body}\n")
    docker.chmod(0o755)
    return docker


def test_the_run_command(tmp_path: Path) -> None:
    sandbox = DockerSandbox("docker")
    spec = SandboxSpec(
        argv=["/root/.pyenv/versions/3.12.1/bin/python3.12", "/jobs/job-1/script.py"],
        env={"PAYLOAD": '{"a": 1}', "FLUX_OUTPUT": "/jobs/job-1/output.json"},
        job_dir=Path("/jobs/job-1"),
        read_only=(Path("/cache/deps/python-3.12/abc"),),
        limits=Limits(memory_bytes=256 << 20, cpu_seconds=30, max_processes=64),
        image="python:3.12-slim",
    )
    argv = sandbox.command(spec, "flux-job-x")
    assert argv[:4] == ["docker", "run", "--name", "flux-job-x"]
    pairs = list(itertools.pairwise(argv))
    for flag, value in [
        ("--network", "none"),
        ("--memory", str(256 << 20)),
        ("--memory-swap", str(256 << 20)),
        ("--pids-limit", "64"),
        ("--ulimit", "cpu=30:32"),
        ("--ulimit", "core=0"),
        ("--user", "65534:65534"),
        ("--volume", "/jobs/job-1:/jobs/job-1"),
        ("--volume", "/cache/deps/python-3.12/abc:/cache/deps/python-3.12/abc:ro"),
        ("--workdir", "/jobs/job-1"),
        ("--env", 'PAYLOAD={"a": 1}'),
        ("--cap-drop", "ALL"),
    ]:
        assert (flag, value) in pairs, (flag, value)
    assert "--read-only" in argv
    assert argv[-3:] == ["python:3.12-slim", "python3.12", "/jobs/job-1/script.py"]
    networked = sandbox.command(
        SandboxSpec(["node", "x"], {}, Path("/j"), limits=Limits(network=True), image="n"),
        "c",
    )
    assert ("--network", "bridge") in list(itertools.pairwise(networked))
    with pytest.raises(ValueError, match="image"):
        sandbox.command(SandboxSpec(["node"], {}, Path("/j")), "c")


def test_no_daemon_is_found_out_quickly() -> None:
    started = time.monotonic()
    reason = DockerSandbox().unavailable()  # this machine's docker client, no daemon
    assert time.monotonic() - started <= 2.5
    assert reason is not None and ("daemon" in reason or "not installed" in reason)


def test_a_daemon_that_hangs_is_given_up_on_after_two_seconds(tmp_path: Path) -> None:
    docker = fake_docker(tmp_path, "sleep 30")
    started = time.monotonic()
    reason = DockerSandbox(str(docker)).unavailable()
    assert time.monotonic() - started <= 2.5
    assert reason == "the Docker daemon did not answer within 2 s"


def test_a_daemon_that_answers(tmp_path: Path) -> None:
    docker = fake_docker(tmp_path, 'echo "27.1.0"')
    sandbox = DockerSandbox(str(docker))
    assert sandbox.available()
    assert describe(sandbox) == "docker: docker 27.1.0"


def test_choosing_a_sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert choose_sandbox(JobsSettings(sandbox="process")).name == "process"
    auto = choose_sandbox(JobsSettings(sandbox="auto"))
    assert auto.name == "bwrap"  # installed here and in CI
    assert describe(auto).startswith("bwrap: bubblewrap ")
    fake_docker(tmp_path / "bin", "echo 'Cannot connect to the Docker daemon' >&2; exit 1")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    with pytest.raises(
        ConfigurationError, match=r"jobs\.sandbox is 'docker', but no Docker daemon"
    ):
        choose_sandbox(JobsSettings(sandbox="docker"))
    monkeypatch.setattr(BwrapSandbox, "unavailable", lambda self: "user namespaces are off")
    with pytest.raises(ConfigurationError, match=r"jobs\.sandbox is 'bwrap', but user namespaces"):
        choose_sandbox(JobsSettings(sandbox="bwrap"))
    assert choose_sandbox(JobsSettings(sandbox="auto")).name == "process"  # with a warning


def test_bwrap_that_is_not_installed() -> None:
    reason = BwrapSandbox("/nonexistent/bwrap", use_cgroups=False).unavailable()
    assert reason is not None and "not installed" in reason


FAKE_CLIENT = """
echo "$@" >> {log}
case "$1" in
  run) echo "from the container"; [ -n "$DOCKER_TEST_SLOW" ] && exec sleep 30; exit 3 ;;
  inspect) echo false ;;
esac
exit 0
"""


async def test_a_run_with_a_stand_in_client(tmp_path: Path) -> None:
    """The steps around `docker run` (inspect, rm; kill on timeout), with a shell script
    standing in for the docker client."""
    log = tmp_path / "calls"
    docker = fake_docker(tmp_path / "bin", FAKE_CLIENT.format(log=log))
    sandbox = DockerSandbox(str(docker))
    job_dir = tmp_path / "job"
    job_dir.mkdir()
    spec = SandboxSpec(["/usr/bin/bash", "-c", "true"], {}, job_dir, image="bash:5")
    result = await sandbox.run(spec)
    assert (result.exit_code, result.output, result.backend) == (
        3,
        b"from the container\n",
        "docker",
    )
    calls = [line.split()[0] for line in log.read_text().splitlines()]
    assert calls == ["run", "inspect", "rm"]
    log.unlink()
    slow = SandboxSpec(["bash"], {}, job_dir, limits=Limits(wall_seconds=0.5), image="bash:5")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DOCKER_TEST_SLOW", "1")  # DOCKER_* reaches the client
        result = await sandbox.run(slow)
    assert result.timed_out and result.limit == "wall_time"
    calls = [line.split()[0] for line in log.read_text().splitlines()]
    assert calls == ["run", "kill", "inspect", "rm"]
