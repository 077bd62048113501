"""P3, P4 and P7 workflows, uploaded to a running server (both engines, unchanged).

The benchmark itself runs in the suite process and talks HTTP; this file only defines the
workflows. Workers execute it, so it must not do anything at import.

``recover`` records each step in a side-effect file given in its input, one line per step
start: ``<step> <worker> <unix time>``. The worker label comes from ``BENCH_WORKER``, which
the suite sets in each worker's environment (and which engines pass on to any process they
run workflow code in). The suite reads that file to find the worker to kill, to time the
restart of step 2 elsewhere, and to count how often each step ran.
"""

import asyncio
import os
import time
from pathlib import Path

from flux import ExecutionContext, task, workflow


@task
async def greet(name: str) -> str:
    return f"Hello, {name}"


@workflow
async def hello(ctx: ExecutionContext[str]):
    return await greet(ctx.input)


# P4's runs: the same as hello under another name, so that they can be counted apart.
@workflow
async def trivial(ctx: ExecutionContext[str]):
    return await greet(ctx.input)


def record(log: str, step: str) -> list[str]:
    """Append this step's start to the side-effect file; return the lines before it."""
    path = Path(log)
    before = path.read_text().splitlines() if path.exists() else []
    worker = os.environ.get("BENCH_WORKER", "unknown")
    # One short write per line on a local file: appends from two workers don't interleave.
    with path.open("a") as out:
        out.write(f"{step} {worker} {time.time():.6f}\n")
    return before


@task
async def first_step(log: str) -> int:
    record(log, "step1")
    return 1


@task
async def slow_step(log: str, sleep_s: float) -> int:
    before = record(log, "step2")
    # Only the first attempt is slow: it is the one that gets its worker killed, and the
    # attempt on the surviving worker should finish at once.
    if not any(line.startswith("step2 ") for line in before):
        await asyncio.sleep(sleep_s)
    return 2


@task
async def last_step(log: str) -> int:
    record(log, "step3")
    return 3


@workflow
async def recover(ctx: ExecutionContext[dict]):
    log, sleep_s = ctx.input["log"], ctx.input["sleep_s"]
    first = await first_step(log)
    second = await slow_step(log, sleep_s)
    third = await last_step(log)
    return [first, second, third]
