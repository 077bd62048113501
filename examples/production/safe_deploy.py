"""Safe deploys: a run finishes on the version of the workflow it started on. Uploading a
new version changes what new runs do, never the runs already under way (here: one paused
for an approval while v2 is uploaded).

Start a server first (`flux start server`), then: python examples/production/safe_deploy.py
(FLUX_WORKERS__SERVER_URL points it at another server.)
"""

from flux.client import FluxClient

INVOICE = """
from flux import task, workflow, pause

@task
async def total(amount):
    return amount * {rate}   # v1 charged no tax; v2 adds 20 %

@workflow
async def invoice(ctx):
    approved = await pause("approve")
    return {{"total": await total(ctx.input), "approved": approved}}
"""

with FluxClient() as client:
    v1 = client.upload_workflow_source(INVOICE.format(rate=1), "invoice.py")[0].version
    waiting = client.run("invoice", 100, mode="sync")
    print("started on v1:", waiting.workflow_version == v1, "-", waiting.state.value)

    v2 = client.upload_workflow_source(INVOICE.format(rate=1.2), "invoice.py")[0].version
    done = client.resume("invoice", waiting.execution_id, True, mode="sync")
    print("finished on v1:", done.workflow_version == v1, "- total", done.output["total"])

    fresh = client.run("invoice", 100, mode="sync")
    fresh = client.resume("invoice", fresh.execution_id, True, mode="sync")
    print("a new run uses v2:", fresh.workflow_version == v2, "- total", fresh.output["total"])
