"""Advanced Usage, "Workflow Cancellation" (flux-core README 0.4.8).

A local run is cancelled with `workflow.cancel(execution_id)` from another thread while it
runs: the workflow gets `asyncio.CancelledError` at its current await, cleans up, re-raises,
and the run ends CANCELLED.

Run: python examples/12_cancellation.py
"""

# The document's snippet does not import these; it needs them.
import asyncio
import threading

from flux import ExecutionContext, task, workflow

started = threading.Event()
running_execution_id: list[str] = []


# The document leaves `long_running_task` and `cleanup` undefined; these are the smallest
# sensible ones. `await ExecutionContext.get()` hands the running execution's id to main below.
@task
async def long_running_task():
    running_execution_id.append((await ExecutionContext.get()).execution_id)
    started.set()
    await asyncio.sleep(60)


@task
async def cleanup():
    print("Cleaning up")


# fmt: off
# Workflows support cancellation through asyncio.CancelledError
@workflow
async def cancellable_workflow(ctx: ExecutionContext):
    try:
        await long_running_task()
        return "completed"
    except asyncio.CancelledError:
        # Cleanup resources
        await cleanup()
        raise  # Re-raise to mark as cancelled
# fmt: on


if __name__ == "__main__":
    runs: list[ExecutionContext] = []
    runner = threading.Thread(target=lambda: runs.append(cancellable_workflow.run()))
    runner.start()
    started.wait(timeout=30)

    cancelled = cancellable_workflow.cancel(running_execution_id[0])
    runner.join(timeout=30)
    ctx = runs[0]
    print(f"Cancelled: {ctx.is_cancelled}")
    print(f"Finished: {ctx.has_finished}")
    print(f"State: {cancellable_workflow.get(ctx.execution_id).state}")
    for event in ctx.events:
        print(f"{event.type}: {event.name}")
