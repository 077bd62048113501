"""`/workflows`: upload, list, show, run (sync / async / stream), status, resume, cancel."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from .fake_worker import FakeWorker

HELLO = b"""
from flux import ExecutionContext, task, workflow

@task
async def say_hello(name: str) -> str:
    return f"Hello, {name}"

@workflow
async def hello_world(ctx: ExecutionContext[str]):
    return await say_hello(ctx.input)
"""

OPTIONS = b"""
import flux
from flux import workflow, ResourceRequest, cron

@workflow.with_options(name="nightly", secret_requests=["API_KEY"],
                       requests=ResourceRequest(cpu=64), schedule=cron("0 3 * * *"))
async def nightly_job(ctx):
    return 1

@flux.workflow
async def plain(ctx):
    return 2
"""


async def upload(
    client: httpx.AsyncClient, content: bytes = HELLO, name: str = "hello.py"
) -> httpx.Response:
    return await client.post("/workflows", files={"file": (name, content, "text/x-python")})


async def test_upload_lists_and_shows_workflows(client: httpx.AsyncClient) -> None:
    first = await upload(client)
    second = await upload(client, OPTIONS, "jobs.py")

    assert first.status_code == 200, first.text
    [hello] = first.json()
    assert hello["name"] == "hello_world" and len(hello["version"]) == 64
    by_name = {wf["name"]: wf for wf in second.json()}
    assert by_name["nightly"]["secret_requests"] == ["API_KEY"]
    assert by_name["nightly"]["requests"]["cpu"] == 64
    assert by_name["nightly"]["schedule"] == {
        "type": "cron",
        "expression": "0 3 * * *",
        "timezone": "UTC",
    }
    listed = (await client.get("/workflows")).json()
    assert [wf["name"] for wf in listed] == ["hello_world", "nightly", "plain"]
    detail = (await client.get("/workflows/hello_world")).json()
    assert detail["versions"] == [hello["version"]]
    assert "say_hello" in detail["source"]


async def test_reupload_of_a_changed_file_adds_a_version(client: httpx.AsyncClient) -> None:
    old = (await upload(client)).json()[0]["version"]
    new = (await upload(client, HELLO + b"\n# v2\n")).json()[0]["version"]

    detail = (await client.get("/workflows/hello_world")).json()

    assert detail["version"] == new
    assert detail["versions"] == [new, old]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"def broken(:\n    pass\n", "syntax error in bad.py at line 1"),
        (b"x = 1\n", "defines no workflow"),
        (b"from flux import workflow\n@workflow\nasync def a(ctx): ...\n\x00", "null bytes"),
        (
            b"from flux import workflow\n@workflow.with_options(name=compute())\n"
            b"async def a(ctx): ...\n",
            "string literal",
        ),
        (
            b"from flux import workflow, cron\n@workflow.with_options(schedule=cron('bad'))\n"
            b"async def a(ctx): ...\n",
            "invalid schedule",
        ),
    ],
)
async def test_bad_uploads_are_refused_with_the_reason(
    client: httpx.AsyncClient, content: bytes, message: str
) -> None:
    response = await upload(client, content, "bad.py")

    assert response.status_code == 400, response.text
    assert message in response.json()["detail"]
    assert (await client.get("/workflows")).json() == []


async def test_syntax_error_carries_the_parsers_message_and_position(
    client: httpx.AsyncClient,
) -> None:
    response = await upload(client, b"from flux import workflow\n\nx = (1,\n", "bad.py")

    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "line 3" in detail and "was never closed" in detail


@pytest.mark.parametrize(
    "name", ["../evil.py", "/etc/passwd.py", "a/b.py", "..\\x.py", "notes.txt", ".hidden.py", ""]
)
async def test_path_traversal_and_non_python_names_are_refused(
    client: httpx.AsyncClient, name: str
) -> None:
    response = await upload(client, HELLO, name)

    assert response.status_code in (400, 422), response.text
    assert (await client.get("/workflows")).json() == []


async def test_upload_needs_multipart_with_a_file_field(client: httpx.AsyncClient) -> None:
    as_json = await client.post("/workflows", json={"file": "x"})
    no_field = await client.post("/workflows", files={"other": ("a.py", HELLO)})

    assert as_json.status_code == 415
    assert no_field.status_code == 400 and "'file'" in no_field.json()["detail"]


async def test_oversize_upload_is_refused(client: httpx.AsyncClient) -> None:
    big = HELLO + b"#" * (1024 * 1024 + 1)

    response = await upload(client, big)

    assert response.status_code == 413
    assert (await client.get("/workflows")).json() == []


async def test_unknown_workflow_and_execution_are_404(client: httpx.AsyncClient) -> None:
    await upload(client)

    assert (await client.get("/workflows/nope")).status_code == 404
    assert (await client.post("/workflows/nope/run/async", json=1)).status_code == 404
    for path in (
        "/workflows/hello_world/status/nope",
        "/workflows/hello_world/cancel/nope",
        "/executions/nope",
    ):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert "not found" in response.json()["detail"]
    resumed = await client.post("/workflows/hello_world/resume/nope/async", json=1)
    assert resumed.status_code == 404


async def test_run_input_must_be_json(client: httpx.AsyncClient) -> None:
    await upload(client)

    bad = await client.post(
        "/workflows/hello_world/run/async",
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    form = await client.post("/workflows/hello_world/run/async", data={"a": "b"})
    bad_mode = await client.post("/workflows/hello_world/run/later", json=1)

    assert bad.status_code == 400 and "not valid JSON" in bad.json()["detail"]
    assert form.status_code == 415
    assert bad_mode.status_code == 422
    assert (await client.get("/executions")).json()["count"] == 0


async def test_async_run_is_queued_and_says_why_it_waits(client: httpx.AsyncClient) -> None:
    await upload(client)
    await upload(client, OPTIONS, "jobs.py")

    empty = await client.post("/workflows/hello_world/run/async")
    queued = await client.post("/workflows/hello_world/run/async", json={"who": ["x", 1]})

    assert empty.status_code == 200 and empty.json()["input"] is None
    view = queued.json()
    assert view["state"] == "SCHEDULED" and view["input"] == {"who": ["x", 1]}
    assert view["pending_reason"] == "no worker is connected"
    status = await client.get(f"/workflows/hello_world/status/{view['execution_id']}")
    assert status.json()["state"] == "SCHEDULED"


async def test_sync_run_through_a_worker(client: httpx.AsyncClient, workers: Any) -> None:
    await upload(client)
    worker: FakeWorker = await workers()
    await worker.connect()
    worker.serve(lambda name: f"Hello, {name}")

    response = await client.post("/workflows/hello_world/run/sync", json="World")

    assert response.status_code == 200, response.text
    view = response.json()
    assert (view["state"], view["output"], view["worker_name"]) == (
        "COMPLETED",
        "Hello, World",
        "w1",
    )
    detailed = await client.get(
        f"/workflows/hello_world/status/{view['execution_id']}", params={"detailed": "true"}
    )
    types = [e["type"] for e in detailed.json()["events"]]
    assert types == [
        "WORKFLOW_SCHEDULED",
        "WORKFLOW_CLAIMED",
        "WORKFLOW_STARTED",
        "WORKFLOW_COMPLETED",
    ]


async def test_sync_run_that_does_not_finish_answers_202(
    server_factory: Any, database_url: str
) -> None:
    server = server_factory(database_url, server={"sync_timeout": 0.3})
    async with httpx.AsyncClient(base_url=server.url) as client:
        await upload(client)

        response = await client.post("/workflows/hello_world/run/sync", json="x")

    assert response.status_code == 202
    assert response.json()["state"] == "SCHEDULED"


async def test_stream_run_emits_the_documented_events(
    client: httpx.AsyncClient, workers: Any
) -> None:
    await upload(client)
    worker: FakeWorker = await workers()
    await worker.connect()
    worker.serve(lambda name: f"Hi {name}")

    events: list[tuple[str, dict[str, Any]]] = []
    async with client.stream("POST", "/workflows/hello_world/run/stream", json="Ann") as resp:
        assert resp.headers["content-type"].startswith("text/event-stream")
        name = ""
        async for line in resp.aiter_lines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                events.append((name, json.loads(line[6:])))

    assert [name for name, _ in events] == [
        "workflow.execution.running",
        "workflow.execution.completed",
    ]
    done = events[-1][1]
    assert (done["state"], done["output"]) == ("COMPLETED", "Hi Ann")
    assert {"execution_id", "timestamp"} <= set(done)


async def test_cancel_queued_then_finished_is_409(client: httpx.AsyncClient) -> None:
    await upload(client)
    execution_id = (await client.post("/workflows/hello_world/run/async")).json()["execution_id"]
    path = f"/workflows/hello_world/cancel/{execution_id}"

    first = await client.get(path, params={"mode": "sync"})
    second = await client.get(path)

    assert first.status_code == 200 and first.json()["state"] == "CANCELLED"
    assert second.status_code == 409 and "CANCELLED" in second.json()["detail"]


async def test_cancel_of_a_running_execution_tells_its_worker(
    client: httpx.AsyncClient, workers: Any
) -> None:
    await upload(client)
    worker: FakeWorker = await workers()
    await worker.connect()
    execution_id = (await client.post("/workflows/hello_world/run/async")).json()["execution_id"]
    claim = (await worker.claim(await worker.offer())).json()

    cancelling = await client.get(f"/workflows/hello_world/cancel/{execution_id}")
    event, data = await worker.next_event()
    seq = claim["execution"]["events"][-1]["seq"] + 1
    end = worker.event(seq, "WORKFLOW_CANCELLED", execution_id, "hello_world")
    recorded = await worker.checkpoint(execution_id, claim["epoch"], [end], "CANCELLED")

    assert cancelling.json()["state"] == "CANCELLING"
    assert (event, data) == ("execution_cancelled", {"execution_id": execution_id})
    assert recorded.status_code == 204
    status = await client.get(f"/workflows/hello_world/status/{execution_id}")
    assert status.json()["state"] == "CANCELLED"


async def test_pause_and_resume(client: httpx.AsyncClient, workers: Any) -> None:
    await upload(client)
    worker: FakeWorker = await workers()
    await worker.connect()
    execution_id = (await client.post("/workflows/hello_world/run/async")).json()["execution_id"]
    early = await client.post(f"/workflows/hello_world/resume/{execution_id}/async", json=1)
    claim = (await worker.claim(await worker.offer())).json()
    seq = claim["execution"]["events"][-1]["seq"] + 1
    pause_value = {"name": "approve", "output": "waiting for you"}
    paused = worker.event(seq, "WORKFLOW_PAUSED", "1", "hello_world", pause_value)
    await worker.checkpoint(execution_id, claim["epoch"], [paused], "PAUSED")

    status = (await client.get(f"/workflows/hello_world/status/{execution_id}")).json()
    resume_task = asyncio.create_task(
        client.post(f"/workflows/hello_world/resume/{execution_id}/sync", json={"ok": True})
    )
    again = (await worker.claim(await worker.offer())).json()
    resumed_event = again["execution"]["events"][-2]
    await worker.finish(again, lambda _: "approved")
    resumed = await resume_task

    assert early.status_code == 409 and "resume" in early.json()["detail"]
    assert (status["state"], status["output"]) == ("PAUSED", "waiting for you")
    assert resumed_event["type"] == "WORKFLOW_RESUMED" and resumed_event["source_id"] == "1"
    assert worker.decode(resumed_event["value"]) == {"ok": True}
    assert again["epoch"] == 2
    assert resumed.status_code == 200 and resumed.json()["output"] == "approved"


async def test_stream_of_an_unknown_workflow_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post("/workflows/nope/run/stream", json=1)

    assert response.status_code == 404
    assert response.json() == {"detail": "workflow 'nope' not found"}
