"""HTTP models of the public API (workflows, executions, secrets).

Values (inputs, outputs, event values) appear as JSON: the server decodes stored values with
a restricted decoder that never imports user code, and shows what it cannot decode as a
string placeholder.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from flux.domain.events import ExecutionState


class WorkflowInfo(BaseModel):
    name: str
    version: str = Field(description="sha256 of the uploaded file, hex")
    filename: str | None = None
    created_at: datetime
    secret_requests: list[str] = Field(default_factory=list)
    requests: dict[str, Any] | None = Field(
        default=None, description="ResourceRequest given with workflow.with_options(requests=...)"
    )
    schedule: dict[str, Any] | None = None
    limits: dict[str, Any] | None = Field(
        default=None,
        description="concurrency, concurrency_key, rate_limit, rate_limit_key as declared",
    )
    priority: int = Field(default=0, description="the default priority of its runs")


class WorkflowDetail(WorkflowInfo):
    versions: list[str] = Field(default_factory=list, description="newest first")
    source: str | None = None


class EventView(BaseModel):
    id: str
    type: str
    source_id: str
    name: str
    value: Any = None
    time: datetime


class ExecutionView(BaseModel):
    execution_id: str
    workflow_name: str
    workflow_version: str | None = None
    state: ExecutionState
    input: Any = None
    output: Any = None
    error: str | None = Field(default=None, description="why a FAILED run failed, as text")
    worker_name: str | None = None
    parent_execution_id: str | None = None
    rerun_of: str | None = Field(
        default=None,
        description="the execution this one reruns (POST /executions/{id}/rerun); read from "
        "the run's first event, so shown when the view is read with its events "
        "(detailed=true) and in the answer of the rerun request",
    )
    attempts: int = Field(default=0, description="times a worker claimed this execution")
    pending_reason: str | None = Field(
        default=None, description="why a queued run is not running yet (e.g. no worker fits)"
    )
    priority: int = Field(default=0, description="queued runs with a higher one start first")
    limit_keys: list[str] = Field(
        default_factory=list,
        description="the limits it is admitted under, as 'concurrency:<key>' / 'rate:<key>'",
    )
    created_at: datetime
    updated_at: datetime
    events: list[EventView] | None = Field(default=None, description="only with detailed=true")


class ExecutionList(BaseModel):
    count: int = Field(description="all executions matching the filters, not just this page")
    limit: int
    offset: int
    executions: list[ExecutionView]


class SecretValue(BaseModel):
    name: str = Field(min_length=1, max_length=255)
    value: Any


class ErrorResponse(BaseModel):
    detail: str


class WorkerView(BaseModel):
    name: str
    status: str = Field(
        description="'connected' while its event stream is open, 'disconnected' after"
    )
    resources: dict[str, Any] = Field(description="last report: cpu, memory, disk, gpus")
    packages: int = Field(description="how many Python packages it reported")
    python_version: str
    platform: str
    max_concurrency: int
    registered_at: datetime
    last_seen_at: datetime
