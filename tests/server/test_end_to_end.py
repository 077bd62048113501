"""The real `flux start server` with its embedded worker, as a user runs it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from .test_workflows_api import HELLO

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("FLUX_")}
    return {**env, "PYTHONPATH": str(REPO)}


def _children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(line) for line in found.stdout.split()]


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            # Ready, and the embedded worker has connected.
            if httpx.get(f"{url}/ready", timeout=1).json().get("workers") == 1:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    pytest.fail(f"the server was not ready within 30 s:\n{log.read_text()}")


def test_server_with_embedded_worker_runs_an_uploaded_workflow(tmp_path: Path) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "flux.cli.main", "start", "server", "--port", str(port)],
            cwd=tmp_path,
            env=_env(),
            stdout=out,
            stderr=out,
        )
    try:
        _wait_ready(url, process, log)
        workers = _children(process.pid)
        with httpx.Client(base_url=url, timeout=30) as client:
            uploaded = client.post("/workflows", files={"file": ("hello.py", HELLO)})
            ran = client.post("/workflows/hello_world/run/sync", json="World")
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=20)

    assert uploaded.status_code == 200, uploaded.text
    assert ran.status_code == 200, log.read_text()
    assert (ran.json()["state"], ran.json()["output"]) == ("COMPLETED", "Hello, World")
    assert ran.json()["worker_name"].startswith("embedded-")
    assert "generated token" in log.read_text()
    assert len(workers) == 1
    assert code in (0, -signal.SIGTERM)
    # The embedded worker stopped with the server.
    for pid in workers:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
