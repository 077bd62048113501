"""HTTP models of JSON DAG workflows (`POST /workflows/submit`, `GET /workflows/runs/{id}`),
in the job platform's camelCase shape."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from flux.api.jobs import CamelModel, JobAttempt


class DagSubmitted(CamelModel):
    success: bool = True
    workflow_id: str = Field(description="the DAG's name in the workflow catalog")
    version: str
    run_id: str | None = Field(default=None, description="the run started now (no cron)")
    schedule_id: str | None = Field(default=None, description="with `cron`: its schedule")
    next_fire_at: datetime | None = Field(default=None, description="with `cron`: first run")


class DagNodeView(CamelModel):
    id: str
    job_name: str
    runtime: str
    dependencies: list[str]
    state: str = Field(description="PENDING, RUNNING, COMPLETED, FAILED, SKIPPED, CANCELLED")
    output: Any = None
    exit_code: int | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    logs: str = ""
    attempts: list[JobAttempt] = Field(default_factory=list)


class DagRunView(CamelModel):
    run_id: str
    workflow_id: str
    state: str
    input: Any = None
    output: Any = None
    error: str | None = None
    created_at: datetime
    updated_at: datetime
    nodes: list[DagNodeView]


class DagRunEnvelope(CamelModel):
    success: bool = True
    run: DagRunView
