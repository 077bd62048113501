"""Fault injection into task steps, and the record of every task body the harness ran.

`Faults` is the engine's `StepHooks` under a harness: the task runner hands it each step
that really runs (replayed steps never reach it), and it wraps the step's body so that every
attempt passes through here. Rules pick steps by step id (`step="2"`, `step="1.0"`), by task
name (`task="charge"`), or both, optionally only on some attempts (1-based, counted per run of
the step, so a step re-run after a crash starts again at 1) and at most `times` times.
"""

from __future__ import annotations

import asyncio
import copy
import inspect
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from flux.engine.clock import Clock
from flux.testing.process import SimulatedProcess

FaultKind = Literal["fail", "delay", "kill_before", "kill_after"]


@dataclass(slots=True)
class Call:
    """One attempt of a task body, as the harness saw it (across runs and recoveries)."""

    execution_id: str
    step_id: str
    task: str
    attempt: int
    started_at: datetime
    finished_at: datetime | None = None
    error: BaseException | None = None
    injected: bool = False  # the error came from a `fail` rule; the body did not run

    @property
    def succeeded(self) -> bool:
        return self.finished_at is not None and self.error is None


@dataclass(slots=True)
class Fault:
    kind: FaultKind
    task: str | None
    step: str | None
    attempts: frozenset[int] | None
    times: int | None
    error: BaseException | type[BaseException] | None = None
    seconds: float = 0.0
    fired: int = 0

    def applies(self, step_id: str, task: str, attempt: int | None) -> bool:
        if self.times is not None and self.fired >= self.times:
            return False
        if self.step is not None and self.step != step_id:
            return False
        if self.task is not None and self.task != task:
            return False
        return attempt is None or self.attempts is None or attempt in self.attempts

    def make_error(self, call: Call) -> BaseException:
        error = self.error
        if isinstance(error, BaseException):
            # A copy per raise: re-raising one instance would keep growing its traceback.
            try:
                return copy.copy(error)
            except Exception:
                return error
        assert error is not None
        return error(
            f"injected by flux.testing: step {call.step_id} ({call.task}), attempt {call.attempt}"
        )


class Faults:
    def __init__(self, clock: Clock, process: SimulatedProcess):
        self._clock = clock
        self._process = process
        self.rules: list[Fault] = []
        self.calls: list[Call] = []

    # Declaring faults

    def fail(
        self,
        error: BaseException | type[BaseException] = RuntimeError,
        *,
        task: str | None = None,
        step: str | int | None = None,
        attempt: int | Iterable[int] | None = None,
        times: int | None = None,
    ) -> Fault:
        """Make matching attempts raise `error` (an exception or an exception class)
        instead of running the task body. Retries, fallback and rollback then apply as if
        the body had raised it."""
        if not (
            isinstance(error, Exception)
            or (isinstance(error, type) and issubclass(error, Exception))
        ):
            raise TypeError(f"fail() needs an Exception instance or class, not {error!r}")
        return self._add(Fault("fail", *_target(task, step, attempt, times), error=error))

    def delay(
        self,
        seconds: float,
        *,
        task: str | None = None,
        step: str | int | None = None,
        attempt: int | Iterable[int] | None = None,
        times: int | None = None,
    ) -> Fault:
        """Make matching attempts wait `seconds` of virtual time before the body runs (the
        wait counts against the task's timeout)."""
        if seconds < 0:
            raise ValueError("delay() needs seconds >= 0")
        return self._add(Fault("delay", *_target(task, step, attempt, times), seconds=seconds))

    def kill_before(
        self,
        *,
        task: str | None = None,
        step: str | int | None = None,
        attempt: int | Iterable[int] | None = None,
        times: int | None = 1,
    ) -> Fault:
        """Crash the process as a matching attempt is about to run its body: the step was in
        flight, so a recovery runs it again."""
        return self._add(Fault("kill_before", *_target(task, step, attempt, times)))

    def kill_after(
        self, *, task: str | None = None, step: str | int | None = None, times: int | None = 1
    ) -> Fault:
        """Crash the process once a matching step's outcome is durable, before the workflow
        sees it: a recovery replays the step without running it."""
        return self._add(Fault("kill_after", *_target(task, step, None, times)))

    def clear(self) -> None:
        self.rules.clear()

    def _add(self, fault: Fault) -> Fault:
        self.rules.append(fault)
        return fault

    # What was run

    def calls_of(
        self,
        task: str | None = None,
        *,
        step: str | int | None = None,
        execution_id: str | None = None,
    ) -> list[Call]:
        wanted_step = None if step is None else str(step)
        return [
            call
            for call in self.calls
            if task in (None, call.task)
            and wanted_step in (None, call.step_id)
            and execution_id in (None, call.execution_id)
        ]

    # The engine's StepHooks

    def wrap_body(
        self, execution_id: str, step_id: str, task_name: str, func: Callable[..., Any]
    ) -> Callable[..., Any]:
        numbers = itertools.count(1)

        async def attempt(*args: Any, **kwargs: Any) -> Any:
            await self._process.check_alive()
            number = next(numbers)
            await self._kill_before(step_id, task_name, number)
            call = Call(execution_id, step_id, task_name, number, self._clock.utcnow())
            self.calls.append(call)
            try:
                await self._inject(call)
                result = func(*args, **kwargs)
                if inspect.isawaitable(result):
                    result = await result
            except BaseException as exc:
                call.error = exc
                raise
            finally:
                call.finished_at = self._clock.utcnow()
            return result

        return attempt

    async def after_step(
        self, execution_id: str, step_id: str, task_name: str, failed: bool
    ) -> None:
        for fault in self.rules:
            if fault.kind == "kill_after" and fault.applies(step_id, task_name, None):
                fault.fired += 1
                outcome = "failed" if failed else "completed"
                await self._process.crash(f"killed after step {step_id} ({task_name}) {outcome}")

    async def _kill_before(self, step_id: str, task_name: str, number: int) -> None:
        for fault in self.rules:
            if fault.kind == "kill_before" and fault.applies(step_id, task_name, number):
                fault.fired += 1
                await self._process.crash(
                    f"killed before step {step_id} ({task_name}), attempt {number}"
                )

    async def _inject(self, call: Call) -> None:
        for fault in self.rules:
            if fault.kind not in ("fail", "delay"):
                continue
            if not fault.applies(call.step_id, call.task, call.attempt):
                continue
            fault.fired += 1
            if fault.kind == "delay":
                await asyncio.sleep(fault.seconds)
            else:
                call.injected = True
                raise fault.make_error(call)


def _target(
    task: str | None,
    step: str | int | None,
    attempt: int | Iterable[int] | None,
    times: int | None,
) -> tuple[str | None, str | None, frozenset[int] | None, int | None]:
    if task is None and step is None:
        raise ValueError("a fault needs task= (a task name) or step= (a step id), or both")
    if times is not None and times < 1:
        raise ValueError("times must be >= 1 (or None for every match)")
    attempts = None
    if attempt is not None:
        attempts = frozenset([attempt] if isinstance(attempt, int) else attempt)
        if not attempts or min(attempts) < 1:
            raise ValueError("attempts are numbered from 1")
    return task, None if step is None else str(step), attempts, times
