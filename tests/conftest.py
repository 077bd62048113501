"""Fixtures shared by the client and CLI tests: a real `flux start server` (with its embedded
worker) in its own process.

`flux_server` starts one per test module (settings from the module's `SERVER_ENV`), in a
scratch directory (its database, key and uploaded files live there) on a free loopback port,
and stops it afterwards.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class FluxServer:
    url: str
    cwd: Path
    process: subprocess.Popen[bytes]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without the caller's FLUX_* settings, with this checkout importable."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("FLUX_")}
    return {**env, "PYTHONPATH": str(REPO), **extra}


def _server_command(port: int) -> list[str]:
    flux = [sys.executable, "-m", "flux.cli.main"]
    return [*flux, "start", "server", "--host", "127.0.0.1", "--port", str(port)]


def _wait_until_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    pytest.fail(f"the server did not answer /health within 30 s:\n{log.read_text()}")


def start_server(cwd: Path, **env: str) -> FluxServer:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = cwd / "server.log"
    with log.open("wb") as out:
        # Its own process group, so that teardown can also reach its embedded worker.
        process = subprocess.Popen(
            _server_command(port),
            cwd=cwd,
            env=clean_env(**env),
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    _wait_until_healthy(url, process, log)
    return FluxServer(url, cwd, process)


def stop_server(server: FluxServer) -> None:
    """SIGTERM as a service manager would, then SIGKILL whatever of its group is left."""
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.process.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def flux_server(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[FluxServer]:
    """A test module can set its server's settings with `SERVER_ENV = {"FLUX_...": ...}`."""
    env = getattr(request.module, "SERVER_ENV", {})
    server = start_server(tmp_path_factory.mktemp("server"), **env)
    try:
        yield server
    finally:
        stop_server(server)


@pytest.fixture(scope="module")
def server_url(flux_server: FluxServer) -> str:
    return flux_server.url


class FluxCLI:
    """Runs the real `flux` command in a subprocess, as a user would, in `cwd`."""

    def __init__(self, cwd: Path, server_url: str | None = None):
        self.cwd = cwd
        self.server_url = server_url

    def at(self, server_url: str) -> FluxCLI:
        """The same, with `--server-url server_url` added to every command."""
        return FluxCLI(self.cwd, server_url)

    def __call__(
        self, *args: str, stdin: str = "", env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        where = ("--server-url", self.server_url) if self.server_url else ()
        return subprocess.run(
            [sys.executable, "-m", "flux.cli.main", *args, *where],
            cwd=self.cwd,
            env=clean_env(**(env or {})),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )


@pytest.fixture
def flux_cli(tmp_path: Path) -> FluxCLI:
    return FluxCLI(tmp_path)


@pytest.fixture
def dead_server_url() -> str:
    """A loopback URL where nothing listens."""
    return f"http://127.0.0.1:{free_port()}"
