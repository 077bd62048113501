"""Idempotent starts: retrying a start with the same key never starts a second run.

Start a server first (`flux start server`), then: python examples/production/idempotent_start.py
(FLUX_WORKERS__SERVER_URL points it at another server.)
"""

import tempfile
from pathlib import Path

from flux.client import FluxClient

CHARGE = """
from flux import task, workflow

@task
async def charge(order):
    return f"charged order {order['id']} {order['amount']} EUR"

@workflow
async def charge_order(ctx):
    return await charge(ctx.input)
"""

with FluxClient() as client:
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "charge_order.py"
        source.write_text(CHARGE)
        client.upload_workflow(source)

    order = {"id": 1024, "amount": 25}
    # A client that times out and retries sends the same key again: the second call gets
    # the first call's run (here: waits for it) instead of charging twice.
    key = f"charge-{order['id']}"
    first = client.run("charge_order", order, mode="sync", idempotency_key=key)
    retry = client.run("charge_order", order, mode="sync", idempotency_key=key)
    print(first.output)
    print("same execution:", first.execution_id == retry.execution_id)
