"""`/executions` listing, `/admin/secrets`, `/health`, `/ready`, `/metrics`, `/docs`."""

from __future__ import annotations

from typing import Any

import httpx

from .fake_worker import FakeWorker
from .test_workflows_api import upload


async def test_executions_are_listed_filtered_and_paged(client: httpx.AsyncClient) -> None:
    await upload(client)
    ids = [
        (await client.post("/workflows/hello_world/run/async", json=i)).json()["execution_id"]
        for i in range(5)
    ]
    await client.get(f"/workflows/hello_world/cancel/{ids[0]}")

    page = (await client.get("/executions", params={"limit": 2, "offset": 1})).json()
    cancelled = (await client.get("/executions", params={"state": "CANCELLED"})).json()
    other = (await client.get("/executions", params={"workflow": "other"})).json()
    one = (await client.get(f"/executions/{ids[2]}", params={"detailed": "true"})).json()

    assert (page["count"], page["limit"], page["offset"]) == (5, 2, 1)
    assert [e["execution_id"] for e in page["executions"]] == [ids[3], ids[2]]
    assert [e["execution_id"] for e in cancelled["executions"]] == [ids[0]]
    assert other == {"count": 0, "limit": 50, "offset": 0, "executions": []}
    assert one["input"] == 2 and [e["type"] for e in one["events"]] == ["WORKFLOW_SCHEDULED"]
    for params in ({"state": "NOPE"}, {"limit": 0}, {"limit": 5000}, {"offset": -1}):
        assert (await client.get("/executions", params=params)).status_code == 422, params


async def test_admin_secrets(client: httpx.AsyncClient) -> None:
    saved = await client.post("/admin/secrets", json={"name": "API_KEY", "value": "s3cr3t"})
    await client.post("/admin/secrets", json={"name": "OTHER", "value": [1, 2]})

    names = (await client.get("/admin/secrets")).json()
    value = (await client.get("/admin/secrets/API_KEY")).json()
    deleted = await client.delete("/admin/secrets/API_KEY")

    assert saved.status_code == 204
    assert names == ["API_KEY", "OTHER"]
    assert value == {"name": "API_KEY", "value": "s3cr3t"}
    assert deleted.status_code == 204
    assert (await client.get("/admin/secrets/API_KEY")).status_code == 404
    assert (await client.delete("/admin/secrets/API_KEY")).status_code == 404
    bad = await client.post("/admin/secrets", json={"name": "no spaces", "value": 1})
    assert bad.status_code == 400 and "invalid secret name" in bad.json()["detail"]
    assert (await client.post("/admin/secrets", json={"value": 1})).status_code == 422
    assert (await client.post("/admin/secrets", content=b"{")).status_code == 422


async def test_health_ready_docs(client: httpx.AsyncClient) -> None:
    assert (await client.get("/health")).json() == {"status": "ok"}
    ready = await client.get("/ready")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    assert (await client.get("/docs")).status_code == 200
    schema = (await client.get("/openapi.json")).json()
    assert "/workflows/{name}/run/{mode}" in schema["paths"]
    assert "/workers/{name}/checkpoint/{execution_id}" in schema["paths"]


async def test_metrics(client: httpx.AsyncClient, workers: Any) -> None:
    await upload(client)
    worker: FakeWorker = await workers()
    await worker.connect()
    worker.serve(lambda name: name)
    await client.post("/workflows/hello_world/run/sync", json="x")
    await client.post("/admin/secrets", json={"name": "S", "value": 1})

    text = (await client.get("/metrics")).text

    assert 'flux_executions{state="COMPLETED"} 1.0' in text
    assert "flux_queue_depth 0.0" in text
    assert "flux_connected_workers 1.0" in text
    assert "flux_dispatch_latency_seconds_count 1.0" in text
    assert "flux_checkpoint_latency_seconds_count 2.0" in text


async def test_secret_values_appear_nowhere_but_the_admin_read(
    client: httpx.AsyncClient, workers: Any
) -> None:
    planted = "planted-secret-value-7731"
    await client.post("/admin/secrets", json={"name": "TOKEN", "value": planted})
    await upload(client)
    worker: FakeWorker = await workers()
    await worker.connect()
    worker.serve(lambda name: name)
    view = await client.post("/workflows/hello_world/run/sync", json="x")

    surfaces = [
        view.text,
        (await client.get("/admin/secrets")).text,
        (await client.get("/executions")).text,
        (await client.get(f"/executions/{view.json()['execution_id']}?detailed=true")).text,
        (await client.get("/metrics")).text,
        (await client.get("/workflows")).text,
    ]

    assert all(planted not in text for text in surfaces)
