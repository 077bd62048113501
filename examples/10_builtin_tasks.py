"""Advanced Usage, "Built-in Tasks" (flux-core README 0.4.8; 0.2.7 imports fewer names).

The workflow stops at `pause("wait_for_approval")`; `resume` finishes it. Values drawn before
the pause (time, choice, number, id) are recorded, so the resumed run returns the same ones.

Run: python examples/10_builtin_tasks.py
"""
# The document's code is kept verbatim: it imports parallel, pipeline and Graph unused.
# ruff: noqa: F401, I001

# The document's snippet does not import these; it needs them.
from flux import ExecutionContext, workflow

# fmt: off
from flux.tasks import now, sleep, uuid4, choice, randint, pause, parallel, pipeline, Graph

@workflow
async def built_in_tasks_example(ctx: ExecutionContext):
    # Time operations
    start_time = await now()
    await sleep(2.5)  # Sleep for 2.5 seconds

    # Random operations
    random_choice = await choice(['option1', 'option2', 'option3'])
    random_number = await randint(1, 100)

    # UUID generation
    unique_id = await uuid4()

    # Workflow pause points
    await pause("wait_for_approval")

    return {
        'start_time': start_time,
        'choice': random_choice,
        'number': random_number,
        'id': str(unique_id)
    }
# fmt: on


if __name__ == "__main__":
    paused = built_in_tasks_example.run()
    print(f"Paused: {paused.is_paused}")  # True, at "wait_for_approval"
    paused_at = next(e.value for e in reversed(paused.events) if e.type == "WORKFLOW_PAUSED")
    print(f"Paused at: {paused_at['name']}")
    drawn = {e.name: e.value for e in paused.events if e.type == "TASK_COMPLETED"}

    ctx = built_in_tasks_example.resume(paused.execution_id, {"approved": True})
    print(f"Succeeded: {ctx.has_succeeded}")
    for key, value in ctx.output.items():
        print(f"{key}: {value}")
    same = (ctx.output["start_time"], ctx.output["number"]) == (drawn["now"], drawn["randint"])
    print(f"Same values as before the pause: {same}")
