"""Advanced Usage, "Secret Management" (flux-core README 0.2.7 and 0.4.8).

Set the secret first, in the directory you run the example from (Flux keeps its state,
secrets included, under ./.flux):

    flux secrets set API_KEY "your-api-key-value"

Run: python examples/07_secrets.py
"""
# The document's code is kept verbatim: its `= {}` default and unused `api_key` included.
# ruff: noqa: B006, F841

import sys

# The document's snippet has no imports; these are the ones it needs (`Any` included).
from typing import Any

from flux import ExecutionContext, task, workflow


# fmt: off
@task.with_options(secret_requests=["API_KEY"])
async def secure_task(secrets: dict[str, Any] = {}):
    api_key = secrets["API_KEY"]
    # Use API key securely
# fmt: on


@task.with_options(secret_requests=["API_KEY"])
async def key_preview(secrets: dict[str, Any] = {}) -> str:
    api_key = secrets["API_KEY"]
    return f"{api_key[:4]}... ({len(api_key)} characters)"


@workflow
async def secure_workflow(ctx: ExecutionContext):
    await secure_task()
    return await key_preview()


if __name__ == "__main__":
    result = secure_workflow.run()
    if not result.has_succeeded:
        print(f"Failed: {result.output}")
        print('Set the secret first: flux secrets set API_KEY "your-api-key-value"')
        sys.exit(1)
    print(f"API_KEY: {result.output}")
    # Secret values are given to the task only; they are never written to the event log.
    for event in result.events:
        print(f"{event.type}: {event.value}")
