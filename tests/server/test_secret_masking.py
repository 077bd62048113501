"""The server masks secret values again in what workers send it (defence in depth): a worker
that did not mask (this fake one sends raw values) still gets nothing stored or shown."""

from __future__ import annotations

import secrets
from typing import Any

import httpx

from .fake_worker import FakeWorker
from .test_workers_api import submit


class Opaque:
    """A user's class: the server never unpickles such values to rewrite them."""

    def __init__(self, kept: str):
        self.kept = kept


async def test_values_logs_and_errors_from_a_worker_are_masked_on_ingest(
    client: httpx.AsyncClient, workers: Any
) -> None:
    value = f"srv-{secrets.token_hex(10)}"
    saved = await client.post("/admin/secrets", json={"name": "SERVER_SIDE", "value": value})
    assert saved.status_code == 204
    execution_id = await submit(client)
    worker: FakeWorker = await workers("w1")
    claim = (await worker.claim(execution_id)).json()
    seq = claim["execution"]["events"][-1]["seq"] + 1

    events = [
        worker.event(seq, "TASK_STARTED", "1", "step", ["plain input"]),
        worker.event(seq + 1, "TASK_COMPLETED", "1", "step", {"token": value, "n": 1}),
        worker.event(seq + 2, "TASK_STARTED", "2", "boom"),
        worker.event(seq + 3, "TASK_FAILED", "2", "boom", ValueError(f"refused {value}")),
        worker.event(seq + 4, "WORKFLOW_FAILED", execution_id, "hello_world", KeyError(value)),
    ]
    logs = await worker.post(
        "logs",
        body={
            "chunks": [
                {"execution_id": execution_id, "step_id": "1", "offset": 0, "text": f"a {value}\n"},
                {
                    "execution_id": execution_id,
                    "step_id": "1",
                    "offset": len(value) + 3,
                    "text": "after\n",
                },
            ]
        },
    )
    assert logs.status_code == 204, logs.text
    done = await worker.checkpoint(execution_id, claim["epoch"], events, "FAILED", Opaque(value))
    assert done.status_code == 204, done.text

    shown = await client.get(f"/executions/{execution_id}", params={"detailed": "true"})
    live = await client.get(f"/executions/{execution_id}/logs")
    listed = await client.get("/executions")
    for response in (shown, live, listed):
        assert response.status_code == 200
        assert value not in response.text
    view = shown.json()
    assert "KeyError" in view["error"] and "***" in view["error"]
    outputs = [e.get("value") for e in view["events"]]
    assert {"token": "***", "n": 1} not in outputs  # the server never rewrites structures
    assert "*** (a value that contained a secret)" in outputs
    assert "*" * len(value) in live.text and "after" in live.text
    assert "plain input" in shown.text  # what holds no secret is untouched
