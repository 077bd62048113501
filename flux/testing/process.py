"""The process a harness stands in for, and how it crashes.

A kill fault must leave what a real crash leaves: the event log exactly as last written, and
nothing more of the dead process's code having any effect. Inside one Python process that
rules out raising an exception at the kill point (the workflow's handlers, task rollbacks
and `finally` blocks would run, and parallel branches would carry on) and cancelling the run
(rollbacks and the engine's WORKFLOW_CANCELLED record would run).

So a crash freezes instead. Every task alive at that moment belongs to the dead generation of
the process; each stops for good at its next durable write or task attempt, awaiting a
future that nothing resolves. The harness then "restarts" the process: what the test does
next runs in a new generation, whose writes go through.

When the harness closes, that future fails with `SimulatedCrash`, a BaseException that no
`except Exception` (the engine's or the workflow's) takes for a task failure, so the frozen
tasks unwind without recording anything.
"""

from __future__ import annotations

import asyncio
from contextvars import ContextVar
from typing import NoReturn

# The generation of the process a task belongs to; tasks inherit it from their creator.
_generation: ContextVar[int | None] = ContextVar("flux_testing_generation", default=None)


class SimulatedCrash(BaseException):
    """Unwinds the frozen tasks of a crashed (simulated) process when the harness closes."""


class SimulatedProcess:
    def __init__(self) -> None:
        self.generation = 0
        self._doom: asyncio.Future[None] | None = None
        self._watch: asyncio.Future[str] | None = None

    def enter(self, generation: int | None = None) -> None:
        """Make the calling task, and the tasks it creates from now on, part of the
        process of `generation` (default: the live one)."""
        _generation.set(self.generation if generation is None else generation)

    @property
    def is_dead_here(self) -> bool:
        """Whether the calling code belongs to a process that has crashed."""
        generation = _generation.get()
        return generation is not None and generation != self.generation

    def watch(self) -> asyncio.Future[str]:
        """A future resolved with the reason when the process next crashes."""
        self._watch = asyncio.get_running_loop().create_future()
        return self._watch

    async def crash(self, reason: str) -> NoReturn:
        """Kill the process here: the caller and every task alive now freeze."""
        if not self.is_dead_here:
            self.generation += 1
            if self._watch is not None and not self._watch.done():
                self._watch.set_result(reason)
        await self.freeze()

    async def check_alive(self) -> None:
        """Where a dead process's task stops: before a write or a task attempt."""
        if self.is_dead_here:
            await self.freeze()

    async def freeze(self) -> NoReturn:
        if self._doom is None:
            self._doom = asyncio.get_running_loop().create_future()
        await self._doom
        raise SimulatedCrash("unreachable: the doom future only ever fails")

    def release(self) -> None:
        """Unwind the frozen tasks (the harness is closing)."""
        if self._doom is None:
            self._doom = asyncio.get_running_loop().create_future()
        if not self._doom.done():
            self._doom.set_exception(
                SimulatedCrash("the harness closed; this task belonged to a crashed process")
            )
            # Marks the exception as seen, as no frozen task may be left to await it.
            self._doom.exception()
