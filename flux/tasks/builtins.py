"""Built-in tasks whose values are recorded, so a replay sees the same time, ids and draws."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TypeVar

from flux.engine.clock import SYSTEM_CLOCK, Clock
from flux.engine.runtime import active_run
from flux.task import task

T = TypeVar("T")


def _clock() -> Clock:
    # The run's clock (virtual under flux.testing); outside any run, the machine's.
    run = active_run()
    return SYSTEM_CLOCK if run is None else run.services.clock


@task.with_options(name="now")
async def now() -> datetime:
    # Naive local time, as flux-core's `datetime.now()`, read from the run's clock.
    return datetime.fromtimestamp(_clock().time())


@task.with_options(name="uuid4")
async def uuid4() -> uuid.UUID:
    return uuid.uuid4()


@task.with_options(name="choice")
async def choice(options: Sequence[T]) -> T:
    return random.choice(options)


@task.with_options(name="randint")
async def randint(a: int, b: int) -> int:
    return random.randint(a, b)


@task.with_options(name="randrange")
async def randrange(start: int, stop: int | None = None, step: int = 1) -> int:
    return random.randrange(start, stop, step)


@task.with_options(name="sleep_deadline")
async def _sleep_deadline(seconds: float) -> float:
    return _clock().time() + seconds


@task.with_options(name="sleep")
async def _sleep_until(deadline: float) -> None:
    await asyncio.sleep(max(0.0, deadline - _clock().time()))


async def sleep(duration: float | timedelta) -> None:
    """Durable sleep: the wake-up time is recorded first, so a run resumed after a crash
    sleeps only what is left, and a finished sleep is not slept again on replay."""
    seconds = duration.total_seconds() if isinstance(duration, timedelta) else float(duration)
    if seconds < 0:
        raise ValueError("sleep duration must be >= 0")
    if active_run() is None:
        await asyncio.sleep(seconds)
        return
    deadline = await _sleep_deadline(seconds)
    await _sleep_until(deadline)


__all__ = ["choice", "now", "randint", "randrange", "sleep", "uuid4"]
