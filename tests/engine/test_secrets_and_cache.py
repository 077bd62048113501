"""Engine behaviours found while writing `examples/`: secrets fetched inside the task's
policies, failed lookups recorded for replay, fallback answers never cached."""

from __future__ import annotations

from typing import Any

from flux import ExecutionContext, ExecutionEventType, pause, task, workflow
from flux.local_runtime import local_engine, run_sync

E = ExecutionEventType


def save_secret(name: str, value: Any) -> None:
    async def save() -> None:
        await (await local_engine()).services.secrets.save(name, value)

    run_sync(save())


@task.with_options(secret_requests=["NOT_SET"], fallback=lambda: "fallback result")
async def needs_missing_secret(secrets: dict[str, Any] = {}) -> str:  # noqa: B006
    return secrets["NOT_SET"]


@workflow
async def missing_secret_with_fallback(ctx: ExecutionContext) -> str:
    return await needs_missing_secret()


def test_a_missing_secret_is_a_task_failure_that_the_fallback_handles() -> None:
    # flux-core fetches the secrets inside the task's try block, so a missing secret goes
    # through retries, fallback and rollback like any other failure of the task.
    ctx = missing_secret_with_fallback.run()
    assert ctx.has_succeeded, ctx.output
    assert ctx.output == "fallback result"
    assert E.TASK_FALLBACK_COMPLETED in [e.type for e in ctx.events]


@task.with_options(secret_requests=["SET_LATER"])
async def needs_late_secret(secrets: dict[str, Any] = {}) -> str:  # noqa: B006
    return f"got {secrets['SET_LATER']}"


@workflow
async def decides_on_a_secret(ctx: ExecutionContext) -> str:
    try:
        decision = await needs_late_secret()
    except Exception as error:
        decision = f"no secret: {error}"
    await pause("after_decision")
    return decision


def test_a_failed_secret_lookup_is_recorded_so_a_resume_replays_the_same_branch() -> None:
    paused = decides_on_a_secret.run()
    assert paused.is_paused
    started = [e for e in paused.events if e.type is E.TASK_STARTED]
    failed = [e for e in paused.events if e.type is E.TASK_FAILED]
    assert len(started) == 1
    assert len(failed) == 1, "the step's failure is not in the log"

    save_secret("SET_LATER", "value")
    resumed = decides_on_a_secret.resume(paused.execution_id, "go")
    # The original run took the `except` branch; a replay must not run the step again.
    assert resumed.output == "no secret: secret(s) not found: SET_LATER"
    assert len([e for e in resumed.events if e.type is E.TASK_STARTED]) == 1


service_up = {"value": False}


@task.with_options(cache=True, fallback=lambda key: f"fallback for {key}")
async def fetch_price(key: str) -> str:
    if not service_up["value"]:
        raise ConnectionError("price service unavailable")
    return f"live price for {key}"


@workflow
async def prices(ctx: ExecutionContext[str]) -> str:
    return await fetch_price(ctx.input)


def test_a_fallback_result_is_not_cached() -> None:
    # flux-core caches a task's own result only; a degraded fallback answer cached with
    # `cache=True` (no expiry) would be returned forever, even once the service is back.
    service_up["value"] = False
    assert prices.run("AAPL").output == "fallback for AAPL"
    service_up["value"] = True
    assert prices.run("AAPL").output == "live price for AAPL"
