"""The client calls that send what is held in memory rather than a file (a workflow's source,
a script's text) and the JSON DAG calls, on a mock transport. The MCP tests run them against
a real server (tests/mcp)."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from flux.client import FluxClient, InvalidRequestError, NotFoundError

NOW = "2025-01-02T03:04:05Z"
INFO = {"name": "greet", "version": "ab" * 32, "filename": "greet.py", "created_at": NOW}

Handler = Callable[[httpx.Request], httpx.Response]


def client_for(handler: Handler) -> FluxClient:
    return FluxClient("http://flux.test/", transport=httpx.MockTransport(handler))


def test_upload_workflow_source_sends_a_multipart_file() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[INFO])

    with client_for(handler) as client:
        infos = client.upload_workflow_source("print('hi')\n", "greet.py")
        client.upload_workflow_source(b"x = 1\n")
    assert [i.name for i in infos] == ["greet"]
    first, second = seen
    assert (first.method, first.url.path) == ("POST", "/workflows")
    assert first.headers["content-type"].startswith("multipart/form-data")
    body = first.read()
    assert b'name="file"; filename="greet.py"' in body and b"print('hi')\n" in body
    assert b'filename="workflow.py"' in second.read()


def test_submit_job_source_sends_json_without_unset_fields() -> None:
    bodies: list[object] = []

    def handler(request: httpx.Request) -> httpx.Response:
        assert (request.method, request.url.path) == ("POST", "/jobs/submit")
        assert request.headers["content-type"] == "application/json"
        bodies.append(json.loads(request.content))
        return httpx.Response(201, json={"success": True, "jobId": "j1", "state": "PENDING"})

    with client_for(handler) as client:
        submitted = client.submit_job_source("echo hi", "bash")
        client.submit_job_source(
            "print(1)",
            "python:3.11",
            name="n",
            payload={"a": [1]},
            dependencies=["requests"],
            run_at="2030-01-01T00:00:00Z",
            max_retries=0,
            timeout=5,
            memory=None,
        )
    assert (submitted.job_id, submitted.state) == ("j1", "PENDING")
    assert bodies == [
        {"script": "echo hi", "runtime": "bash"},
        {
            "script": "print(1)",
            "runtime": "python:3.11",
            "name": "n",
            "payload": {"a": [1]},
            "dependencies": ["requests"],
            "runAt": "2030-01-01T00:00:00Z",
            "maxRetries": 0,
            "timeout": 5,
        },
    ]


def test_submit_job_source_sends_the_idempotency_key() -> None:
    keys: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        keys.append(request.headers.get("idempotency-key"))
        return httpx.Response(
            200, json={"success": True, "jobId": "j1", "state": "PENDING", "replayed": True}
        )

    with client_for(handler) as client:
        submitted = client.submit_job_source("echo", "bash", idempotency_key="k-1")
    assert keys == ["k-1"] and submitted.replayed


def test_submit_dag_and_read_its_run() -> None:
    seen: list[httpx.Request] = []
    run = {
        "runId": "r 1",
        "workflowId": "dag-1",
        "state": "COMPLETED",
        "createdAt": NOW,
        "updatedAt": NOW,
        "nodes": [
            {
                "id": "a",
                "jobName": "A",
                "runtime": "bash",
                "dependencies": [],
                "state": "COMPLETED",
                "output": {"x": 1},
            }
        ],
    }

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "POST":
            answer = {"success": True, "workflowId": "dag-1", "version": "v", "runId": "r 1"}
            return httpx.Response(201, json=answer)
        return httpx.Response(200, json={"success": True, "run": run})

    dag = {"nodes": [{"id": "a", "runtime": "bash", "handler": "echo"}], "name": "dag-1"}
    with client_for(handler) as client:
        submitted = client.submit_dag(dag)
        view = client.get_dag_run("r 1")
    assert (submitted.workflow_id, submitted.run_id, submitted.schedule_id) == (
        "dag-1",
        "r 1",
        None,
    )
    post, get = seen
    assert (post.url.path, post.headers["content-type"]) == (
        "/workflows/submit",
        "application/json",
    )
    assert json.loads(post.content) == dag
    assert get.url.raw_path == b"/workflows/runs/r%201"
    assert (view.state, view.nodes[0].output) == ("COMPLETED", {"x": 1})


def test_dag_refusals_carry_the_servers_detail() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(400, json={"detail": "cycle: a -> b -> a"})
        return httpx.Response(404, json={"detail": "DAG run 'r' not found"})

    with client_for(handler) as client:
        with pytest.raises(InvalidRequestError, match="cycle: a -> b -> a"):
            client.submit_dag({"nodes": []})
        with pytest.raises(NotFoundError, match="not found"):
            client.get_dag_run("r")
        with pytest.raises(InvalidRequestError, match="not JSON-serializable"):
            client.submit_dag({"nodes": [object()]})
