"""HTTP models of schedules (`/schedules`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class ScheduleCreate(BaseModel):
    """`POST /schedules`: give exactly one of `cron`, `interval_seconds`, `once_at`."""

    name: str = Field(description="unique; the schedule can be addressed by it")
    workflow: str = Field(description="an uploaded workflow, or a built-in such as flux.job")
    input: Any = Field(default=None, description="the input each run gets (JSON)")
    cron: str | None = Field(default=None, description="5 fields, e.g. '0 9 * * 1-5'")
    timezone: str | None = Field(default=None, description="IANA name for cron (default UTC)")
    interval_seconds: float | None = Field(default=None, description="every N seconds")
    once_at: str | None = Field(default=None, description="ISO-8601 time; UTC without offset")
    overlap: str = Field(default="skip", description="skip | allow")
    catchup: str = Field(default="latest", description="skip | latest | all")
    catchup_limit: int = Field(default=100, description="runs started at most by catch-up all")


class SchedulePreviewRequest(BaseModel):
    """`POST /schedules/preview`: the schedule fields of `ScheduleCreate`."""

    cron: str | None = None
    timezone: str | None = None
    interval_seconds: float | None = None
    once_at: str | None = None
    count: int = 10


class ScheduleRun(BaseModel):
    fire_time: datetime
    execution_id: str | None = Field(default=None, description="None when skipped")
    state: str = Field(description="the run's state, or SKIPPED")


class ScheduleView(BaseModel):
    id: str
    name: str
    workflow: str
    input: Any = None
    schedule: dict[str, Any] = Field(description="type cron/interval/once and its fields")
    description: str
    overlap: str
    catchup: str
    catchup_limit: int
    state: str = Field(description="active or paused")
    source: str = Field(
        description="api; workflow (an uploaded workflow's schedule=); dag (a JSON DAG's cron)"
    )
    next_fire_at: datetime | None = Field(default=None, description="None: never again")
    last_fire_at: datetime | None = None
    last_execution_id: str | None = None
    runs_started: int = 0
    runs_skipped: int = 0
    last_error: str | None = None
    created_at: datetime
    updated_at: datetime
    recent_runs: list[ScheduleRun] | None = Field(
        default=None, description="newest first; only in GET /schedules/{id}"
    )


class SchedulePreview(BaseModel):
    schedule: dict[str, Any]
    description: str
    fire_times: list[datetime] = Field(
        description="the next fire times, in the schedule's timezone (UTC if none)"
    )
