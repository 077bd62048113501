"""Advanced Usage, "Workflow Control / State Management" (flux-core README 0.4.8; the 0.2.7
one is the same without the Cancelled/Paused lines).

In the document `workflow` stands for a workflow object and "previous_execution_id" for the id
of an earlier run. Here a hello-world workflow runs first, and its id is the previous one.

Run: python examples/05_state_management.py
"""

from flux import ExecutionContext, task, workflow


@task
async def say_hello(name: str) -> str:
    return f"Hello, {name}"


@workflow
async def hello_world(ctx: ExecutionContext[str]):
    return await say_hello(ctx.input)


if __name__ == "__main__":
    previous = hello_world.run("World")
    previous_execution_id = previous.execution_id
    workflow = hello_world

    # The document's code, with the placeholder string replaced by the variable above.
    # fmt: off
    # Resume existing workflow execution
    ctx = workflow.run(execution_id=previous_execution_id)

    # Check workflow state
    print(f"Finished: {ctx.has_finished}")
    print(f"Succeeded: {ctx.has_succeeded}")
    print(f"Failed: {ctx.has_failed}")
    print(f"Cancelled: {ctx.is_cancelled}")
    print(f"Paused: {ctx.is_paused}")

    # Inspect workflow events
    for event in ctx.events:
        print(f"{event.type}: {event.value}")
    # fmt: on

    print(f"Output: {ctx.output}")
