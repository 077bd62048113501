"""The event log vocabulary. Names match flux-core so existing user code that inspects
`ctx.events` keeps working."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class ExecutionState(StrEnum):
    CREATED = "CREATED"
    SCHEDULED = "SCHEDULED"
    CLAIMED = "CLAIMED"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    RESUMING = "RESUMING"
    CANCELLING = "CANCELLING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL_STATES


# The states a run never leaves: what retention may delete, what counts as "ended".
FINISHED_STATES = (ExecutionState.COMPLETED, ExecutionState.FAILED, ExecutionState.CANCELLED)
_TERMINAL_STATES = frozenset(FINISHED_STATES)


class ExecutionEventType(StrEnum):
    WORKFLOW_SCHEDULED = "WORKFLOW_SCHEDULED"
    WORKFLOW_CLAIMED = "WORKFLOW_CLAIMED"
    WORKFLOW_STARTED = "WORKFLOW_STARTED"
    WORKFLOW_COMPLETED = "WORKFLOW_COMPLETED"
    WORKFLOW_FAILED = "WORKFLOW_FAILED"
    WORKFLOW_PAUSED = "WORKFLOW_PAUSED"
    WORKFLOW_RESUMING = "WORKFLOW_RESUMING"
    WORKFLOW_RESUMED = "WORKFLOW_RESUMED"
    WORKFLOW_CANCELLING = "WORKFLOW_CANCELLING"
    WORKFLOW_CANCELLED = "WORKFLOW_CANCELLED"

    TASK_STARTED = "TASK_STARTED"
    TASK_COMPLETED = "TASK_COMPLETED"
    TASK_FAILED = "TASK_FAILED"
    TASK_PAUSED = "TASK_PAUSED"
    TASK_RESUMED = "TASK_RESUMED"
    TASK_PROGRESS = "TASK_PROGRESS"

    TASK_RETRY_STARTED = "TASK_RETRY_STARTED"
    TASK_RETRY_COMPLETED = "TASK_RETRY_COMPLETED"
    TASK_RETRY_FAILED = "TASK_RETRY_FAILED"

    TASK_FALLBACK_STARTED = "TASK_FALLBACK_STARTED"
    TASK_FALLBACK_COMPLETED = "TASK_FALLBACK_COMPLETED"
    TASK_FALLBACK_FAILED = "TASK_FALLBACK_FAILED"

    TASK_ROLLBACK_STARTED = "TASK_ROLLBACK_STARTED"
    TASK_ROLLBACK_COMPLETED = "TASK_ROLLBACK_COMPLETED"
    TASK_ROLLBACK_FAILED = "TASK_ROLLBACK_FAILED"

    @property
    def is_workflow_event(self) -> bool:
        return self.value.startswith("WORKFLOW_")


# The workflow-level event that ends a run, mapped to the state it leaves the run in.
TERMINAL_EVENT_STATES: dict[ExecutionEventType, ExecutionState] = {
    ExecutionEventType.WORKFLOW_COMPLETED: ExecutionState.COMPLETED,
    ExecutionEventType.WORKFLOW_FAILED: ExecutionState.FAILED,
    ExecutionEventType.WORKFLOW_CANCELLED: ExecutionState.CANCELLED,
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_event_id() -> str:
    # 64 random bits: unique within an execution's log, and 10x cheaper than uuid4().
    return os.urandom(8).hex()


@dataclass(slots=True)
class ExecutionEvent:
    """One entry of an execution's append-only log.

    `source_id` names the step (or the execution, for WORKFLOW_* events) that produced it;
    `value` is the step's input, output or exception, depending on `type`.
    """

    type: ExecutionEventType
    source_id: str
    name: str
    value: Any = None
    time: datetime = field(default_factory=utcnow)
    id: str = field(default_factory=new_event_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type.value,
            "source_id": self.source_id,
            "name": self.name,
            "value": self.value,
            "time": self.time.isoformat(),
        }
