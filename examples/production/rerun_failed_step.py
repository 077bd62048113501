"""Rerun from the failed step: a run that failed at its third step is run again from there,
reusing the recorded results of the steps before it (their bodies do not run again).

Start a server first (`flux start server`), then: python examples/production/rerun_failed_step.py
(FLUX_WORKERS__SERVER_URL points it at another server.)
"""

import tempfile
from pathlib import Path

from flux.client import FluxClient

SHIPPING = """
from pathlib import Path
from flux import task, workflow

@task
async def reserve_stock(job):
    with open(Path(job["dir"]) / "reservations", "a") as log:
        log.write("reserved\\n")   # a side effect that must not happen twice
    return {"sku": job["sku"], "reserved": True}

@task
async def book_courier(job):
    return "courier-7"

@task
async def print_label(job, courier):
    if (Path(job["dir"]) / "printer-jammed").exists():
        raise RuntimeError("printer jammed")
    return f"label for {job['sku']} via {courier}"

@workflow
async def ship_order(ctx):
    stock = await reserve_stock(ctx.input)
    courier = await book_courier(ctx.input)
    label = await print_label(ctx.input, courier)
    return {"stock": stock, "label": label}
"""

with FluxClient() as client, tempfile.TemporaryDirectory() as folder:
    client.upload_workflow_source(SHIPPING, "ship_order.py")
    job = {"dir": folder, "sku": "A-42"}

    (Path(folder) / "printer-jammed").touch()
    failed = client.run("ship_order", job, mode="sync")
    print(failed.state.value, "-", failed.error)

    (Path(folder) / "printer-jammed").unlink()  # someone fixed the printer
    rerun = client.rerun(failed.execution_id, mode="sync")
    print(rerun.state.value, "-", rerun.output["label"])
    print("rerun of the failed run:", rerun.rerun_of == failed.execution_id)
    reservations = (Path(folder) / "reservations").read_text().split()
    print("stock reserved", len(reservations), "time(s)")

    # Or give the failed step's result by hand instead of running it again.
    manual = client.rerun(failed.execution_id, step_output="handwritten label", mode="sync")
    print(manual.state.value, "-", manual.output["label"])
