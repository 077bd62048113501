"""deploy/caddy/Caddyfile in front of two real server replicas on one PostgreSQL, with a real
worker joining through the proxy's worker listener: runs go through, and keep going through
when one replica stops (the layout of deploy/compose.yaml, on loopback ports)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from conftest import FluxServer, clean_env, free_port, start_server, stop_server
from storage.conftest import PostgresSchemas, _require_postgres

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

CADDYFILE = Path(__file__).resolve().parents[2] / "deploy" / "caddy" / "Caddyfile"
TOKEN = "deploy-test-bootstrap-token"
WORKFLOW = b"""
from flux import task, workflow, ExecutionContext

@task
async def greet(name: str) -> str:
    return f"Hello, {name}"

@workflow
async def greeting(ctx: ExecutionContext[str]):
    return await greet(ctx.input)
"""


@dataclass
class Platform:
    url: str
    api_key: str
    replicas: list[FluxServer]
    worker: subprocess.Popen[bytes]
    logs: Path


def _wait_for(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"exited with {process.returncode}:\n{log.read_text()}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(url, timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    pytest.fail(f"{url} did not answer within 30 s:\n{log.read_text()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    caddy = shutil.which("caddy")
    if caddy is None:
        pytest.skip("caddy is not installed (apt-get install caddy)")
    _require_postgres()
    schemas = PostgresSchemas()
    database = schemas.new()
    settings = {
        "FLUX_DATABASE_URL": database,
        "FLUX_SERVER__EMBEDDED_WORKER": "false",
        "FLUX_WORKERS__BOOTSTRAP_TOKEN": TOKEN,
        "FLUX_SECURITY__ENCRYPTION_KEY": "deploy-test-master-key-0123456789abcdef",
    }
    replicas: list[FluxServer] = []
    started: list[subprocess.Popen[bytes]] = []
    try:
        for name in ("server-1", "server-2"):
            (tmp_path / name).mkdir()
            replicas.append(start_server(tmp_path / name, **settings))
        public, private = free_port(), free_port()
        upstreams = " ".join(server.url.removeprefix("http://") for server in replicas)
        proxy_log = tmp_path / "caddy.log"
        with proxy_log.open("wb") as out:
            proxy = subprocess.Popen(
                [caddy, "run", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
                env={
                    **os.environ,
                    "HOME": str(tmp_path),
                    "XDG_DATA_HOME": str(tmp_path / "caddy-data"),
                    "XDG_CONFIG_HOME": str(tmp_path / "caddy-config"),
                    "CADDY_ADMIN": "off",
                    "SITE_ADDRESS": f"http://:{public}",
                    "WORKER_ADDRESS": f"http://:{private}",
                    "UPSTREAMS": upstreams,
                },
                stdout=out,
                stderr=out,
            )
        started.append(proxy)
        _wait_for(f"http://127.0.0.1:{public}/health", proxy, proxy_log)
        (tmp_path / "worker").mkdir()
        worker_log = tmp_path / "worker.log"
        with worker_log.open("wb") as out:
            worker = subprocess.Popen(
                [sys.executable, "-m", "flux.cli.main", "start", "worker", "deploy-w1"],
                cwd=tmp_path / "worker",
                env=clean_env(
                    FLUX_WORKERS__BOOTSTRAP_TOKEN=TOKEN,
                    FLUX_WORKERS__SERVER_URL=f"http://127.0.0.1:{private}",
                    FLUX_JOBS__SANDBOX="process",
                ),
                stdout=out,
                stderr=out,
            )
        started.append(worker)
        url = f"http://127.0.0.1:{public}"
        yield Platform(url, _first_admin_key(replicas), replicas, worker, tmp_path)
    finally:
        for process in reversed(started):
            _stop(process)
        for server in replicas:
            stop_server(server)
        schemas.drop_all()


def _first_admin_key(replicas: list[FluxServer]) -> str:
    """The admin key the first replica to start printed, as an operator finds it in the
    logs. Behind a proxy no request is anonymous, so everything below needs it."""
    printed = [
        key
        for server in replicas
        for key in re.findall(r"export FLUX_API_KEY=(\S+)", (server.cwd / "server.log").read_text())
    ]
    assert len(printed) == 1, printed
    return printed[0]


def _run(client: httpx.Client, name: str) -> httpx.Response:
    """A sync run as a careful client sends it: with an idempotency key, retried on a 502.
    Until its health check notices a stopped replica, the proxy may still pick it; Caddy
    then retries on the other replica, but (2.6) cannot send a POST body twice and answers
    502. The key makes the retry safe: it can never start a second run."""
    headers = {"Idempotency-Key": f"proxy-test-{name}"}
    deadline = time.monotonic() + 30
    while True:
        answer = client.post("/workflows/greeting/run/sync", json=name, headers=headers)
        if answer.status_code != 502 or time.monotonic() > deadline:
            return answer
        time.sleep(0.5)


def _logs(platform: Platform) -> str:
    return "\n".join(
        f"--- {log.name}\n{log.read_text()[-3000:]}" for log in sorted(platform.logs.rglob("*.log"))
    )


def test_runs_go_through_the_proxy_and_survive_a_stopped_replica(platform: Platform) -> None:
    headers = {"Authorization": f"Bearer {platform.api_key}"}
    with httpx.Client(base_url=platform.url, headers=headers, timeout=90) as client:
        anonymous = httpx.get(f"{platform.url}/workflows", timeout=10)
        uploaded = client.post(
            "/workflows", files={"file": ("greeting.py", WORKFLOW, "text/x-python")}
        )
        assert uploaded.status_code == 200, uploaded.text
        # Round robin: consecutive requests reach both replicas, and each sees the upload.
        listed = [client.get("/workflows").json() for _ in range(4)]
        first = _run(client, "first")

        stop_server(platform.replicas[0])
        after = [_run(client, f"after-{i}") for i in range(3)]

    assert anonymous.status_code == 401
    assert all([wf["name"] for wf in answer] == ["greeting"] for answer in listed)
    assert first.status_code == 200, _logs(platform)
    assert (first.json()["state"], first.json()["output"]) == ("COMPLETED", "Hello, first")
    assert [answer.status_code for answer in after] == [200] * 3, _logs(platform)
    assert [answer.json()["output"] for answer in after] == [f"Hello, after-{i}" for i in range(3)]
    assert {answer.json()["worker_name"] for answer in [first, *after]} == {"deploy-w1"}
