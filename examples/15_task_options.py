"""Key Features, "Flexible Task Configuration" (flux-core README 0.2.7 and 0.4.8).

The document's `my_task` asks for secrets and metadata but has no `secrets` or `metadata`
parameter to receive them, so each attempt fails with TypeError; after 3 retries (waiting
1 + 2 + 4 seconds) the fallback's result becomes the output. Set the secret first:

    flux secrets set API_KEY "your-api-key-value"

Run: python examples/15_task_options.py
"""

from flux import ExecutionContext, task, workflow


# The document leaves `fallback_func` and `rollback_func` undefined; these are the smallest
# sensible ones. A fallback or rollback receives the task's own arguments.
async def fallback_func():
    return "fallback"


async def rollback_func():
    pass


# fmt: off
@task.with_options(
    name="custom_task",             # Custom task name
    retry_max_attempts=3,           # Auto-retry failed tasks
    retry_delay=1,                  # Initial delay between retries
    retry_backoff=2,                # Exponential backoff for retries
    timeout=30,                     # Task execution timeout (seconds)
    fallback=fallback_func,         # Fallback handler for failures
    rollback=rollback_func,         # Rollback handler for cleanup
    secret_requests=['API_KEY'],    # Secure secrets management
    cache=True,                     # Enable task result caching
    metadata=True                   # Enable task metadata access
)
async def my_task():
    pass
# fmt: on


@workflow
async def options_workflow(ctx: ExecutionContext):
    return await my_task()


if __name__ == "__main__":
    print(f"Task name: {my_task.name}")  # custom_task
    result = options_workflow.run()
    print(f"Succeeded: {result.has_succeeded}")
    print(f"Output: {result.output}")  # fallback
    for event in result.events:
        print(f"{event.type}: {event.name}")
        if event.type == "TASK_RETRY_FAILED":
            print(f"    {event.value['error']!r}")
