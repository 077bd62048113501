"""Hostile inputs against a real `flux start server`: bodies over their caps (declared, chunked,
absurdly large) and names built to traverse paths or fool logs. Each is refused with a clear
4xx naming what is wrong, and nothing is stored."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from conftest import FluxServer, start_server, stop_server

from flux.config import FluxSettings
from flux.server.body_limit import settings_limits

pytestmark = pytest.mark.slow

BOOTSTRAP = "inputs-bootstrap-token"
REQUEST_CAP = 64 * 1024
UPLOAD_CAP = 128 * 1024  # over REQUEST_CAP: workflow files have a cap of their own
SCRIPT_CAP = 16 * 1024
SERVER_ENV = {
    "FLUX_SERVER__EMBEDDED_WORKER": "false",  # submitted jobs stay queued: nothing runs
    "FLUX_SERVER__MAX_REQUEST_BYTES": str(REQUEST_CAP),
    "FLUX_SERVER__MAX_UPLOAD_BYTES": str(UPLOAD_CAP),
    "FLUX_JOBS__MAX_SCRIPT_BYTES": str(SCRIPT_CAP),
    "FLUX_WORKERS__BOOTSTRAP_TOKEN": BOOTSTRAP,
}
WORKFLOW = b"""from flux import ExecutionContext, workflow

@workflow
async def greeter(ctx: ExecutionContext[str]):
    return f"hello {ctx.input}"
