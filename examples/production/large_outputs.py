"""Large outputs: a value whose encoded size is over `outputs.inline_limit` (256 KiB) is kept
in an output store, and the event log records a small signed reference to it. Every reader
(the run, replay, the API, the CLI, the client) sees the real value.

Start a server first (`flux start server`), then: python examples/production/large_outputs.py
(FLUX_WORKERS__SERVER_URL points it at another server.)
"""

import shutil
import tempfile
from pathlib import Path

from flux import ExecutionContext, task, workflow
from flux.client import FluxClient
from flux.output_storage import LocalFileStorage

REPORT = """
from flux import task, workflow

@task
async def build_report(rows):
    return [{"id": i, "customer": f"customer-{i}", "balance": i * 1.5} for i in range(rows)]

@workflow
async def monthly_report(ctx):
    report = await build_report(ctx.input)
    return {"rows": len(report), "report": report}
"""

# 1. On a server: the worker uploads the report (about 1 MiB) to the server's output store
#    before the checkpoint that references it; the API answers with the value itself.
with FluxClient() as client:
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "monthly_report.py"
        source.write_text(REPORT)
        client.upload_workflow(source)
    done = client.run("monthly_report", 20_000, mode="sync")
    again = client.get_execution(done.execution_id)
    print("server report rows:", done.output["rows"], len(done.output["report"]))
    print("same report when read again:", again.output == done.output)

# 2. In this process (local mode), in a directory this workflow chose.
store = Path(tempfile.mkdtemp())


@task
async def build_rows(rows: int) -> list[dict[str, object]]:
    return [{"id": i, "customer": f"customer-{i}"} for i in range(rows)]


@workflow.with_options(output_storage=LocalFileStorage(store))
async def local_report(ctx: ExecutionContext[int]) -> list[dict[str, object]]:
    return await build_rows(ctx.input)


ctx = local_report.run(20_000)
blobs = [path for path in store.rglob("*") if path.is_file()]
print("local report rows:", len(ctx.output))
# The task's output and the workflow's are the same bytes: content addressing keeps one file.
print("files in the workflow's store:", len(blobs))
print("same report after replay:", local_report.get(ctx.execution_id).output == ctx.output)
shutil.rmtree(store)
