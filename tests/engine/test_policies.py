"""Retries, timeout, fallback, rollback, cache, metadata and secrets on tasks."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from flux import ExecutionContext, ExecutionEventType, task, workflow
from flux.decorators import TaskMetadata
from flux.errors import ExecutionTimeoutError, RetryError, SecretNotFoundError
from flux.local_runtime import local_engine, run_sync

E = ExecutionEventType
attempts: dict[str, int] = {}


def _bump(key: str) -> int:
    attempts[key] = attempts.get(key, 0) + 1
    return attempts[key]


@task.with_options(retry_max_attempts=3, retry_delay=0.01, retry_backoff=2)
async def flaky(key: str) -> str:
    if _bump(key) < 3:
        raise ConnectionError(f"attempt {attempts[key]} failed")
    return "ok"


@workflow
async def retry_workflow(ctx: ExecutionContext[str]) -> str:
    return await flaky(ctx.input)


@task.with_options(retry_max_attempts=2, retry_delay=0.01)
async def always_fails(key: str) -> None:
    _bump(key)
    raise ConnectionError("down")


@workflow
async def exhausted_workflow(ctx: ExecutionContext[str]) -> None:
    await always_fails(ctx.input)


@task.with_options(timeout=0.05)
async def slow() -> None:
    await asyncio.sleep(5)


@workflow
async def timeout_workflow(ctx: ExecutionContext[None]) -> None:
    await slow()


@task.with_options(fallback=lambda: "fallback result")
async def risky_task() -> str:
    raise RuntimeError("primary failed")


@workflow
async def fallback_workflow(ctx: ExecutionContext[None]) -> str:
    return await risky_task()


rolled_back: list[str] = []


async def cleanup(item: str) -> None:
    rolled_back.append(item)


@task.with_options(rollback=cleanup)
async def charge(item: str) -> None:
    raise RuntimeError(f"cannot charge {item}")


@workflow
async def rollback_workflow(ctx: ExecutionContext[str]) -> None:
    await charge(ctx.input)


@task.with_options(cache=True)
async def expensive(x: int) -> int:
    _bump(f"expensive-{x}")
    return x * 10


@task.with_options(cache=0.2)
async def short_lived(x: int) -> int:
    _bump(f"short-{x}")
    return x


@workflow
async def cache_workflow(ctx: ExecutionContext[int]) -> list[int]:
    return [await expensive(ctx.input), await short_lived(ctx.input)]


@task.with_options(name="named_task", metadata=True)
async def metadata_aware_task(data: str, metadata: TaskMetadata) -> dict[str, str]:
    return {"id": metadata.task_id, "name": metadata.task_name, "data": data}


@workflow
async def metadata_workflow(ctx: ExecutionContext[str]) -> dict[str, str]:
    return await metadata_aware_task(ctx.input)


@task.with_options(secret_requests=["API_KEY"])
async def secure_task(secrets: dict[str, Any] = {}) -> int:  # noqa: B006 - flux-core signature
    return len(secrets["API_KEY"])


@workflow
async def secret_workflow(ctx: ExecutionContext[None]) -> int:
    return await secure_task()


def test_retries_until_success() -> None:
    key = f"r1-{uuid.uuid4()}"
    ctx = retry_workflow.run(key)
    assert ctx.output == "ok" and attempts[key] == 3
    types = [e.type for e in ctx.events]
    assert types.count(E.TASK_RETRY_STARTED) == 2
    assert types.count(E.TASK_RETRY_FAILED) == 1
    assert types.count(E.TASK_RETRY_COMPLETED) == 1


def test_retries_exhausted() -> None:
    key = f"r2-{uuid.uuid4()}"
    ctx = exhausted_workflow.run(key)
    assert ctx.has_failed and attempts[key] == 3
    assert isinstance(ctx.output, RetryError)
    assert isinstance(ctx.output.inner_exception, ConnectionError)
    stored = exhausted_workflow.get(ctx.execution_id).output
    assert isinstance(stored, RetryError) and stored.attempts == 2
    assert str(stored) == str(ctx.output)


def test_timeout() -> None:
    ctx = timeout_workflow.run()
    assert ctx.has_failed
    assert isinstance(ctx.output, ExecutionTimeoutError)
    assert "timed out after 0.05s" in str(ctx.output)


def test_fallback() -> None:
    ctx = fallback_workflow.run()
    assert ctx.output == "fallback result"
    types = [e.type for e in ctx.events]
    assert E.TASK_FALLBACK_STARTED in types and E.TASK_FALLBACK_COMPLETED in types


def test_rollback_runs_on_failure() -> None:
    order = f"order-{uuid.uuid4()}"
    ctx = rollback_workflow.run(order)
    assert ctx.has_failed and rolled_back.count(order) == 1
    types = [e.type for e in ctx.events]
    assert types.index(E.TASK_ROLLBACK_STARTED) < types.index(E.TASK_ROLLBACK_COMPLETED)
    assert types[-2:] == [E.TASK_FAILED, E.WORKFLOW_FAILED]


def test_cache_across_runs_and_ttl() -> None:
    x = uuid.uuid4().int % 10**9
    assert cache_workflow.run(x).output == [x * 10, x]
    assert cache_workflow.run(x).output == [x * 10, x]
    assert attempts[f"expensive-{x}"] == 1
    assert attempts[f"short-{x}"] == 1
    time.sleep(0.25)
    cache_workflow.run(x)
    assert attempts[f"expensive-{x}"] == 1
    assert attempts[f"short-{x}"] == 2


def test_metadata() -> None:
    out = metadata_workflow.run("d").output
    assert out == {"id": "0", "name": "named_task", "data": "d"}


def test_secrets_are_given_and_never_recorded() -> None:
    async def save() -> None:
        engine = await local_engine()
        await engine.services.secrets.save("API_KEY", "s3cr3t-value-123")  # type: ignore[attr-defined]

    run_sync(save())
    ctx = secret_workflow.run()
    assert ctx.output == len("s3cr3t-value-123")
    assert "s3cr3t-value-123" not in ctx.to_json()


def test_missing_secret_fails_with_its_name() -> None:
    async def remove() -> None:
        engine = await local_engine()
        await engine.services.secrets.remove("API_KEY")  # type: ignore[attr-defined]

    run_sync(remove())
    ctx = secret_workflow.run()
    assert ctx.has_failed and isinstance(ctx.output, SecretNotFoundError)
    assert "API_KEY" in str(ctx.output)
