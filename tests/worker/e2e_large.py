"""Workflows with large outputs for the end-to-end tests (uploaded to a real server, never
imported by the tests)."""

import asyncio
import os

from flux import ExecutionContext, pause, task, workflow


def _note(path: str, line: str) -> None:
    with open(path, "a") as file:
        file.write(f"{line} {os.getpid()}\n")


@task
async def big_text(marker: str, size: int) -> str:
    return (marker * (size // len(marker) + 1))[:size]


@workflow
async def large_report(ctx: ExecutionContext[dict]):
    text = await big_text(ctx.input["marker"], ctx.input["size"])
    return {"size": len(text), "text": text}


@task
async def noted_big_text(path: str, marker: str, size: int) -> str:
    _note(path, "big")
    return (marker * (size // len(marker) + 1))[:size]


@task
async def wait_for(path: str, gate: str) -> str:
    _note(path, "waiting")
    while not os.path.exists(gate):
        await asyncio.sleep(0.005)
    return "open"


@workflow
async def large_then_gate(ctx: ExecutionContext[dict]):
    paths = ctx.input
    text = await noted_big_text(paths["effects"], paths["marker"], 3 * 1024 * 1024)
    await wait_for(paths["effects"], paths["gate"])
    return {"size": len(text), "head": text[:32]}


@workflow
async def large_then_pause(ctx: ExecutionContext[str]):
    text = await big_text(ctx.input, 1024 * 1024)
    answer = await pause("approve")
    return f"{len(text)} {answer}"
