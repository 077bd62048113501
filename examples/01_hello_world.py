"""Quick Start 1, "Basic Workflow" (flux-core README 0.2.7 and 0.4.8).

The document's code runs the workflow at import time, as a script; it is kept that way.

Run: python examples/01_hello_world.py
"""
# The document's code is kept verbatim, so its import order is not sorted.
# ruff: noqa: I001

# fmt: off
from flux import task, workflow, ExecutionContext

@task
async def say_hello(name: str) -> str:
    return f"Hello, {name}"

@workflow
async def hello_world(ctx: ExecutionContext[str]):
    return await say_hello(ctx.input)

# Execute locally
result = hello_world.run("World")
print(result.output)  # "Hello, World"
# fmt: on


if __name__ == "__main__":
    print(f"Execution ID: {result.execution_id}")
    print(f"Succeeded: {result.has_succeeded}")
