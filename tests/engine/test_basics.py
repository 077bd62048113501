"""The flux-core quick-start behaviours, run locally."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from flux import ExecutionContext, ExecutionEventType, ExecutionState, task, workflow
from flux.errors import (
    ExecutionNotFoundError,
    ExecutionStateError,
    SerializationError,
    WorkflowMismatchError,
)
from flux.tasks import parallel, pipeline

E = ExecutionEventType
calls: dict[str, int] = {}


def _count(name: str) -> None:
    calls[name] = calls.get(name, 0) + 1


@task
async def say_hello(name: str) -> str:
    _count("say_hello")
    return f"Hello, {name}"


@workflow
async def hello_world(ctx: ExecutionContext[str]) -> str:
    return await say_hello(ctx.input)


@task
async def double(x: int) -> int:
    return x * 2


@task
async def add_three(x: int) -> int:
    return x + 3


@task
async def square(x: int) -> int:
    return x * x


@workflow
async def pipeline_workflow(ctx: ExecutionContext[int]) -> int:
    return await pipeline(double, add_three, square, input=ctx.input)


@workflow
async def parallel_workflow(ctx: ExecutionContext[str]) -> list[str]:
    return await parallel(say_hello(ctx.input), double(2), say_hello("again"))


@task
async def upper(item: str) -> str:
    return item.upper()


@workflow
async def map_workflow(ctx: ExecutionContext[list[str]]) -> list[str]:
    return await upper.map(ctx.input)


@task
async def explode(message: str) -> None:
    raise ValueError(message)


@workflow
async def failing_workflow(ctx: ExecutionContext[str]) -> None:
    await explode(ctx.input)


@task
async def make_lock() -> Any:
    return threading.Lock()


@workflow
async def unserializable_workflow(ctx: ExecutionContext[None]) -> Any:
    return await make_lock()


def test_hello_world_returns_output_and_events() -> None:
    ctx = hello_world.run("World")
    assert ctx.output == "Hello, World"
    assert ctx.has_finished and ctx.has_succeeded and not ctx.has_failed
    assert not ctx.is_paused and not ctx.is_cancelled
    assert ctx.state is ExecutionState.COMPLETED
    assert [e.type for e in ctx.events] == [
        E.WORKFLOW_STARTED,
        E.TASK_STARTED,
        E.TASK_COMPLETED,
        E.WORKFLOW_COMPLETED,
    ]
    assert ctx.events[2].value == "Hello, World"


def test_finished_run_is_returned_without_running_again() -> None:
    first = hello_world.run("Ada")
    before = calls.get("say_hello", 0)
    again = hello_world.run(execution_id=first.execution_id)
    assert again.output == "Hello, Ada"
    assert calls.get("say_hello", 0) == before
    assert [e.id for e in again.events] == [e.id for e in first.events]


def test_pipeline_parallel_and_map() -> None:
    assert pipeline_workflow.run(2).output == 49
    assert parallel_workflow.run("Bo").output == ["Hello, Bo", 4, "Hello, again"]
    assert map_workflow.run(["a", "b", "c"]).output == ["A", "B", "C"]


def test_failure_records_the_exception_object() -> None:
    ctx = failing_workflow.run("boom")
    assert ctx.has_failed and ctx.has_finished and not ctx.has_succeeded
    last = ctx.events[-1]
    assert last.type is E.WORKFLOW_FAILED
    assert isinstance(last.value, ValueError) and str(last.value) == "boom"
    assert ctx.output is last.value
    stored = failing_workflow.get(ctx.execution_id)
    assert isinstance(stored.output, ValueError) and str(stored.output) == "boom"


def test_unserializable_output_fails_the_step_clearly() -> None:
    ctx = unserializable_workflow.run()
    assert ctx.has_failed
    assert isinstance(ctx.output, SerializationError)
    assert "the output of task 'make_lock'" in str(ctx.output)
    failed = [e for e in ctx.events if e.type is E.TASK_FAILED]
    assert len(failed) == 1


def test_unknown_execution_id() -> None:
    with pytest.raises(ExecutionNotFoundError, match="'nope' not found"):
        hello_world.run(execution_id="nope")


def test_resuming_a_finished_run_is_refused() -> None:
    ctx = hello_world.run("x")
    with pytest.raises(ExecutionStateError, match=r"cannot resume .* COMPLETED"):
        hello_world.resume(ctx.execution_id, "more")


def test_execution_id_of_another_workflow_is_refused() -> None:
    ctx = hello_world.run("x")
    with pytest.raises(WorkflowMismatchError):
        map_workflow.run(execution_id=ctx.execution_id)


def test_to_json_is_json() -> None:
    ctx = hello_world.run("J")
    data = json.loads(ctx.to_json())
    assert data["execution_id"] == ctx.execution_id
    assert data["state"] == "COMPLETED"
    assert data["output"] == "Hello, J"
    assert next(e["type"] for e in data["events"]) == "WORKFLOW_STARTED"
