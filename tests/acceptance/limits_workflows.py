"""Workflows uploaded by the limits acceptance tests. Each run records when its step began
and ended (wall-clock seconds, one clock: every process runs on this machine), so a test
can count how many ran at once."""

import asyncio
import time

from flux import ExecutionContext, task, workflow


@task
async def hold(seconds: float) -> list[float]:
    began = time.time()
    await asyncio.sleep(seconds)
    return [began, time.time()]


@workflow.with_options(concurrency=2)
async def two_at_once(ctx: ExecutionContext[float]) -> list[float]:
    return await hold(ctx.input)


@workflow.with_options(concurrency=1)
async def one_at_once(ctx: ExecutionContext[float]) -> list[float]:
    return await hold(ctx.input)
