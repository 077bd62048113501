"""`ExecutionContext`: what a workflow function receives and what `workflow.run()` returns.

It is a value: the engine appends events to it and sets its state; the properties users know
from flux-core (`has_finished`, `output`, ...) are all derived from the event log.
"""

from __future__ import annotations

import json
import uuid
from contextvars import ContextVar
from typing import Any, Generic, TypeVar

from flux.domain.events import (
    TERMINAL_EVENT_STATES,
    ExecutionEvent,
    ExecutionEventType,
    ExecutionState,
)
from flux.domain.resource_request import ResourceRequest

WorkflowInputType = TypeVar("WorkflowInputType")

_E = ExecutionEventType


class ExecutionContext(Generic[WorkflowInputType]):
    @classmethod
    async def get(cls) -> ExecutionContext[Any]:
        """The context of the run this code is part of (from a task, too)."""
        ctx = _current.get()
        if ctx is None:
            raise RuntimeError("ExecutionContext.get() needs a running workflow")
        return ctx

    def __init__(
        self,
        workflow_name: str,
        input: WorkflowInputType | None = None,
        execution_id: str | None = None,
        state: ExecutionState = ExecutionState.CREATED,
        events: list[ExecutionEvent] | None = None,
        workflow_id: str | None = None,
        requests: ResourceRequest | None = None,
        parent_execution_id: str | None = None,
        workflow_version: str | None = None,
    ):
        self._workflow_name = workflow_name
        self._workflow_id = workflow_id or workflow_name
        self._input = input
        self._execution_id = execution_id or uuid.uuid4().hex
        self._state = state
        self._events: list[ExecutionEvent] = events if events is not None else []
        self._requests = requests
        self._parent_execution_id = parent_execution_id
        self._workflow_version = workflow_version

    # Identity and inputs

    @property
    def execution_id(self) -> str:
        return self._execution_id

    @property
    def workflow_id(self) -> str:
        return self._workflow_id

    @property
    def workflow_name(self) -> str:
        return self._workflow_name

    @property
    def workflow_version(self) -> str | None:
        return self._workflow_version

    @property
    def input(self) -> WorkflowInputType:
        return self._input  # type: ignore[return-value]

    @property
    def requests(self) -> ResourceRequest | None:
        return self._requests

    @property
    def parent_execution_id(self) -> str | None:
        return self._parent_execution_id

    @property
    def events(self) -> list[ExecutionEvent]:
        return self._events

    @property
    def state(self) -> ExecutionState:
        return self._state

    # State derived from the log

    def _last_workflow_event(self) -> ExecutionEvent | None:
        # Task events of a still-running parallel branch may land after the workflow event
        # that ended or paused the run, so lifecycle flags look at WORKFLOW_* events only.
        for event in reversed(self._events):
            if event.type.is_workflow_event:
                return event
        return None

    def _last_is(self, event_type: ExecutionEventType) -> bool:
        last = self._last_workflow_event()
        return last is not None and last.type is event_type

    @property
    def has_started(self) -> bool:
        return any(e.type is _E.WORKFLOW_STARTED for e in self._events)

    @property
    def has_finished(self) -> bool:
        last = self._last_workflow_event()
        return last is not None and last.type in TERMINAL_EVENT_STATES

    @property
    def has_succeeded(self) -> bool:
        return self._last_is(_E.WORKFLOW_COMPLETED)

    @property
    def has_failed(self) -> bool:
        return self._last_is(_E.WORKFLOW_FAILED)

    @property
    def is_paused(self) -> bool:
        return self._last_is(_E.WORKFLOW_PAUSED)

    @property
    def has_resumed(self) -> bool:
        return self._last_is(_E.WORKFLOW_RESUMED)

    @property
    def is_cancelled(self) -> bool:
        return self._last_is(_E.WORKFLOW_CANCELLED)

    @property
    def is_cancelling(self) -> bool:
        return self._state is ExecutionState.CANCELLING

    @property
    def output(self) -> Any:
        """The result of a completed run, the exception of a failed one, the pause point's
        output of a paused one, else None."""
        last = self._last_workflow_event()
        if last is None:
            return None
        if last.type in (_E.WORKFLOW_COMPLETED, _E.WORKFLOW_FAILED):
            return last.value
        if last.type is _E.WORKFLOW_PAUSED and isinstance(last.value, dict):
            return last.value.get("output")
        return None

    # Transitions, used by the engine

    def record(self, event: ExecutionEvent, state: ExecutionState | None = None) -> ExecutionEvent:
        self._events.append(event)
        if state is not None:
            self._state = state
        return event

    def set_state(self, state: ExecutionState) -> None:
        self._state = state

    # Views

    def summary(self) -> dict[str, Any]:
        return {k: v for k, v in self.to_dict().items() if k != "events"}

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.to_json())
        return result

    def to_json(self, indent: int | None = 4) -> str:
        data = {
            "workflow_id": self._workflow_id,
            "workflow_name": self._workflow_name,
            "workflow_version": self._workflow_version,
            "execution_id": self._execution_id,
            "parent_execution_id": self._parent_execution_id,
            "input": self._input,
            "state": self._state.value,
            "output": self.output,
            "requests": self._requests.to_dict() if self._requests else None,
            "events": [e.to_dict() for e in self._events],
        }
        return json.dumps(data, indent=indent, default=_json_fallback)

    def __repr__(self) -> str:
        return (
            f"ExecutionContext(workflow={self._workflow_name!r}, "
            f"execution_id={self._execution_id!r}, state={self._state.value})"
        )


# Set by the engine for the duration of a run; read by ExecutionContext.get().
_current: ContextVar[ExecutionContext[Any] | None] = ContextVar("flux_execution", default=None)


def set_current(ctx: ExecutionContext[Any]) -> None:
    _current.set(ctx)


def _json_fallback(value: Any) -> Any:
    if isinstance(value, BaseException):
        return {"type": type(value).__name__, "message": str(value)}
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
