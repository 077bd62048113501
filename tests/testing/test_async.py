"""The harness from async tests: `async with`, the `*_async` methods, and the sync API."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

from flux import ExecutionContext, task, workflow
from flux.tasks import sleep
from flux.testing import harness

START = datetime(2030, 6, 1, tzinfo=UTC)


@task
async def greet(name: str) -> str:
    return f"hello {name}"


@workflow
async def slow_greeting(ctx: ExecutionContext[str]) -> str:
    await sleep(timedelta(hours=6))
    return await greet(ctx.input)


async def test_async_variant_uses_virtual_time() -> None:
    started = time.perf_counter()
    async with harness(start=START) as h:
        result = await h.run_async(slow_greeting, "ada")
        assert result.output == "hello ada"
        assert result.finished_at == START + timedelta(hours=6)
        await h.advance_async(timedelta(hours=1))
        assert h.now == START + timedelta(hours=7)
        h.kill_after(task="greet")
        crashed = await h.run_async(slow_greeting, "bob")
        assert crashed.crashed
        assert (await h.recover_async(crashed)).output == "hello bob"
        assert (await h.get_async(crashed.execution_id)).succeeded
        assert await h.settle_async() == []
    assert time.perf_counter() - started < 2


async def test_the_sync_api_also_works_from_async_code() -> None:
    # The call blocks the test's loop while the harness drives its own on another thread.
    with harness(start=START) as h:
        assert h.run(slow_greeting, "grace").output == "hello grace"
    await asyncio.sleep(0)
