"""Two server replicas on one PostgreSQL: dispatch, waits and cancels cross replicas through
LISTEN/NOTIFY; the database decides who holds what."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from .conftest import BOOTSTRAP, ServerThread
from .fake_worker import FakeWorker
from .test_workflows_api import upload

pytestmark = pytest.mark.postgres


@pytest.fixture
def replicas(
    server_factory: Callable[..., ServerThread], postgres_schemas: Any
) -> tuple[ServerThread, ServerThread]:
    url = postgres_schemas.new()
    return server_factory(url), server_factory(url)


async def test_a_run_submitted_on_one_replica_is_run_by_a_worker_of_the_other(
    replicas: tuple[ServerThread, ServerThread],
) -> None:
    a, b = replicas
    worker = FakeWorker(b.url, "on-b", BOOTSTRAP)
    await worker.register()
    await worker.connect()
    worker.serve(lambda name: f"Hello, {name}")
    try:
        async with httpx.AsyncClient(base_url=a.url, timeout=30) as client:
            await upload(client)
            # The sync wait on A returns when B records the end.
            response = await client.post("/workflows/hello_world/run/sync", json="both")
    finally:
        await worker.close()

    assert response.status_code == 200, response.text
    assert (response.json()["state"], response.json()["output"]) == ("COMPLETED", "Hello, both")
    assert response.json()["worker_name"] == "on-b"


async def test_stream_and_cancel_across_replicas(
    replicas: tuple[ServerThread, ServerThread],
) -> None:
    a, b = replicas
    worker = FakeWorker(b.url, "on-b", BOOTSTRAP)
    await worker.register()
    await worker.connect()
    try:
        async with httpx.AsyncClient(base_url=a.url, timeout=30) as client:
            await upload(client)
            execution_id = (await client.post("/workflows/hello_world/run/async")).json()[
                "execution_id"
            ]
            claim = (await worker.claim(await worker.offer())).json()
            cancel = asyncio.create_task(
                client.get(f"/workflows/hello_world/cancel/{execution_id}", params={"mode": "sync"})
            )
            event, data = await worker.next_event()
            seq = claim["execution"]["events"][-1]["seq"] + 1
            end = worker.event(seq, "WORKFLOW_CANCELLED", execution_id, "hello_world")
            await worker.checkpoint(execution_id, claim["epoch"], [end], "CANCELLED")
            cancelled = await cancel
    finally:
        await worker.close()

    assert (event, data) == ("execution_cancelled", {"execution_id": execution_id})
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "CANCELLED"


async def test_many_runs_over_two_replicas_each_run_once(
    replicas: tuple[ServerThread, ServerThread],
) -> None:
    a, b = replicas
    runs: dict[str, int] = {}

    def count(value: Any) -> Any:
        runs[str(value)] = runs.get(str(value), 0) + 1
        return value

    workers = [FakeWorker(server.url, f"w{i}", BOOTSTRAP) for i, server in enumerate([a, b, b])]
    for worker in workers:
        await worker.register()
        await worker.connect()
        worker.serve(count)
    try:
        async with (
            httpx.AsyncClient(base_url=a.url, timeout=60) as on_a,
            httpx.AsyncClient(base_url=b.url, timeout=60) as on_b,
        ):
            await upload(on_a)
            answers = await asyncio.gather(
                *(
                    client.post("/workflows/hello_world/run/sync", json=i)
                    for i, client in zip(range(60), [on_a, on_b] * 30, strict=True)
                )
            )
    finally:
        for worker in workers:
            await worker.close()

    assert all(answer.status_code == 200 for answer in answers)
    assert sorted(int(k) for k in runs) == list(range(60))
    assert set(runs.values()) == {1}
