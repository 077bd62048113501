"""Workflow Patterns, "Subworkflows: compose complex workflows from simpler ones" (flux-core
README 0.2.7 and 0.4.8 list the feature without code; this is the flux-core API for it).

`await call(child_workflow, input)` runs the child as one durable step of the parent: the
child is an execution of its own, and a replayed parent does not run it again.

Run: python examples/13_subworkflows.py
"""

from flux import ExecutionContext, call, task, workflow
from flux.tasks import parallel


@task
async def say_hello(name: str) -> str:
    return f"Hello, {name}"


@workflow
async def greet(ctx: ExecutionContext[str]):
    return await say_hello(ctx.input)


@workflow
async def greet_everyone(ctx: ExecutionContext[list[str]]):
    first = await call(greet, ctx.input[0])
    others = await parallel(*(call(greet, name) for name in ctx.input[1:]))
    return [first, *others]


if __name__ == "__main__":
    result = greet_everyone.run(["Ada", "Grace", "Linus"])
    print(result.output)  # ['Hello, Ada', 'Hello, Grace', 'Hello, Linus']
    children = [e.name for e in result.events if e.type == "TASK_COMPLETED"]
    print(f"Child runs: {children}")
    again = greet_everyone.run(execution_id=result.execution_id)
    print(f"Run again by id: {again.output}")
