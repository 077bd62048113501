"""Real `flux start server` and `flux start worker` processes for the end-to-end tests."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import clean_env, free_port

TOKEN = "e2e-bootstrap-token"


def env(**extra: str) -> dict[str, str]:
    """The environment of `clean_env`, with the cluster's bootstrap token."""
    return clean_env(**{"FLUX_WORKERS__BOOTSTRAP_TOKEN": TOKEN, "FLUX_LOG_LEVEL": "INFO", **extra})


def wait_until(condition: Callable[[], Any], timeout: float = 30.0, what: str = "it") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()
            raise AssertionError(f"{self.name} did not stop:\n{self.output()}") from None


@dataclass
class Cluster:
    """A server (with no embedded worker) and the workers a test starts, in `cwd`."""

    cwd: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    server: Process | None = None
    workers: list[Process] = field(default_factory=list)
    url: str = ""

    def _spawn(self, name: str, *args: str, **extra: str) -> Process:
        log = self.cwd / f"{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                [sys.executable, "-m", "flux.cli.main", *args],
                cwd=self.cwd,
                env=env(**self.extra_env, **extra),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        return Process(name, popen, log)

    def start_server(self, port: int | None = None) -> None:
        port = port or free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.server = self._spawn(
            "server", "start", "server", "--host", "127.0.0.1", "--port", str(port), "--no-worker"
        )
        server = self.server

        def healthy() -> bool:
            assert server.popen.poll() is None, f"the server exited:\n{server.output()}"
            try:
                return httpx.get(f"{self.url}/health", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        wait_until(healthy, what="the server's /health")

    def start_worker(self, name: str, *, wait: bool = True, **extra: str) -> Process:
        worker = self._spawn(name, "start", "worker", name, "--server-url", self.url, **extra)
        self.workers.append(worker)
        if wait:
            wait_until(
                lambda: "registered with" in worker.output() or worker.popen.poll() is not None,
                what=f"worker {name} to register",
            )
            assert worker.popen.poll() is None, worker.output()
        return worker

    def stop(self) -> None:
        for worker in self.workers:
            if worker.popen.poll() is None:
                worker.stop(signal.SIGKILL)
        if self.server is not None and self.server.popen.poll() is None:
            self.server.stop()

    # HTTP

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60)

    def upload(self, path: Path) -> Any:
        with self.client() as client:
            response = client.post(
                "/workflows", files={"file": (path.name, path.read_bytes(), "text/x-python")}
            )
        assert response.status_code in (200, 201), response.text
        return response.json()

    def run(self, workflow: str, input: Any, mode: str = "sync") -> dict[str, Any]:
        with self.client() as client:
            response = client.post(f"/workflows/{workflow}/run/{mode}", json=input)
        assert response.status_code in (200, 201, 202), response.text
        result: dict[str, Any] = response.json()
        return result

    def status(self, workflow: str, execution_id: str, detailed: bool = False) -> dict[str, Any]:
        with self.client() as client:
            response = client.get(
                f"/workflows/{workflow}/status/{execution_id}",
                params={"detailed": str(detailed).lower()},
            )
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def wait_state(
        self, workflow: str, execution_id: str, states: tuple[str, ...], timeout: float = 30.0
    ) -> dict[str, Any]:
        def reached() -> dict[str, Any] | None:
            view = self.status(workflow, execution_id)
            return view if view["state"] in states else None

        result: dict[str, Any] = wait_until(
            reached, timeout, what=f"{execution_id} to reach {states}"
        )
        return result
