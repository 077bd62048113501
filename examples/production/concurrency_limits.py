"""Queues and limits: one sync at a time per customer, an urgent run ahead of the queue.

Start a server first (`flux start server`), then:
python examples/production/concurrency_limits.py
(FLUX_WORKERS__SERVER_URL points it at another server.)
"""

import tempfile
import time
from pathlib import Path

from flux.client import FluxClient

SYNC = """
import asyncio
import time

from flux import task, workflow

@task
async def copy_records(customer, seconds):
    began = time.time()
    await asyncio.sleep(seconds)
    return [began, time.time()]

# At most one run per value of input["customer"]: two syncs of one customer's account
# would fight over it; different customers run side by side.
@workflow.with_options(concurrency=1, concurrency_key="customer")
async def sync_customer(ctx):
    return await copy_records(ctx.input["customer"], ctx.input["seconds"])
"""


def wait_for(client: FluxClient, execution_id: str, *states: str) -> None:
    while client.get_execution(execution_id).state.value not in states:
        time.sleep(0.05)


with FluxClient() as client:
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "sync_customer.py"
        source.write_text(SYNC)
        client.upload_workflow(source)

    def sync(customer: str, seconds: float, priority: int | None = None) -> str:
        body = {"customer": customer, "seconds": seconds}
        return client.run("sync_customer", body, priority=priority).execution_id

    runs = {"first": sync("acme", 3.0)}
    wait_for(client, runs["first"], "RUNNING")
    runs["second"] = sync("acme", 0.2)
    runs["third"] = sync("acme", 0.2)
    runs["urgent"] = sync("acme", 0.2, priority=10)  # queued last, starts next
    runs["other"] = sync("globex", 0.2)  # another customer: not held back

    key = 'sync_customer[customer="acme"]'
    acme = next(limit for limit in client.list_limits("sync_customer").limits if limit.key == key)
    holders = [name for name, eid in runs.items() for h in acme.holders if h.execution_id == eid]
    print(f"{key}: {acme.in_use} of {acme.capacity} running ({', '.join(holders)}), ", end="")
    print(f"{acme.waiting} waiting")
    reason = client.get_execution(runs["second"]).pending_reason or ""
    print("second waits:", reason.startswith("waiting for a slot of concurrency limit"))

    for execution_id in runs.values():
        wait_for(client, execution_id, "COMPLETED", "FAILED")
    spans = {name: client.get_execution(eid).output for name, eid in runs.items()}
    order = sorted((name for name in runs if name != "other"), key=lambda n: spans[n][0])
    print("acme ran in order:", ", ".join(order))
    overlaps = any(
        spans[a][0] < spans[b][1] and spans[b][0] < spans[a][1]
        for a in order
        for b in order
        if a < b
    )
    print("two acme syncs at once:", overlaps)
    print("globex ran beside acme:", spans["other"][0] < spans["first"][1])
