"""Quick Start 3, "Pipeline Processing" (flux-core README 0.2.7 and 0.4.8).

Run: python examples/03_pipeline.py
"""
# The document's code is kept verbatim, so its import order is not sorted.
# ruff: noqa: I001

# fmt: off
from flux import task, workflow, ExecutionContext
from flux.tasks import pipeline

@task
async def multiply_by_two(x):
    return x * 2

@task
async def add_three(x):
    return x + 3

@task
async def square(x):
    return x * x

@workflow
async def pipeline_workflow(ctx: ExecutionContext[int]):
    result = await pipeline(
        multiply_by_two,
        add_three,
        square,
        input=ctx.input
    )
    return result
# fmt: on


if __name__ == "__main__":
    for number in (2, 5):
        result = pipeline_workflow.run(number)
        print(f"pipeline({number}) = {result.output}")  # (2 * 2 + 3) ** 2 = 49; 5 gives 169
