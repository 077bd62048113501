"""`/workers`: tokens, claims under a lease, fencing, heartbeats, recovery, fit, secrets."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from .conftest import BOOTSTRAP, ServerThread
from .fake_worker import FakeWorker
from .test_workflows_api import upload

NEEDS_CPU = b"""
from flux import workflow, ResourceRequest

@workflow.with_options(requests=ResourceRequest.with_cpu(8))
async def heavy(ctx):
    return 1

@workflow.with_options(requests=ResourceRequest(packages=["numpy>=2"]))
async def numeric(ctx):
    return 1
"""


async def submit(client: httpx.AsyncClient, name: str = "hello_world", input: Any = "x") -> str:
    await upload(client)
    response = await client.post(f"/workflows/{name}/run/async", json=input)
    return str(response.json()["execution_id"])


async def status(client: httpx.AsyncClient, execution_id: str) -> dict[str, Any]:
    response = await client.get(f"/executions/{execution_id}")
    return dict(response.json())


async def test_registration_needs_the_bootstrap_token(server: ServerThread) -> None:
    worker = FakeWorker(server.url, "w1", "wrong")
    async with httpx.AsyncClient(base_url=server.url) as http:
        body = worker.registration_body
        missing = await http.post("/workers/register", json=body)
        wrong = await http.post(
            "/workers/register", json=body, headers={"authorization": "Bearer nope"}
        )
        bad_name = await http.post(
            "/workers/register",
            json={**body, "name": "../x"},
            headers={"authorization": f"Bearer {BOOTSTRAP}"},
        )
    await worker.close()

    assert missing.status_code == 401 and "bootstrap token" in missing.json()["detail"]
    assert wrong.status_code == 401
    assert bad_name.status_code == 422


async def test_session_tokens_are_checked_per_worker(server: ServerThread, workers: Any) -> None:
    first: FakeWorker = await workers("w1")
    second: FakeWorker = await workers("w2")
    async with httpx.AsyncClient(base_url=server.url) as http:
        none = await http.post("/workers/w1/heartbeat", json={})
        bogus = await http.post(
            "/workers/w1/heartbeat", json={}, headers={"authorization": "Bearer bogus"}
        )
        others = await http.post("/workers/w1/heartbeat", json={}, headers=second.headers)
        unknown = await http.get("/workers/ghost/connect", headers=first.headers)
        own = await http.post("/workers/w1/heartbeat", json={}, headers=first.headers)

    assert none.status_code == 401 and none.headers["www-authenticate"] == "Bearer"
    assert bogus.status_code == 401
    assert others.status_code == 403 and "another worker" in others.json()["detail"]
    assert unknown.status_code == 403
    assert own.status_code == 200 and own.json() == {"lost": []}


async def test_reregistering_revokes_the_old_session_token(
    server: ServerThread, workers: Any
) -> None:
    worker: FakeWorker = await workers("w1")
    old = worker.headers
    await worker.register()
    async with httpx.AsyncClient(base_url=server.url) as http:
        stale = await http.post("/workers/w1/heartbeat", json={}, headers=old)
        fresh = await http.post("/workers/w1/heartbeat", json={}, headers=worker.headers)

    assert (stale.status_code, fresh.status_code) == (401, 200)


async def test_a_claim_is_exclusive_and_fenced(client: httpx.AsyncClient, workers: Any) -> None:
    execution_id = await submit(client)
    one: FakeWorker = await workers("w1")
    two: FakeWorker = await workers("w2")

    won = await one.claim(execution_id)
    lost = await two.claim(execution_id)
    unknown = await one.claim("nope")

    assert won.status_code == 200, won.text
    claim = won.json()
    assert claim["epoch"] == 1 and claim["execution"]["state"] == "CLAIMED"
    assert one.decode(claim["execution"]["input"]) == "x"
    assert lost.status_code == 409 and unknown.status_code == 404
    seq = claim["execution"]["events"][-1]["seq"] + 1
    step = one.event(seq, "TASK_STARTED", "1", "say_hello")
    stale = await one.checkpoint(execution_id, 0, [step])
    foreign = await two.checkpoint(execution_id, 1, [step])
    ok = await one.checkpoint(execution_id, 1, [step])
    again = await one.checkpoint(execution_id, 1, [step])

    assert stale.status_code == 409 and "stale" in stale.json()["detail"]
    assert foreign.status_code == 409 and "held by worker 'w1'" in foreign.json()["detail"]
    assert ok.status_code == 204
    assert again.status_code == 409 and "seq" in again.json()["detail"]
    missing = await one.checkpoint("nope", 1, [step])
    assert missing.status_code == 404


async def test_a_late_checkpoint_after_recovery_is_refused(
    client: httpx.AsyncClient, workers: Any
) -> None:
    execution_id = await submit(client)
    slow: FakeWorker = await workers("slow")
    await slow.connect()
    claim = (await slow.claim(await slow.offer())).json()
    other: FakeWorker = await workers("other")
    await other.connect()

    await slow.disconnect()  # as if it crashed: its lease is released at once
    retaken = (await other.claim(await other.offer())).json()
    seq = claim["execution"]["events"][-1]["seq"] + 1
    late = await slow.checkpoint(
        execution_id, claim["epoch"], [slow.event(seq, "TASK_STARTED", "1", "say_hello")]
    )

    assert retaken["epoch"] == 2
    assert late.status_code == 409
    await other.finish(retaken, lambda name: "done")
    assert (await status(client, execution_id))["state"] == "COMPLETED"


async def test_heartbeats_renew_and_report_lost_leases(
    client: httpx.AsyncClient, workers: Any
) -> None:
    execution_id = await submit(client)
    worker: FakeWorker = await workers()
    claim = (await worker.claim(execution_id)).json()

    reply = await worker.post(
        "heartbeat",
        body={
            "executions": [
                {"execution_id": execution_id, "epoch": claim["epoch"]},
                {"execution_id": "gone", "epoch": 1},
            ]
        },
    )

    assert reply.status_code == 200 and reply.json() == {"lost": ["gone"]}


async def test_graceful_release_requeues_for_another_worker(
    client: httpx.AsyncClient, workers: Any
) -> None:
    execution_id = await submit(client)
    leaving: FakeWorker = await workers("leaving")
    claim = (await leaving.claim(execution_id)).json()

    released = await leaving.post("release", execution_id, body={"epoch": claim["epoch"]})
    twice = await leaving.post("release", execution_id, body={"epoch": claim["epoch"]})
    view = await status(client, execution_id)

    assert (released.status_code, twice.status_code) == (204, 409)
    assert (view["state"], view["attempts"]) == ("SCHEDULED", 0)


async def test_crash_loop_ends_failed_with_the_reason(
    client: httpx.AsyncClient, workers: Any
) -> None:
    execution_id = await submit(client)
    for attempt in range(3):  # workers.max_attempts = 3
        worker: FakeWorker = await workers(f"crashy{attempt}")
        await worker.connect()
        assert (await worker.claim(await worker.offer())).status_code == 200
        await worker.disconnect()
        await asyncio.sleep(0.1)

    view = await status(client, execution_id)
    for _ in range(50):
        if view["state"] == "FAILED":
            break
        await asyncio.sleep(0.05)
        view = await status(client, execution_id)

    assert view["state"] == "FAILED" and view["attempts"] == 3
    assert "lost its worker 3 time(s)" in view["error"] and "crashy2" in view["error"]
    assert view["output"] == view["error"]


async def test_offers_go_only_to_workers_that_fit(client: httpx.AsyncClient, workers: Any) -> None:
    await upload(client, NEEDS_CPU, "needs.py")
    small: FakeWorker = await workers("small", cpu=2)
    await small.connect()
    heavy = (await client.post("/workflows/heavy/run/async")).json()
    numeric = (await client.post("/workflows/numeric/run/async")).json()

    assert "needs cpu=8, the worker has 2" in heavy["pending_reason"]
    assert "needs package numpy>=2" in numeric["pending_reason"]
    with pytest.raises(TimeoutError):
        await small.offer(timeout=0.5)
    big: FakeWorker = await workers("big", cpu=16, packages=[{"name": "NumPy", "version": "2.1.0"}])
    await big.connect()
    offered = {await big.offer(), await big.offer()}
    assert offered == {heavy["execution_id"], numeric["execution_id"]}
    batch = await small.post("claim", body={"max": 5})
    assert batch.status_code == 200 and batch.json() == {"claims": []}


async def test_claim_next_takes_queued_runs_oldest_first(
    client: httpx.AsyncClient, workers: Any
) -> None:
    ids = [await submit(client, input=i) for i in range(3)]
    worker: FakeWorker = await workers()

    batch = await worker.post("claim", body={"max": 2})
    bad = await worker.post("claim", body={"max": 0})

    claimed = [c["execution"]["execution_id"] for c in batch.json()["claims"]]
    assert claimed == ids[:2]
    assert bad.status_code == 422


async def test_checkpoint_batch_reports_each_item(client: httpx.AsyncClient, workers: Any) -> None:
    execution_id = await submit(client)
    worker: FakeWorker = await workers()
    claim = (await worker.claim(execution_id)).json()
    seq = claim["execution"]["events"][-1]["seq"] + 1
    event = worker.event(seq, "TASK_STARTED", "1", "say_hello")
    items = [
        {"execution_id": execution_id, "checkpoint": {"epoch": 1, "events": [event]}},
        {"execution_id": execution_id, "checkpoint": {"epoch": 7, "events": []}},
        {"execution_id": "nope", "checkpoint": {"epoch": 1, "events": []}},
    ]

    reply = await worker.post("checkpoints", body={"items": items})

    results = [(r["ok"], r["status"]) for r in reply.json()["results"]]
    assert results == [(True, 204), (False, 409), (False, 404)]


async def test_workflow_source_and_children(client: httpx.AsyncClient, workers: Any) -> None:
    execution_id = await submit(client)
    worker: FakeWorker = await workers()
    claim = (await worker.claim(execution_id)).json()
    version = claim["execution"]["workflow_version"]

    source = await worker.http.get(
        worker.path("workflows", "hello_world", version), headers=worker.headers
    )
    latest = await worker.http.get(worker.path("workflows", "hello_world"), headers=worker.headers)
    missing = await worker.http.get(worker.path("workflows", "nope"), headers=worker.headers)
    child = {
        "parent_execution_id": execution_id,
        "parent_epoch": claim["epoch"],
        "execution": {
            "execution_id": f"{execution_id}-1",
            "workflow_name": "hello_world",
            "workflow_version": version,
            "state": "CREATED",
            "input": worker.encode("child"),
            "created_at": "2025-01-01T00:00:00Z",
            "updated_at": "2025-01-01T00:00:00Z",
            "events": [],
        },
    }
    created = await worker.post("executions", body=child)
    stale_parent = await worker.post("executions", body={**child, "parent_epoch": 9})

    assert source.status_code == 200 and "say_hello" in source.json()["source"]
    assert latest.json()["version"] == version and missing.status_code == 404
    assert created.status_code == 200, created.text
    made = created.json()
    assert made["execution"]["parent_execution_id"] == execution_id
    assert worker.decode(made["execution"]["input"]) == "child"
    assert stale_parent.status_code == 409
    listed = (await client.get("/executions")).json()
    assert listed["count"] == 2


async def test_secrets_and_cache_for_workers(client: httpx.AsyncClient, workers: Any) -> None:
    await client.post("/admin/secrets", json={"name": "API_KEY", "value": {"k": 1}})
    execution_id = await submit(client)
    worker: FakeWorker = await workers()
    claim = (await worker.claim(execution_id)).json()
    ask = {"execution_id": execution_id, "epoch": claim["epoch"], "names": ["API_KEY"]}

    found = await worker.post("secrets", body=ask)
    missing = await worker.post("secrets", body={**ask, "names": ["NOPE"]})
    fenced = await worker.post("secrets", body={**ask, "epoch": 0})
    put = await worker.http.put(
        worker.path("cache"), json={"key": "k1", "value": worker.encode(42)}, headers=worker.headers
    )
    hit = await worker.post("cache", "get", body={"key": "k1"})
    miss = await worker.post("cache", "get", body={"key": "k2"})

    assert found.json() == {"values": {"API_KEY": {"k": 1}}}
    assert missing.status_code == 404 and "NOPE" in missing.json()["detail"]
    assert fenced.status_code == 409
    assert put.status_code == 204
    assert worker.decode(hit.json()["value"]) == 42
    assert miss.json()["value"] is None


async def test_failed_run_shows_its_error(client: httpx.AsyncClient, workers: Any) -> None:
    execution_id = await submit(client)
    worker: FakeWorker = await workers()
    claim = (await worker.claim(execution_id)).json()
    seq = claim["execution"]["events"][-1]["seq"] + 1
    failed = worker.event(seq, "WORKFLOW_FAILED", execution_id, "hello_world", ValueError("boom"))

    await worker.checkpoint(execution_id, 1, [failed], "FAILED")
    view = await status(client, execution_id)

    assert (view["state"], view["error"], view["output"]) == (
        "FAILED",
        "ValueError: boom",
        "ValueError: boom",
    )


async def test_an_expired_lease_is_swept_back_to_the_queue(
    server_factory: Any, database_url: str
) -> None:
    server = server_factory(database_url, workers={"lease_ttl": 0.4})
    async with httpx.AsyncClient(base_url=server.url) as client:
        execution_id = await submit(client)
        silent = FakeWorker(server.url, "silent", BOOTSTRAP)
        await silent.register()
        claim = (await silent.claim(execution_id)).json()  # no stream, no heartbeats

        view = await status(client, execution_id)
        for _ in range(40):
            if view["state"] == "SCHEDULED":
                break
            await asyncio.sleep(0.05)
            view = await status(client, execution_id)
        late = await silent.checkpoint(execution_id, claim["epoch"], [])
        await silent.close()

    assert (view["state"], view["attempts"], view["worker_name"]) == ("SCHEDULED", 1, "silent")
    assert late.status_code == 409


async def test_a_server_restart_keeps_the_leases_of_live_workers(
    server_factory: Any, database_url: str
) -> None:
    first = server_factory(database_url)
    async with httpx.AsyncClient(base_url=first.url) as client:
        execution_id = await submit(client)
    worker = FakeWorker(first.url, "steady", BOOTSTRAP)
    await worker.register()
    await worker.connect()
    claim = (await worker.claim(await worker.offer())).json()

    first.stop()
    second = server_factory(database_url)
    worker.http.base_url = httpx.URL(second.url)
    await worker.finish(claim, lambda name: "survived")
    await worker.close()

    async with httpx.AsyncClient(base_url=second.url) as client:
        view = await status(client, execution_id)
    assert (view["state"], view["output"], view["attempts"]) == ("COMPLETED", "survived", 1)


async def test_workers_listing_shows_who_is_connected(server: ServerThread, workers: Any) -> None:
    worker: FakeWorker = await workers("lister")
    async with httpx.AsyncClient(base_url=server.url) as http:
        await worker.connect()
        online = (await http.get("/workers")).json()
        await worker.disconnect()

        async def offline() -> list[dict[str, Any]]:
            for _ in range(200):
                listing: list[dict[str, Any]] = (await http.get("/workers")).json()
                if listing[0]["status"] != "connected":
                    return listing
                await asyncio.sleep(0.01)
            raise AssertionError("the worker never showed as disconnected")

        after = await offline()
    assert [w["name"] for w in online] == ["lister"]
    assert online[0]["status"] == "connected"
    assert online[0]["resources"]["cpu_total"] >= 1
    assert online[0]["max_concurrency"] >= 1
    assert after[0]["status"] != "connected"
