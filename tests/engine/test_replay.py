"""Pause/resume, replay of recorded values, nondeterminism detection, cancellation."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from typing import Any

import pytest

from flux import ExecutionContext, ExecutionEventType, ExecutionState, task, workflow
from flux.errors import ExecutionStateError, NondeterminismError
from flux.tasks import now, pause, randint, sleep, uuid4

E = ExecutionEventType
runs: dict[str, int] = {}


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@task
async def record(name: str) -> str:
    runs[name] = runs.get(name, 0) + 1
    return name


@workflow
async def approval(ctx: ExecutionContext[str]) -> dict[str, Any]:
    before = {"time": await now(), "id": await uuid4(), "n": await randint(1, 10**9)}
    await record(f"before-{ctx.input}")
    decision = await pause("wait_for_approval")
    await record(f"after-{ctx.input}")
    return {"before": before, "decision": decision}


def test_pause_then_resume_returns_the_input_and_replays_values() -> None:
    key = _unique("p1")
    ctx = approval.run(key)
    assert ctx.is_paused and not ctx.has_finished
    assert ctx.state is ExecutionState.PAUSED
    recorded = {e.name: e.value for e in ctx.events if e.type is E.TASK_COMPLETED}
    resumed = approval.resume(ctx.execution_id, {"approved": True})
    assert resumed.has_succeeded
    out = resumed.output
    assert out["decision"] == {"approved": True}
    assert out["before"] == {
        "time": recorded["now"],
        "id": recorded["uuid4"],
        "n": recorded["randint"],
    }
    assert runs[f"before-{key}"] == 1 and runs[f"after-{key}"] == 1
    types = [e.type for e in resumed.events]
    assert E.WORKFLOW_PAUSED in types and E.WORKFLOW_RESUMED in types


def test_run_with_execution_id_of_a_paused_run_keeps_it_paused() -> None:
    key = _unique("p2")
    ctx = approval.run(key)
    again = approval.run(execution_id=ctx.execution_id)
    assert again.is_paused and runs[f"before-{key}"] == 1


def test_resume_twice_is_refused() -> None:
    ctx = approval.run("p3")
    approval.resume(ctx.execution_id, "yes")
    with pytest.raises(ExecutionStateError):
        approval.resume(ctx.execution_id, "again")


def _changed_approval() -> Any:
    @workflow.with_options(name="approval")
    async def approval_v2(ctx: ExecutionContext[str]) -> Any:
        await record("a-different-first-step")
        return await pause("wait_for_approval")

    return approval_v2


def test_changed_code_under_a_recorded_run_raises_nondeterminism() -> None:
    ctx = approval.run("p4")
    changed = _changed_approval()
    try:
        with pytest.raises(NondeterminismError) as info:
            changed.resume(ctx.execution_id, "go")
    finally:
        workflow(approval._func, name="approval")  # restore the registry entry
    assert info.value.step_id == "0"
    assert "'now'" in str(info.value) and "'record'" in str(info.value)
    # The refused resume left the run as recorded: the original code can still finish it.
    assert approval.get(ctx.execution_id).is_paused
    finished = approval.resume(ctx.execution_id, "go")
    assert finished.has_succeeded and finished.output["decision"] == "go"


@workflow
async def sleeper(ctx: ExecutionContext[float]) -> str:
    await sleep(ctx.input)
    return await pause("after-sleep")


def test_durable_sleep_is_not_slept_again_on_resume() -> None:
    started = time.monotonic()
    ctx = sleeper.run(1.0)
    assert time.monotonic() - started >= 1.0
    resumed_at = time.monotonic()
    done = sleeper.resume(ctx.execution_id, "woke")
    assert done.output == "woke"
    assert time.monotonic() - resumed_at < 0.9
    sleeps = [e for e in done.events if e.type is E.TASK_STARTED and e.name == "sleep"]
    assert len(sleeps) == 1


started_event = threading.Event()


async def undo(label: str) -> None:
    runs[f"undo-{label}"] = runs.get(f"undo-{label}", 0) + 1


@task.with_options(rollback=undo)
async def long_step(label: str) -> None:
    started_event.set()
    await asyncio.sleep(30)


@workflow
async def cancellable(ctx: ExecutionContext[str]) -> str:
    try:
        await long_step(ctx.input)
    except asyncio.CancelledError:
        runs["cleanup"] = runs.get("cleanup", 0) + 1
        raise
    return "not cancelled"


def test_cancel_a_live_run_from_another_thread() -> None:
    started_event.clear()
    key = _unique("c1")
    result: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: result.update(ctx=cancellable.run(key)))
    thread.start()
    assert started_event.wait(10)
    execution_id = _only_running_execution("cancellable")
    cancelled = cancellable.cancel(execution_id)
    thread.join(10)
    ctx = result["ctx"]
    assert ctx.is_cancelled and cancelled.is_cancelled
    assert ctx.events[-1].type is E.WORKFLOW_CANCELLED
    assert runs[f"undo-{key}"] == 1 and runs["cleanup"] >= 1


def _only_running_execution(name: str) -> str:
    from flux.local_runtime import local_engine, run_sync

    async def find() -> str:
        store = (await local_engine()).services.store
        rows = await store.list_executions(workflow_name=name, state=ExecutionState.RUNNING)
        assert len(rows) == 1
        return rows[0].execution_id

    return run_sync(find())


def test_cancel_a_paused_run() -> None:
    ctx = approval.run("p5")
    cancelled = approval.cancel(ctx.execution_id)
    assert cancelled.is_cancelled
    with pytest.raises(ExecutionStateError):
        approval.cancel(ctx.execution_id)
