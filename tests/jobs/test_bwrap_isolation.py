"""What a job in the bubblewrap sandbox can see and reach: a read-only system, its own
directory and /tmp, no network unless it asked, none of the worker's files or environment."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from flux.jobs.runner import ScriptRunner
from flux.jobs.sandbox import BwrapSandbox, SandboxSpec
from flux.jobs.spec import Limits, ScriptSpec

pytestmark = pytest.mark.usefixtures("no_leftovers")

CONNECT = """
import os, socket
port = int(os.environ["PORT"])
try:
    socket.create_connection(("127.0.0.1", port), timeout=5).close()
    print("connected")
except OSError as exc:
    print("refused:", type(exc).__name__)
"""


@pytest.fixture
async def listener() -> AsyncIterator[int]:
    """A TCP service on the worker's loopback, like a database a job must not reach."""
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    async with server:
        yield server.sockets[0].getsockname()[1]


async def test_no_network_by_default(runner: ScriptRunner, listener: int) -> None:
    spec = ScriptSpec("python", CONNECT, "net.py", env={"PORT": str(listener)})
    result = await runner.run(spec)
    assert result.ok, result.logs
    assert result.logs.startswith("refused:"), result.logs


async def test_network_when_the_job_asks(runner: ScriptRunner, listener: int) -> None:
    spec = ScriptSpec(
        "python", CONNECT, "net.py", env={"PORT": str(listener)}, limits=Limits(network=True)
    )
    result = await runner.run(spec)
    assert result.logs == "connected\n"
    assert result.enforced["network"] == "host network (asked for)"


async def test_the_system_is_read_only_and_tmp_is_private(
    runner: ScriptRunner, tmp_path: Path
) -> None:
    home = tmp_path / "flux-home"  # stands for the Flux home: database, keys, workflows
    home.mkdir()
    (home / "flux.db").write_text("secret")
    probe = f"""
import json, os, socket
def can_write(path):
    try:
        with open(path, "w") as f:
            f.write("x")
        return True
    except OSError:
        return False
report = {{
    "usr": can_write("/usr/flux-test"),
    "etc": can_write("/etc/flux-test"),
    "root": can_write("/flux-test"),
    "tmp": can_write("/tmp/flux-test"),
    "job_dir": can_write("written-by-job"),
    "home_visible": os.path.exists({str(home)!r}),
    "db_visible": os.path.exists({str(home / "flux.db")!r}),
    "shadow": os.path.exists("/etc/shadow"),
    "cwd_is_job_dir": os.getcwd() == os.environ["FLUX_JOB_DIR"],
    "uid": os.getuid(),
    "hostname": socket.gethostname(),
    # (the job directory's parents appear when it lives under /tmp, as in these tests)
    "tmp_entries": [e for e in os.listdir("/tmp")
                    if not os.environ["FLUX_JOB_DIR"].startswith("/tmp/" + e + "/")],
}}
json.dump(report, open(os.environ["FLUX_OUTPUT"], "w"))
"""
    result = await runner.run(ScriptSpec("python", probe, "probe.py"))
    assert result.ok, result.logs
    assert result.output == {
        "usr": False,
        "etc": False,
        "root": False,
        "tmp": True,
        "job_dir": True,
        "home_visible": False,
        "db_visible": False,
        "shadow": False,
        "cwd_is_job_dir": True,
        "uid": 65534,
        "hostname": "flux-job",
        "tmp_entries": ["flux-test"],
    }
    assert not Path("/tmp/flux-test").exists()  # the job's /tmp was its own


async def test_the_job_gets_only_its_own_environment(
    runner: ScriptRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLUX_WORKER_SECRET", "do-not-leak")
    spec = ScriptSpec("bash", "env | sort", "env.sh", payload={"a": 1}, env={"MINE": "yes"})
    result = await runner.run(spec)
    env = dict(line.split("=", 1) for line in result.logs.splitlines() if "=" in line)
    assert "FLUX_WORKER_SECRET" not in env
    assert env["MINE"] == "yes"
    assert env["PAYLOAD"] == '{"a": 1}'
    assert env["HOME"] == env["FLUX_JOB_DIR"]
    assert env["LANG"] == "C.UTF-8"
    assert env["TMPDIR"] == "/tmp"
    assert env["FLUX_OUTPUT"] == env["FLUX_JOB_DIR"] + "/output.json"
    assert env["FLUX_PAYLOAD_FILE"] == env["FLUX_JOB_DIR"] + "/payload.json"


async def test_the_environment_is_not_on_bwraps_command_line(tmp_path: Path) -> None:
    """bwrap's argv is world-readable in /proc: the job's env travels in a memfd."""
    sandbox = BwrapSandbox()
    marker = "do-not-show-in-ps-7d1e"
    spec = SandboxSpec(
        ["bash", "-c", "cat /proc/1/cmdline | tr '\\0' ' '; echo; echo $SECRET"],
        {"PATH": "/usr/bin:/bin", "SECRET": marker},
        tmp_path,
    )
    result = await sandbox.run(spec)
    text = result.output.decode()
    assert text.splitlines()[-1] == marker
    assert marker not in text.splitlines()[0]  # bwrap's own command line (PID 1 inside)


async def test_stdout_and_stderr_interleave_as_written(runner: ScriptRunner) -> None:
    source = "echo one; echo two >&2; echo three; echo four >&2; echo five"
    result = await runner.run(ScriptSpec("bash", source, "order.sh"))
    assert result.logs == "one\ntwo\nthree\nfour\nfive\n"
    python = (
        "import sys\n"
        "for i in range(3):\n"
        "    print('out', i)\n"
        "    print('err', i, file=sys.stderr)\n"
    )
    result = await runner.run(ScriptSpec("python", python, "order.py"))
    assert result.logs == "out 0\nerr 0\nout 1\nerr 1\nout 2\nerr 2\n"


async def test_output_arrives_live_and_whole(runner: ScriptRunner) -> None:
    chunks: list[str] = []
    source = "printf 'caf\\xc3'; sleep 0.2; printf '\\xa9 \\000ok\\n'"  # é split across writes
    result = await runner.run(ScriptSpec("bash", source, "live.sh"), on_output=chunks.append)
    assert "".join(chunks) == "café ok\n"
    assert result.logs == "café ok\n"
    assert len(chunks) >= 2


async def test_nothing_of_the_host_home_or_cwd_is_mounted(bwrap: BwrapSandbox) -> None:
    spec = SandboxSpec(["true"], {}, Path("/tmp/job"), read_only=(Path("/usr/lib"),))
    options = bwrap.options(spec)
    binds = [options[i + 1] for i, o in enumerate(options) if o in ("--bind", "--ro-bind")]
    assert "/usr/lib" not in binds  # already visible through /usr
    assert os.getcwd() not in binds
    assert str(Path.home()) not in binds
    assert "/etc" not in binds and "/etc/shadow" not in binds
    assert "--share-net" not in options
