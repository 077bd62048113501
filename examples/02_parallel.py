"""Quick Start 2, "Parallel Task Execution" (flux-core README 0.2.7 and 0.4.8).

Run: python examples/02_parallel.py
"""
# The document's code is kept verbatim, so its import order is not sorted.
# ruff: noqa: I001

# fmt: off
from flux import task, workflow, ExecutionContext
from flux.tasks import parallel

@task
async def say_hi(name: str):
    return f"Hi, {name}"

@task
async def say_hello(name: str):
    return f"Hello, {name}"

@task
async def say_hola(name: str):
    return f"Hola, {name}"

@workflow
async def parallel_workflow(ctx: ExecutionContext[str]):
    results = await parallel(
        say_hi(ctx.input),
        say_hello(ctx.input),
        say_hola(ctx.input)
    )
    return results
# fmt: on


if __name__ == "__main__":
    result = parallel_workflow.run("World")
    print(result.output)  # ['Hi, World', 'Hello, World', 'Hola, World']
