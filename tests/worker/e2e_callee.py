"""Uploaded by the end-to-end tests as a file of its own: `caller` reaches it by name."""

from flux import ExecutionContext, task, workflow


@task
async def square(x: int) -> int:
    return x * x


@workflow
async def callee(ctx: ExecutionContext[int]):
    return await square(ctx.input)
