"""Workflows uploaded by the acceptance tests. Each step appends a line to $ACCEPTANCE_EFFECTS
(one short write with O_APPEND, atomic across processes), so a test can count side effects."""

import asyncio
import os

from flux import ExecutionContext, task, workflow


def effect(line: str) -> None:
    fd = os.open(os.environ["ACCEPTANCE_EFFECTS"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)


@task
async def step(name: str, seconds: float = 0.0) -> str:
    effect(f"{name}-start")
    await asyncio.sleep(seconds)
    effect(name)
    return name


@workflow
async def three_steps(ctx: ExecutionContext[float]) -> list[str]:
    return [await step("a"), await step("b", ctx.input), await step("c")]


@task
async def record(execution_id: str) -> str:
    effect(execution_id)
    return execution_id


@workflow
async def once(ctx: ExecutionContext[None]) -> str:
    return await record(ctx.execution_id)


@task
async def kill_my_worker() -> None:
    effect("killed")
    os.kill(os.getpid(), 9)


@workflow
async def crash_loop(ctx: ExecutionContext[None]) -> None:
    await kill_my_worker()
