"""A real `flux start server` (embedded worker, bubblewrap sandbox) for the job API tests,
and a loopback HTTP service that jobs with network access can call (this machine has no
internet, so the document's examples call this instead of api.example.com / httpbin.org)."""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from tests.conftest import FluxServer, start_server, stop_server

# Short backoff so that retry tests take a fraction of a second; small output limit so that
# the output test does not print 10 MiB.
SERVER_ENV = {
    "FLUX_JOBS__RETRY_DELAY": "0.05",
    "FLUX_JOBS__MAX_OUTPUT_BYTES": "262144",
    "FLUX_JOBS__TIMEOUT": "60",
}


@pytest.fixture(scope="session", autouse=True)
def _bubblewrap() -> None:
    if shutil.which("bwrap") is None:
        pytest.fail("bubblewrap is not installed: apt-get install -y bubblewrap (.ci/run does)")


@pytest.fixture(scope="package")
def jobs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FluxServer]:
    server = start_server(tmp_path_factory.mktemp("jobs-server"), **SERVER_ENV)
    try:
        _wait_for_worker(server.url)
        yield server
    finally:
        stop_server(server)


def _wait_for_worker(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        workers = httpx.get(f"{url}/workers", timeout=5).json()
        if any(w["status"] == "connected" for w in workers):
            return
        time.sleep(0.05)
    raise AssertionError("the embedded worker did not connect")


@pytest.fixture
def api(jobs_server: FluxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=jobs_server.url, timeout=60) as client:
        yield client


def wait_job(
    api: httpx.Client,
    job_id: str,
    states: tuple[str, ...] = ("COMPLETED", "FAILED", "CANCELLED"),
    timeout: float = 60.0,
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        response = api.get(f"/jobs/{job_id}")
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()["job"]
        if job["state"] in states:
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} is {job['state']}, not {states}: {job}")
        time.sleep(0.02)


def submit(api: httpx.Client, script: str, runtime: str, **fields: Any) -> str:
    filename = fields.pop("filename", None) or {"node": "job.js", "bash": "job.sh"}.get(
        runtime.split(":")[0], "job.py"
    )
    data = {"runtime": runtime}
    for key, value in fields.items():
        data[key] = value if isinstance(value, str) else json.dumps(value)
    response = api.post(
        "/jobs/submit", data=data, files={"script": (filename, script.encode(), "text/plain")}
    )
    assert response.status_code == 201, response.text
    job_id: str = response.json()["jobId"]
    return job_id


class LoopbackService:
    """Answers GET /users/{id} with a user and GET /json with a document; counts hits."""

    def __init__(self) -> None:
        self.hits: dict[str, int] = {}
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                service.hits[self.path] = service.hits.get(self.path, 0) + 1
                if self.path.startswith("/count"):
                    body = str(service.hits[self.path]).encode()
                elif self.path.startswith("/users/"):
                    user = self.path.rsplit("/", 1)[-1]
                    body = json.dumps({"id": user, "name": f"user {user}"}).encode()
                else:
                    body = json.dumps({"slideshow": {"title": "Sample"}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="package")
def loopback() -> Iterator[LoopbackService]:
    service = LoopbackService()
    try:
        yield service
    finally:
        service.close()


Waiter = Callable[..., dict[str, Any]]
