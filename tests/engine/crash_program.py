"""A workflow run in its own process by test_crash.py, which SIGKILLs it mid-run.

Usage: python crash_program.py start | python crash_program.py resume EXECUTION_ID
Each step appends its name to $EFFECTS_FILE; the `gate` step blocks while $BLOCK_AT_GATE=1.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from flux import ExecutionContext, task, workflow

EFFECTS = Path(os.environ["EFFECTS_FILE"])


def effect(name: str) -> None:
    with EFFECTS.open("a") as f:
        f.write(name + "\n")
        f.flush()
        os.fsync(f.fileno())


@task
async def step(name: str) -> str:
    effect(name)
    return name.upper()


@task
async def gate() -> None:
    if os.environ.get("BLOCK_AT_GATE") == "1":
        Path(os.environ["READY_FILE"]).write_text("ready")
        await asyncio.sleep(120)


@workflow
async def crashy(ctx: ExecutionContext[None]) -> list[str]:
    Path(os.environ["ID_FILE"]).write_text(ctx.execution_id)
    out = [await step("a"), await step("b")]
    await gate()
    out.append(await step("c"))
    return out


if __name__ == "__main__":
    ctx = crashy.run() if sys.argv[1] == "start" else crashy.run(execution_id=sys.argv[2])
    print(json.dumps({"state": ctx.state.value, "output": ctx.output}))
