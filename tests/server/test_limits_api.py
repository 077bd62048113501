"""Queues and limits over HTTP: options read from the upload, admission at the claim (a 409
the worker ignores), who holds a slot (`GET /limits`), priorities, jobs, offers."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .fake_worker import FakeWorker
from .test_workflows_api import upload

LIMITED = b"""
from flux import workflow

@workflow.with_options(concurrency=1, concurrency_key="customer", priority=3)
async def sync_customer(ctx):
    return ctx.input

@workflow.with_options(rate_limit="1/m")
async def ping(ctx):
    return "pong"

@workflow
async def plain(ctx):
    return ctx.input
"""
KEY_A = 'sync_customer[customer="a"]'


async def start(client: httpx.AsyncClient, name: str, input: Any, **params: Any) -> str:
    response = await client.post(f"/workflows/{name}/run/async", json=input, params=params)
    assert response.status_code == 200, response.text
    return str(response.json()["execution_id"])


async def view(client: httpx.AsyncClient, execution_id: str) -> dict[str, Any]:
    return dict((await client.get(f"/executions/{execution_id}")).json())


async def limits(client: httpx.AsyncClient, **params: Any) -> dict[tuple[str, str], Any]:
    response = await client.get("/limits", params=params)
    assert response.status_code == 200, response.text
    return {(item["kind"], item["key"]): item for item in response.json()["limits"]}


async def test_a_concurrency_limit_per_key_is_enforced_and_shown(
    client: httpx.AsyncClient, workers: Any
) -> None:
    assert (await upload(client, LIMITED, "limited.py")).status_code == 200
    shown = (await client.get("/workflows/sync_customer")).json()
    assert shown["priority"] == 3
    assert shown["limits"] == {
        "concurrency": 1,
        "concurrency_key": "customer",
        "rate_limit": None,
        "rate_limit_key": None,
    }
    a1 = await start(client, "sync_customer", {"customer": "a", "n": 1})
    a2 = await start(client, "sync_customer", {"customer": "a", "n": 2})
    b1 = await start(client, "sync_customer", {"customer": "b", "n": 1})
    worker: FakeWorker = await workers()

    first = await worker.claim(a1)
    refused = await worker.claim(a2)
    other = await worker.claim(b1)

    assert first.status_code == 200 and other.status_code == 200
    assert refused.status_code == 409
    assert f"concurrency limit '{KEY_A}' is full" in refused.json()["detail"]
    waiting = await view(client, a2)
    assert waiting["state"] == "SCHEDULED" and waiting["priority"] == 3
    assert waiting["limit_keys"] == [f"concurrency:{KEY_A}"]
    assert waiting["pending_reason"] == (
        f"waiting for a slot of concurrency limit '{KEY_A}' (1 of 1 running: {a1})"
    )
    found = await limits(client)
    assert [h["execution_id"] for h in found[("concurrency", KEY_A)]["holders"]] == [a1]
    assert found[("concurrency", KEY_A)]["waiting"] == 1
    assert found[("concurrency", KEY_A)]["available"] == 0
    assert found[("concurrency", 'sync_customer[customer="b"]')]["waiting"] == 0

    await worker.finish(first.json(), lambda value: value)

    assert (await worker.claim(a2)).status_code == 200
    after = await limits(client, workflow="sync_customer")
    assert [h["execution_id"] for h in after[("concurrency", KEY_A)]["holders"]] == [a2]
    assert after[("concurrency", KEY_A)]["holders"][0]["state"] == "CLAIMED"
    assert {key for _, key in after} == {KEY_A, 'sync_customer[customer="b"]'}


async def test_a_rate_limit_counts_starts(client: httpx.AsyncClient, workers: Any) -> None:
    await upload(client, LIMITED, "limited.py")
    one, two = await start(client, "ping", None), await start(client, "ping", None)
    worker: FakeWorker = await workers()

    claimed = await worker.claim(one)
    await worker.finish(claimed.json(), lambda _: "pong")
    refused = await worker.claim(two)

    assert refused.status_code == 409 and "rate limit 'ping' is used up" in refused.text
    waiting = await view(client, two)
    assert waiting["pending_reason"].startswith("waiting for rate limit 'ping' (1/m used up;")
    rate = (await limits(client))[("rate", "ping")]
    assert (rate["capacity"], rate["rate"], rate["in_use"], rate["waiting"]) == (1, "1/m", 1, 1)
    assert rate["period_seconds"] == 60 and rate["next_free_at"] is not None
    assert rate["holders"][0]["state"] == "COMPLETED"  # a finished start still counts
    listed = (await client.get("/limits")).json()["workflows"]
    assert {w["workflow_name"]: w["rate_limit"] for w in listed} == {
        "sync_customer": None,
        "ping": "1/m",
    }


async def test_priority_orders_the_queue(client: httpx.AsyncClient, workers: Any) -> None:
    await upload(client, LIMITED, "limited.py")
    low = await start(client, "plain", 1, priority=-1)
    normal = await start(client, "plain", 2)
    high = await start(client, "plain", 3, priority=5)
    worker: FakeWorker = await workers()

    batch = await worker.post("claim", body={"max": 3})
    bad = await client.post("/workflows/plain/run/async", json=1, params={"priority": 5000})

    claimed = [c["execution"]["execution_id"] for c in batch.json()["claims"]]
    assert claimed == [high, normal, low]
    assert bad.status_code == 422
    assert (await view(client, high))["priority"] == 5


async def test_a_full_limit_is_offered_again_when_its_slot_frees(
    client: httpx.AsyncClient, workers: Any
) -> None:
    await upload(client, LIMITED, "limited.py")
    worker: FakeWorker = await workers()
    await worker.connect()
    ids = [await start(client, "sync_customer", {"customer": "a", "n": i}) for i in range(3)]

    first = await worker.offer()
    claim = await worker.claim(first)
    with pytest.raises(TimeoutError):
        await worker.offer(timeout=1.0)  # the others wait for the slot, without offers
    await worker.finish(claim.json(), lambda value: value)
    second = await worker.offer()

    assert first == ids[0] and second == ids[1]


async def test_jobs_take_a_priority_and_a_concurrency_key(client: httpx.AsyncClient) -> None:
    body = {
        "script": "print(1)",
        "runtime": "python",
        "priority": 4,
        "concurrencyKey": "tenant-7",
        "concurrency": 2,
    }
    submitted = await client.post("/jobs/submit", json=body)
    without_key = await client.post("/jobs/submit", json={**body, "concurrencyKey": None})

    assert submitted.status_code == 201, submitted.text
    job = await view(client, submitted.json()["jobId"])
    assert job["priority"] == 4
    assert job["limit_keys"] == ['concurrency:flux.job[concurrencyKey="tenant-7"]']
    assert without_key.status_code == 400
    assert "'concurrency' needs 'concurrencyKey'" in without_key.json()["detail"]
    found = await limits(client)
    assert found[("concurrency", 'flux.job[concurrencyKey="tenant-7"]')]["waiting"] == 1


def _source(options: str) -> bytes:
    lines = ["from flux import workflow", "N = 2", f"@workflow.with_options({options})"]
    return "\n".join([*lines, "async def w(ctx):", "    return 1", ""]).encode()


async def test_an_uploaded_limit_must_be_a_valid_literal(client: httpx.AsyncClient) -> None:
    computed = await upload(client, _source("concurrency=N"), "computed.py")
    invalid = await upload(client, _source("rate_limit='ten/m'"), "invalid.py")

    assert computed.status_code == 400 and "concurrency= must be a literal" in computed.text
    assert invalid.status_code == 400 and "invalid rate_limit 'ten/m'" in invalid.text
