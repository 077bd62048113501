"""Quick Start 4, "Task Mapping" (flux-core README 0.2.7 and 0.4.8).

Run: python examples/04_map.py
"""

# The document's snippet has no imports; this is the one it needs.
from flux import ExecutionContext, task, workflow


# fmt: off
@task
async def process_item(item: str):
    return item.upper()

@workflow
async def map_workflow(ctx: ExecutionContext[list[str]]):
    results = await process_item.map(ctx.input)
    return results
# fmt: on


if __name__ == "__main__":
    result = map_workflow.run(["apple", "banana", "cherry"])
    print(result.output)  # ['APPLE', 'BANANA', 'CHERRY']
