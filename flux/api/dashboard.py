"""HTTP models of the dashboard's read endpoints (`/stats/...`, `/executions/search`,
`/executions/{id}/logs`) and of the events of `/executions/live`."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from flux.api.models import WorkerView
from flux.domain.events import ExecutionState


class RunKind(StrEnum):
    """What a run is, as the dashboard tells them apart."""

    WORKFLOW = "workflow"  # an uploaded Python workflow
    JOB = "job"  # a script job (the built-in flux.job workflow)
    DAG = "dag"  # a JSON DAG workflow


class MinuteBucket(BaseModel):
    minute: datetime = Field(description="the minute's start, UTC")
    completed: int = 0
    failed: int = 0
    cancelled: int = 0


class QueueStats(BaseModel):
    depth: int = Field(description="runs waiting for a worker (SCHEDULED)")
    oldest_queued_at: datetime | None = Field(
        default=None, description="when the longest-waiting queued run was created"
    )
    delayed: int = Field(description="runs waiting for their start time (CREATED, e.g. runAt)")
    next_delayed_at: datetime | None = None


class FleetStats(BaseModel):
    workers: int = Field(description="registered workers")
    connected: int
    healthy: int = Field(description="connected and heard from within 3 lease lifetimes")
    slots: int = Field(description="sum of the healthy workers' max_concurrency")
    busy: int = Field(description="top-level runs a worker holds now")


class UpcomingFire(BaseModel):
    schedule_id: str
    name: str
    workflow: str
    next_fire_at: datetime


class Overview(BaseModel):
    generated_at: datetime
    total: int = Field(description="all executions, subworkflow runs included")
    states: dict[ExecutionState, int] = Field(description="executions per state")
    window_minutes: int
    throughput: list[MinuteBucket] = Field(
        description="runs that ended in each minute of the window, oldest first"
    )
    finished: int = Field(description="runs that ended within the window")
    failed: int = Field(description="of those, how many FAILED")
    failure_rate: float | None = Field(
        default=None, description="failed / finished within the window; null when none ended"
    )
    queue: QueueStats
    fleet: FleetStats
    upcoming: list[UpcomingFire] = Field(description="the next schedule fires, soonest first")


class ExecutionSummary(BaseModel):
    execution_id: str
    workflow_name: str
    kind: RunKind
    state: ExecutionState
    created_at: datetime
    updated_at: datetime
    worker_name: str | None = None
    parent_execution_id: str | None = None
    attempts: int = 0
    error: str | None = None


class ExecutionPage(BaseModel):
    count: int = Field(description="all executions matching the filters")
    limit: int
    executions: list[ExecutionSummary]
    next_cursor: str | None = Field(
        default=None, description="pass as `cursor` for the next (older) page; null at the end"
    )


class HeldRun(BaseModel):
    execution_id: str
    workflow_name: str
    state: ExecutionState
    since: datetime = Field(description="its last update")


class WorkerStatus(WorkerView):
    healthy: bool = Field(description="connected and heard from within 3 lease lifetimes")
    seconds_since_seen: float
    running: list[HeldRun] = Field(description="top-level runs it holds now")


class StepLog(BaseModel):
    step_id: str
    text: str
    updated_at: datetime


class ExecutionLogs(BaseModel):
    execution_id: str
    steps: list[StepLog] = Field(description="output shipped while steps ran, by step id")


class LiveEvent(BaseModel):
    """One `execution` event of `GET /executions/live`."""

    execution_id: str
    workflow: str
    state: ExecutionState
    updated_at: datetime
    created_at: datetime
    parent_execution_id: str | None = None
    worker: str | None = None