"""
BAD_NAMES = [
    "../../etc/passwd",
    "..",
    "a/b",
    "a\\b",
    "nul\x00byte",
    "line\nbreak",
    "tab\there",
    "\u202eexe.txt",  # right-to-left override: shows as "txt.exe"
    "x" * 5000,
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FluxServer]:
    running = start_server(tmp_path_factory.mktemp("inputs"), **SERVER_ENV)
    try:
        yield running
    finally:
        stop_server(running)


@pytest.fixture
def api(server: FluxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


def stored(api: httpx.Client) -> dict[str, Any]:
    """Everything a refused request must not have added to."""
    return {
        "workflows": api.get("/workflows").json(),
        "secrets": api.get("/admin/secrets").json(),
        "schedules": api.get("/schedules").json(),
        "jobs": api.get("/jobs").json()["count"],
        "workers": [w["name"] for w in api.get("/workers").json()],
    }


def raw_request(server: FluxServer, head: str, body_chunks: list[bytes]) -> tuple[int, bytes]:
    """Send `head` and then `body_chunks` over a plain socket, stopping at the first chunk the
    server no longer takes; returns the status and body of the answer. The request body is
    never finished, so an answer proves the server decided while the body was arriving."""
    address = urlsplit(server.url)
    with socket.create_connection((address.hostname, address.port), timeout=30) as sock:
        sock.sendall(head.encode())
        for chunk in body_chunks:
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
        answer = b""
        while b"\r\n\r\n" not in answer or len(answer) < _expected_length(answer):
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    head_bytes, _, body = answer.partition(b"\r\n\r\n")
    return int(head_bytes.split(b" ", 2)[1]), body


def _expected_length(answer: bytes) -> int:
    head, _, _ = answer.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(head) + 4 + int(value)
    return len(answer) + 1


# Request sizes


def test_a_json_body_over_the_general_cap_is_413_and_not_stored(api: httpx.Client) -> None:
    before = stored(api)
    response = api.post("/admin/secrets", json={"name": "BIG", "value": "v" * REQUEST_CAP})
    assert response.status_code == 413
    detail = response.json()["detail"]
    assert f"{REQUEST_CAP} bytes" in detail and "server.max_request_bytes" in detail
    assert stored(api) == before
    # Under the cap the same request is served.
    assert api.post("/admin/secrets", json={"name": "SMALL", "value": "v"}).status_code == 204
    assert api.delete("/admin/secrets/SMALL").status_code == 204


def test_a_chunked_body_is_refused_while_it_streams(server: FluxServer, api: httpx.Client) -> None:
    """No Content-Length: the server counts the chunks and answers 413 at the one that
    passes the cap, without waiting for the end of the body (which never comes)."""
    before = stored(api)
    head = (
        "POST /admin/secrets HTTP/1.1\r\nHost: loopback\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"a" * 16384
    chunks = [b"%x\r\n%s\r\n" % (len(chunk), chunk)] * (2 * REQUEST_CAP // len(chunk))
    status, body = raw_request(server, head, chunks)
    assert status == 413, body
    assert b"server.max_request_bytes" in body
    assert stored(api) == before


def test_a_declared_10_gb_body_is_refused_before_it_is_sent(
    server: FluxServer, api: httpx.Client
) -> None:
    before = stored(api)
    head = (
        "POST /schedules HTTP/1.1\r\nHost: loopback\r\n"
        f"Content-Type: application/json\r\nContent-Length: {10 * 1024**3}\r\n\r\n"
    )
    status, body = raw_request(server, head, [b'{"name": "x"'])
    assert status == 413, body
    assert str(REQUEST_CAP).encode() in body
    assert stored(api) == before


def test_workflow_files_and_job_scripts_have_their_own_caps(api: httpx.Client) -> None:
    before = stored(api)
    big_file = WORKFLOW + b"#" * (UPLOAD_CAP * 2)
    response = api.post("/workflows", files={"file": ("big.py", big_file, "text/x-python")})
    assert response.status_code == 413 and "server.max_upload_bytes" in response.text
    script = b"echo hi\n" + b"#" * (SCRIPT_CAP + 1)
    response = api.post(
        "/jobs/submit", data={"runtime": "bash"}, files={"script": ("a.sh", script, "text/plain")}
    )
    assert response.status_code == 413 and f"{SCRIPT_CAP}" in response.json()["detail"]
    assert stored(api) == before
    # Over the general cap but under its own: accepted.
    fits = WORKFLOW + b"#" * (UPLOAD_CAP - len(WORKFLOW) - 10)
    assert len(fits) > REQUEST_CAP
    response = api.post("/workflows", files={"file": ("fits.py", fits, "text/x-python")})
    assert response.status_code == 200, response.text


# Names and paths


def _custom_named_workflow(name: str) -> bytes:
    return (
        "from flux import ExecutionContext, workflow\n\n"
        f"@workflow.with_options(name={name!r})\n"
        "async def custom(ctx: ExecutionContext):\n"
        "    return 1\n"
    ).encode()


@pytest.mark.parametrize("name", BAD_NAMES, ids=repr)
def test_bad_workflow_names_and_file_names(api: httpx.Client, name: str) -> None:
    before = stored(api)
    as_workflow = api.post(
        "/workflows", files={"file": ("w.py", _custom_named_workflow(name), "text/x-python")}
    )
    assert as_workflow.status_code == 400, as_workflow.text
    assert "workflow name" in as_workflow.json()["detail"]
    as_file = api.post("/workflows", files={"file": (name, WORKFLOW, "text/x-python")})
    assert as_file.status_code == 400, as_file.text
    assert stored(api) == before


@pytest.mark.parametrize("name", BAD_NAMES, ids=repr)
def test_bad_secret_names(api: httpx.Client, name: str) -> None:
    before = stored(api)
    response = api.post("/admin/secrets", json={"name": name, "value": "v"})
    assert response.status_code in (400, 422), response.text
    assert "name" in response.text
    assert stored(api) == before


@pytest.mark.parametrize("name", BAD_NAMES, ids=repr)
def test_bad_schedule_names(api: httpx.Client, name: str) -> None:
    assert api.post("/workflows", files={"file": ("g.py", WORKFLOW)}).status_code == 200
    before = stored(api)
    body = {"name": name, "workflow": "greeter", "interval_seconds": 3600}
    response = api.post("/schedules", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["detail"].startswith("'name' must be")
    assert stored(api) == before


@pytest.mark.parametrize("name", BAD_NAMES, ids=repr)
def test_bad_job_names_and_script_file_names(api: httpx.Client, name: str) -> None:
    before = stored(api)
    script = {"script": ("job.sh", b"echo hi\n", "text/plain")}
    response = api.post("/jobs/submit", data={"runtime": "bash", "name": name}, files=script)
    assert response.status_code == 400, response.text
    assert response.json()["detail"].startswith("'name' must be")
    response = api.post(
        "/jobs/submit",
        data={"runtime": "bash"},
        files={"script": (name, b"echo hi\n", "text/plain")},
    )
    assert response.status_code == 400, response.text
    assert stored(api) == before


@pytest.mark.parametrize("name", BAD_NAMES, ids=repr)
def test_bad_worker_names(api: httpx.Client, name: str) -> None:
    before = stored(api)
    response = api.post(
        "/workers/register",
        json={"name": name},
        headers={"Authorization": f"Bearer {BOOTSTRAP}"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "name"]
    assert stored(api) == before


# Numbers past what the database or the calendar holds (found by the fuzzer)


def test_numbers_out_of_range_are_4xx(api: httpx.Client) -> None:
    for path in ("/executions", "/jobs"):
        response = api.get(path, params={"offset": 2**70})
        assert response.status_code == 422, response.text
    huge = api.post("/schedules/preview", json={"interval_seconds": 1e308})
    assert huge.status_code == 400
    assert "shorter than 999999999 days" in huge.json()["detail"]
    # Long but valid: its first fire would come after the year 9999, so it has none.
    ages = api.post("/schedules/preview", json={"interval_seconds": 8e13, "count": 3})
    assert ages.status_code == 200 and ages.json()["fire_times"] == []


@pytest.mark.parametrize(
    ("method", "path", "setting"),
    [
        ("POST", "/workflows", "server.max_upload_bytes"),
        ("POST", "/jobs/submit", "jobs.max_script_bytes"),
        ("POST", "/schedules", "server.max_request_bytes"),
        ("POST", "/workers/register", "server.max_request_bytes"),
        # A worker's checkpoint batch may carry many values just under the inline limit.
        ("POST", "/workers/w1/checkpoints", "outputs.max_upload_bytes"),
        ("PUT", "/workers/w1/outputs/abc", "outputs.max_upload_bytes"),
    ],
)
def test_each_endpoint_has_the_cap_of_its_setting(method: str, path: str, setting: str) -> None:
    limits = settings_limits(FluxSettings())
    assert limits(method, path).setting == setting
