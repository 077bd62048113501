"""Flux: durable workflows in Python, and sandboxed script jobs, on one engine."""

from flux.domain.events import ExecutionEvent, ExecutionEventType, ExecutionState
from flux.domain.execution_context import ExecutionContext
from flux.domain.resource_request import ResourceRequest
from flux.domain.schedule import cron, interval, once
from flux.domain.task_metadata import TaskMetadata
from flux.task import task
from flux.tasks import Graph, call, parallel, pause, pipeline
from flux.workflow import workflow

__version__ = "0.1.0"

__all__ = [
    "ExecutionContext",
    "ExecutionEvent",
    "ExecutionEventType",
    "ExecutionState",
    "Graph",
    "ResourceRequest",
    "TaskMetadata",
    "call",
    "cron",
    "interval",
    "once",
    "parallel",
    "pause",
    "pipeline",
    "task",
    "workflow",
]
