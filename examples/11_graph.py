"""Advanced Usage, "Graph-based Task Composition" (flux-core README 0.4.8).

Run: python examples/11_graph.py
"""
# The document's code is kept verbatim, so its import order is not sorted.
# ruff: noqa: I001

# The document's snippet does not import these; it needs them.
from flux import ExecutionContext, task, workflow

# fmt: off
from flux.tasks import Graph

@task
async def get_name(input: str) -> str:
    return input

@task
async def say_hello(name: str) -> str:
    return f"Hello, {name}"

@workflow
async def graph_workflow(ctx: ExecutionContext[str]):
    hello = (
        Graph("hello_world")
        .add_node("get_name", get_name)
        .add_node("say_hello", say_hello)
        .add_edge("get_name", "say_hello")
        .start_with("get_name")
        .end_with("say_hello")
    )
    return await hello(ctx.input)
# fmt: on


if __name__ == "__main__":
    result = graph_workflow.run("World")
    print(result.output)  # Hello, World
    for event in result.events:
        print(f"{event.type}: {event.name} {event.value}")
