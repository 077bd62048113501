"""Advanced Usage, "Error Handling" (flux-core README 0.2.7 and 0.4.8).

The document's `risky_task` never fails, so it simply returns None. To show the policies at
work, `flaky_task` below has the same options (with shorter delays) and always fails: it is
retried 3 times, then the fallback's result becomes its result. `fragile_task` has a rollback
and no fallback: the rollback runs and the workflow fails with the task's error.

Run: python examples/06_error_handling.py
"""

from flux import ExecutionContext, task, workflow

cleaned_up: list[str] = []


# The document leaves `cleanup_function` undefined; this is the smallest sensible one.
async def cleanup_function():
    cleaned_up.append("cleanup_function")


# fmt: off
@task.with_options(
    retry_max_attempts=3,
    retry_delay=1,
    retry_backoff=2,
    fallback=lambda: "fallback result",
    rollback=cleanup_function
)
async def risky_task():
    # Task implementation with comprehensive error handling
    pass
# fmt: on


@task.with_options(
    retry_max_attempts=3,
    retry_delay=0.05,
    retry_backoff=2,
    fallback=lambda: "fallback result",
    rollback=cleanup_function,
)
async def flaky_task():
    raise ConnectionError("service unavailable")


@task.with_options(rollback=cleanup_function)
async def fragile_task():
    raise ValueError("bad input")


@workflow
async def risky_workflow(ctx: ExecutionContext):
    return await risky_task()


@workflow
async def flaky_workflow(ctx: ExecutionContext):
    return await flaky_task()


@workflow
async def fragile_workflow(ctx: ExecutionContext):
    return await fragile_task()


if __name__ == "__main__":
    result = risky_workflow.run()
    print(f"risky_task: {result.output}")  # None

    result = flaky_workflow.run()
    print(f"flaky_task: {result.output}")  # fallback result
    for event in result.events:
        print(f"  {event.type}")

    result = fragile_workflow.run()
    print(f"fragile_task failed: {result.has_failed}, error: {result.output!r}")
    print(f"rollbacks run: {cleaned_up}")
