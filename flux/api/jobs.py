"""HTTP models of script jobs (`/jobs`), in the job platform's shape: camelCase fields and a
`success` flag beside the payload, as its clients expect."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class CamelModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class JobState(StrEnum):
    PENDING = "PENDING"  # waiting for its runAt or for a worker
    RUNNING = "RUNNING"  # an attempt runs, or the next one waits for its backoff
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class JobAttempt(CamelModel):
    attempt: int = Field(description="1 for the first run, 2 for the first retry, ...")
    state: JobState = Field(description="RUNNING while it runs, then COMPLETED or FAILED")
    started_at: datetime
    finished_at: datetime | None = None
    exit_code: int | None = None
    signal: int | None = None
    reason: str | None = Field(
        default=None, description="why it failed: exit code, out of memory, timed out, ..."
    )
    limit: str | None = Field(
        default=None,
        description="the limit that killed it: memory, wall_time, cpu_time, processes, output",
    )
    logs: str = Field(default="", description="standard output and error, interleaved")
    sandbox: str | None = None
    runtime: str | None = Field(default=None, description="what ran, e.g. 'node 20.20.2'")
    usage: dict[str, float] = Field(default_factory=dict)
    enforced: dict[str, str] = Field(
        default_factory=dict, description="each limit and what enforced it on the worker"
    )
    output: Any = Field(default=None, description="what the attempt returned")


class JobView(CamelModel):
    job_id: str
    name: str
    type: str
    runtime: str
    state: JobState
    execution_state: str = Field(description="the state of the underlying execution")
    exit_code: int | None = Field(default=None, description="of the last finished attempt")
    run_at: datetime | None = None
    created_at: datetime
    updated_at: datetime
    max_retries: int = 0
    dependencies: list[str] = Field(default_factory=list)
    payload: Any = None
    output: Any = Field(default=None, description="the job's output once COMPLETED")
    error: str | None = None
    logs: str = Field(default="", description="logs of the last attempt (live while running)")
    attempts: list[JobAttempt] = Field(default_factory=list)
    worker_name: str | None = None


class JobSummary(CamelModel):
    job_id: str
    name: str
    type: str
    runtime: str
    state: JobState
    execution_state: str
    run_at: datetime | None = None
    created_at: datetime
    updated_at: datetime
    worker_name: str | None = None


class JobEnvelope(CamelModel):
    success: bool = True
    job: JobView


class JobSubmitted(CamelModel):
    success: bool = True
    job_id: str
    state: JobState
    run_at: datetime | None = None
    replayed: bool = Field(
        default=False, description="the job an earlier request with this Idempotency-Key made"
    )


class JobList(CamelModel):
    success: bool = True
    count: int = Field(description="all jobs matching the filters, not just this page")
    limit: int
    offset: int
    jobs: list[JobSummary]
