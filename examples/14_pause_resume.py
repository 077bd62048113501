"""Workflow Patterns, "Pause and Resume: create workflow pause points with input data for
human approval or external triggers" (flux-core README 0.4.8 lists the feature without code).

`await pause(name, output)` stops the run and shows `output` to whoever looks at it; the run
is saved, so it can be resumed later, from another process, with
`workflow.resume(execution_id, input)`; `pause(...)` then returns that input.

Run: python examples/14_pause_resume.py
"""

from flux import ExecutionContext, pause, task, workflow

charged: list[str] = []


@task
async def prepare_order(order_id: str) -> dict:
    return {"order_id": order_id, "total": 125.0}


@task
async def charge(order: dict) -> str:
    charged.append(order["order_id"])
    return f"charged {order['total']:.2f} for {order['order_id']}"


@workflow
async def order_approval(ctx: ExecutionContext[str]):
    order = await prepare_order(ctx.input)
    decision = await pause("manager_approval", output=order)
    if not decision.get("approved"):
        return f"rejected by {decision['by']}"
    return await charge(order)


if __name__ == "__main__":
    ctx = order_approval.run("A-1001")
    print(f"Paused: {ctx.is_paused}")  # True
    print(f"Waiting for approval of: {ctx.output}")  # the pause point's output

    ctx = order_approval.resume(ctx.execution_id, {"approved": True, "by": "maria"})
    print(f"Succeeded: {ctx.has_succeeded}")
    print(f"Output: {ctx.output}")  # charged 125.00 for A-1001

    rejected = order_approval.run("A-1002")
    rejected = order_approval.resume(rejected.execution_id, {"approved": False, "by": "maria"})
    print(f"Output: {rejected.output}")  # rejected by maria
    print(f"Orders charged: {charged}")  # ['A-1001']
