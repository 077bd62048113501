"""What a test sees of a run: its state, output, events, and each step with its attempts.

Everything here is read from the run's event log, so it shows what a recovery would see:
what was durable. (`Harness.calls` shows the other side: every task body actually run.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flux.domain.events import ExecutionEvent, ExecutionEventType, ExecutionState
from flux.domain.execution_context import ExecutionContext
from flux.engine.engine import WorkflowDefinition

_E = ExecutionEventType
_S = ExecutionState


@dataclass(slots=True)
class Attempt:
    number: int
    started_at: datetime
    # Known when the log recorded it: a failed retry's error, or the step's final error for
    # its last attempt. A first attempt followed by a retry failed, but its error is not
    # recorded (see `Harness.calls` for every error).
    error: BaseException | None = None


@dataclass(slots=True)
class StepRecord:
    """One task step (or subworkflow call) of a run, by step id: "0", "1", "1.0", ..."""

    step_id: str
    name: str
    input: Any = None
    status: str = "running"  # running, completed or failed
    output: Any = None
    error: BaseException | None = None
    attempts: list[Attempt] = field(default_factory=list)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    used_fallback: bool = False
    rolled_back: bool = False
    events: list[ExecutionEvent] = field(default_factory=list)

    @property
    def retries(self) -> int:
        return max(0, len(self.attempts) - 1)

    @property
    def completed(self) -> bool:
        return self.status == "completed"

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    def _add(self, event: ExecutionEvent) -> None:
        self.events.append(event)
        kind, value = event.type, event.value
        if kind in (_E.TASK_STARTED, _E.TASK_RETRY_STARTED):
            # A second TASK_STARTED means the step was in flight at a crash and ran again.
            if self.started_at is None:
                self.started_at, self.input = event.time, value
            self.attempts.append(Attempt(len(self.attempts) + 1, event.time))
        elif kind is _E.TASK_RETRY_FAILED and self.attempts and isinstance(value, dict):
            self.attempts[-1].error = value.get("error")
        elif kind is _E.TASK_COMPLETED:
            self.status, self.output, self.finished_at = "completed", value, event.time
        elif kind is _E.TASK_FAILED:
            self.status, self.finished_at = "failed", event.time
            self.error = value if isinstance(value, BaseException) else None
            if self.attempts and self.attempts[-1].error is None:
                self.attempts[-1].error = self.error
        elif kind is _E.TASK_FALLBACK_COMPLETED:
            self.used_fallback = True
        elif kind in (_E.TASK_ROLLBACK_COMPLETED, _E.TASK_ROLLBACK_FAILED):
            self.rolled_back = True


def steps_of(events: list[ExecutionEvent]) -> list[StepRecord]:
    """The task steps of a log, in the order they started. Pause points and progress
    reports take step ids too, but are not task steps and are left out."""
    steps: dict[str, StepRecord] = {}
    for event in events:
        if event.type.is_workflow_event:
            continue
        step = steps.get(event.source_id)
        if step is None:
            if event.type is not _E.TASK_STARTED:
                continue
            step = steps[event.source_id] = StepRecord(event.source_id, event.name)
        step._add(event)
    return list(steps.values())


@dataclass(frozen=True)
class RunResult:
    """A run as recorded, plus whether the simulated process crashed under it."""

    context: ExecutionContext[Any]
    workflow: WorkflowDefinition
    crashed: bool = False

    @property
    def execution_id(self) -> str:
        return self.context.execution_id

    @property
    def state(self) -> ExecutionState:
        return self.context.state

    @property
    def input(self) -> Any:
        return self.context.input

    @property
    def output(self) -> Any:
        """The result of a completed run, the exception of a failed one, the pause point's
        output of a paused one."""
        return self.context.output

    @property
    def events(self) -> list[ExecutionEvent]:
        return self.context.events

    @property
    def event_types(self) -> list[ExecutionEventType]:
        return [event.type for event in self.context.events]

    @property
    def succeeded(self) -> bool:
        return self.state is _S.COMPLETED

    @property
    def failed(self) -> bool:
        return self.state is _S.FAILED

    @property
    def paused(self) -> bool:
        return self.state is _S.PAUSED

    @property
    def finished(self) -> bool:
        return self.state.is_terminal

    @property
    def error(self) -> BaseException | None:
        output = self.context.output
        return output if self.failed and isinstance(output, BaseException) else None

    @property
    def started_at(self) -> datetime | None:
        events = self.context.events
        return events[0].time if events else None

    @property
    def finished_at(self) -> datetime | None:
        for event in reversed(self.context.events):
            if event.type in (_E.WORKFLOW_COMPLETED, _E.WORKFLOW_FAILED, _E.WORKFLOW_CANCELLED):
                return event.time
        return None

    @property
    def duration(self) -> timedelta | None:
        """Virtual time from the run's first event to its end (None while not finished)."""
        start, end = self.started_at, self.finished_at
        return None if start is None or end is None else end - start

    @property
    def steps(self) -> list[StepRecord]:
        return steps_of(self.context.events)

    def steps_named(self, name: str) -> list[StepRecord]:
        return [step for step in self.steps if step.name == name]

    def step(self, key: str | int) -> StepRecord:
        """A step by its id ("2", or 2), else by task name when that task ran in one step."""
        steps = self.steps
        for step in steps:
            if step.step_id == str(key):
                return step
        named = [step for step in steps if step.name == key]
        if len(named) == 1:
            return named[0]
        if named:
            ids = ", ".join(step.step_id for step in named)
            raise KeyError(f"task '{key}' ran in steps {ids}: ask for one by its step id")
        known = ", ".join(f"{step.step_id} ({step.name})" for step in steps) or "none"
        raise KeyError(f"no step '{key}' in execution {self.execution_id}; steps: {known}")

    def __repr__(self) -> str:
        crashed = ", crashed" if self.crashed else ""
        return (
            f"RunResult({self.context.workflow_name!r}, {self.execution_id!r}, "
            f"{self.state.value}{crashed})"
        )
