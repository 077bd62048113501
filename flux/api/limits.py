"""HTTP models of `GET /limits`: each limit's capacity, who holds its slots, who waits."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from flux.domain.events import ExecutionState


class LimitHolder(BaseModel):
    execution_id: str
    workflow_name: str | None = Field(default=None, description="None once the run is deleted")
    state: ExecutionState | None = None
    slot: int = Field(description="the slot number, below the limit's capacity")
    since: datetime = Field(description="when the run took the slot (a start, for a rate)")
    until: datetime | None = Field(
        default=None, description="rate limits: when this start stops counting"
    )


class LimitView(BaseModel):
    kind: Literal["concurrency", "rate"]
    key: str = Field(
        description="the workflow's name, or name[field=value] for a limit per input value"
    )
    workflow_name: str
    capacity: int = Field(description="runs at once (concurrency) or starts per period (rate)")
    period_seconds: float | None = Field(default=None, description="rate limits: the period")
    rate: str | None = Field(default=None, description="rate limits, as written: '10/m'")
    in_use: int = Field(description="slots held now (rate: starts within the last period)")
    available: int = Field(description="runs it would admit now")
    holders: list[LimitHolder] = Field(default_factory=list)
    waiting: int = Field(description="queued runs under this limit")
    next_free_at: datetime | None = Field(
        default=None, description="rate limits: when the next slot frees, if none is free"
    )


class WorkflowLimits(BaseModel):
    """What a workflow's latest upload declares."""

    workflow_name: str
    priority: int = 0
    concurrency: int | None = None
    concurrency_key: str | None = None
    rate_limit: str | None = None
    rate_limit_key: str | None = None


class LimitList(BaseModel):
    limits: list[LimitView] = Field(description="by kind, then key")
    workflows: list[WorkflowLimits] = Field(
        default_factory=list, description="workflows with limits or a priority, by name"
    )
