"""Pure values of the engine: events, states, resource requests, schedules. No I/O here."""

from flux.domain.events import ExecutionEvent, ExecutionEventType, ExecutionState
from flux.domain.execution_context import ExecutionContext
from flux.domain.resource_request import ResourceRequest

__all__ = [
    "ExecutionContext",
    "ExecutionEvent",
    "ExecutionEventType",
    "ExecutionState",
    "ResourceRequest",
]
