"""`Idempotency-Key` on run and job submissions through a real server (SQLite and
PostgreSQL): concurrent requests with one key start one execution and all get it."""

from __future__ import annotations

import asyncio

import httpx

HELLO = b"""
from flux import workflow

@workflow
async def hello(ctx):
    return f"hello {ctx.input}"

@workflow
async def other(ctx):
    return ctx.input
"""
JOB = {"script": "echo hi", "runtime": "bash", "name": "nightly-export"}


async def _count(client: httpx.AsyncClient, workflow: str) -> int:
    page = (await client.get("/executions", params={"workflow": workflow})).json()
    count: int = page["count"]
    return count


async def test_twenty_concurrent_runs_with_one_key_start_one(client: httpx.AsyncClient) -> None:
    await client.post("/workflows", files={"file": ("hello.py", HELLO, "text/x-python")})
    headers = {"Idempotency-Key": "order-1024"}
    answers = await asyncio.gather(
        *(
            client.post("/workflows/hello/run/async", json=f"try {n}", headers=headers)
            for n in range(20)
        )
    )
    assert {a.status_code for a in answers} == {200}
    assert len({a.json()["execution_id"] for a in answers}) == 1
    replayed = [a for a in answers if a.headers.get("Idempotent-Replayed") == "true"]
    assert len(replayed) == 19
    assert await _count(client, "hello") == 1

    # The run keeps the input of the request that started it.
    execution_id = answers[0].json()["execution_id"]
    view = (await client.get(f"/executions/{execution_id}")).json()
    assert view["input"] in {f"try {n}" for n in range(20)}

    # Another key starts another run; no key always starts one.
    other = await client.post(
        "/workflows/hello/run/async", json="x", headers={"Idempotency-Key": "order-1025"}
    )
    assert other.json()["execution_id"] != execution_id
    await client.post("/workflows/hello/run/async", json="x")
    assert await _count(client, "hello") == 3


async def test_a_key_of_another_workflow_or_a_bad_key_is_refused(
    client: httpx.AsyncClient,
) -> None:
    await client.post("/workflows", files={"file": ("hello.py", HELLO, "text/x-python")})
    first = await client.post(
        "/workflows/hello/run/async", json=1, headers={"Idempotency-Key": "k-1"}
    )
    assert first.status_code == 200
    conflict = await client.post(
        "/workflows/other/run/async", json=1, headers={"Idempotency-Key": "k-1"}
    )
    assert conflict.status_code == 409
    assert "already started execution" in conflict.json()["detail"]
    assert "'hello'" in conflict.json()["detail"]
    for bad in ("", "x" * 256, "tab\there"):
        refused = await client.post(
            "/workflows/other/run/async", json=1, headers={"Idempotency-Key": bad}
        )
        assert refused.status_code == 400, bad
        assert "idempotency key" in refused.json()["detail"]
    assert await _count(client, "other") == 0


async def test_twenty_concurrent_job_submissions_with_one_key_make_one_job(
    client: httpx.AsyncClient,
) -> None:
    headers = {"Idempotency-Key": "export-2026-12-03"}
    answers = await asyncio.gather(
        *(client.post("/jobs/submit", json=JOB, headers=headers) for _ in range(20))
    )
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] * 19 + [201]
    assert len({a.json()["jobId"] for a in answers}) == 1
    assert sum(a.json()["replayed"] for a in answers) == 19
    listed = (await client.get("/jobs", params={"name": "nightly-export"})).json()
    assert listed["count"] == 1

    # A bad job is refused before its key counts for anything.
    bad = await client.post(
        "/jobs/submit", json={**JOB, "runtime": "cobol"}, headers={"Idempotency-Key": "new"}
    )
    assert bad.status_code == 400
    fresh = await client.post("/jobs/submit", json=JOB, headers={"Idempotency-Key": "new"})
    assert fresh.status_code == 201 and fresh.json()["replayed"] is False
