"""Graph and subworkflows."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from flux import ExecutionContext, call, task, workflow
from flux.errors import GraphValidationError
from flux.tasks import Graph, pause


@task
async def get_name(input: str) -> str:
    return input


@task
async def say_hello(name: str) -> str:
    return f"Hello, {name}"


@workflow
async def graph_workflow(ctx: ExecutionContext[str]) -> str:
    hello = (
        Graph("hello_world")
        .add_node("get_name", get_name)
        .add_node("say_hello", say_hello)
        .add_edge("get_name", "say_hello")
        .start_with("get_name")
        .end_with("say_hello")
    )
    return await hello(ctx.input)


def test_graph_example() -> None:
    assert graph_workflow.run("Graph").output == "Hello, Graph"


@workflow
async def diamond(ctx: ExecutionContext[int]) -> Any:
    left_started, right_started = asyncio.Event(), asyncio.Event()

    @task
    async def left(x: int) -> int:
        left_started.set()
        await asyncio.wait_for(right_started.wait(), 5)  # only passes if both run at once
        return x + 1

    @task
    async def right(x: int) -> int:
        right_started.set()
        await asyncio.wait_for(left_started.wait(), 5)
        return x + 2

    @task
    async def join(a: int, b: int) -> list[int]:
        return [a, b]

    graph = (
        Graph("diamond")
        .add_node("start", get_name)
        .add_node("left", left)
        .add_node("right", right)
        .add_node("join", join)
        .add_edge("start", "left")
        .add_edge("start", "right")
        .add_edge("left", "join")
        .add_edge("right", "join")
        .start_with("start")
        .end_with("join")
    )
    return await graph(ctx.input)


def test_graph_runs_independent_branches_concurrently() -> None:
    ctx = diamond.run(10)
    assert ctx.has_succeeded, ctx.output
    assert ctx.output == [11, 12]


@workflow
async def conditional(ctx: ExecutionContext[int]) -> Any:
    graph = (
        Graph("conditional")
        .add_node("start", get_name)
        .add_node("big", say_hello)
        .add_node("small", say_hello)
        .add_edge("start", "big", condition=lambda x: x > 10)
        .add_edge("start", "small", condition=lambda x: x <= 10)
        .start_with("start")
        .end_with("big")
    )
    return await graph(ctx.input)


def test_graph_conditional_edges() -> None:
    assert conditional.run(50).output == "Hello, 50"
    assert conditional.run(5).output is None


def test_graph_validation_names_the_cycle() -> None:
    graph = Graph("g").add_node("a", get_name).add_node("b", get_name).add_node("c", get_name)
    graph.add_edge("a", "b").add_edge("b", "c")
    with pytest.raises(GraphValidationError, match=r"cycle: c -> a -> b -> c"):
        graph.add_edge("c", "a")
    with pytest.raises(GraphValidationError, match="self-loop"):
        graph.add_edge("a", "a")
    with pytest.raises(GraphValidationError, match="unknown node 'zz'"):
        graph.add_edge("a", "zz")
    with pytest.raises(GraphValidationError, match="start_with"):
        graph.validate()


child_runs: list[str] = []


@task
async def child_step(x: str) -> str:
    child_runs.append(x)
    return x.upper()


@workflow
async def child(ctx: ExecutionContext[str]) -> str:
    return await child_step(ctx.input)


@workflow
async def parent(ctx: ExecutionContext[str]) -> list[str]:
    first = await call(child, ctx.input)
    second = await call("child", ctx.input + "!")
    decision = await pause("check")
    return [first, second, decision]


def test_subworkflows_are_durable_steps() -> None:
    name = f"sub-{uuid.uuid4().hex[:8]}"
    ctx = parent.run(name)
    assert ctx.is_paused
    assert child_runs.count(name) == 1
    done = parent.resume(ctx.execution_id, "ok")
    assert done.output == [name.upper(), name.upper() + "!", "ok"]
    assert child_runs.count(name) == 1 and child_runs.count(name + "!") == 1
    child_ctx = child.get(f"{ctx.execution_id}-0")
    assert child_ctx.has_succeeded and child_ctx.parent_execution_id == ctx.execution_id


@workflow
async def failing_child(ctx: ExecutionContext[None]) -> None:
    raise KeyError("missing")


@workflow
async def parent_of_failure(ctx: ExecutionContext[None]) -> None:
    await call(failing_child)


def test_subworkflow_failure_fails_the_parent() -> None:
    ctx = parent_of_failure.run()
    assert ctx.has_failed and isinstance(ctx.output, KeyError)
