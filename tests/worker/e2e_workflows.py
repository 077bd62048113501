"""Workflows the end-to-end tests upload to a real server (never imported by the tests)."""

import asyncio
import os

from flux import ExecutionContext, ResourceRequest, call, pause, task, workflow


def _note(path: str, line: str) -> None:
    with open(path, "a") as file:
        file.write(f"{line} {os.getpid()}\n")


@task
async def effect(path: str, name: str) -> str:
    _note(path, name)
    return name


@task
async def gated(path: str, gate: str, name: str) -> str:
    _note(path, f"{name}-started")
    while not os.path.exists(gate):
        await asyncio.sleep(0.005)
    _note(path, f"{name}-done")
    return name


@workflow
async def steps(ctx: ExecutionContext[dict]):
    paths = ctx.input
    a = await effect(paths["effects"], "a")
    b = await effect(paths["effects"], "b")
    c = await gated(paths["effects"], paths["gate"], "c")
    d = await effect(paths["effects"], "d")
    return [a, b, c, d]


@task
async def greet(name: str) -> str:
    return f"hello {name}"


@workflow
async def hello(ctx: ExecutionContext[str]):
    return await greet(ctx.input)


@task
async def nap(seconds: float) -> float:
    await asyncio.sleep(seconds)
    return seconds


@workflow
async def sleeper(ctx: ExecutionContext[float]):
    return await nap(ctx.input)


@workflow
async def approval(ctx: ExecutionContext[str]):
    answer = await pause("approve", output=ctx.input)
    return f"{ctx.input}: {answer}"


@workflow.with_options(requests=ResourceRequest(cpu=1000))
async def huge(ctx: ExecutionContext):
    return "never"


@workflow
async def caller(ctx: ExecutionContext[int]):
    return await call("callee", ctx.input) + 1
