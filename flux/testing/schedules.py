"""Schedules inside a harness: a small in-process stand-in for the server's scheduler.

The fire times come from the same pure functions the server uses
(`flux.domain.schedule_times`), so what fires here at a virtual instant is what the server
would fire then. Policies are reduced to what matters without an outage: `overlap` ("skip"
records a fire time as skipped while the schedule's previous run has not finished, "allow"
starts a run beside it). Catch-up never applies, because the harness's scheduler cannot be
down: it fires each time as virtual time reaches it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from flux.domain.schedule import Schedule
from flux.domain.schedule_times import next_fire, preview
from flux.engine.engine import WorkflowDefinition

Overlap = Literal["skip", "allow"]


@dataclass(frozen=True, slots=True)
class Fire:
    """One fire time of a schedule and the run it started (None when skipped)."""

    at: datetime
    execution_id: str | None

    @property
    def skipped(self) -> bool:
        return self.execution_id is None


class ScheduledWorkflow:
    """A workflow on a schedule in a harness; `fires` grows as virtual time passes."""

    def __init__(
        self,
        workflow: WorkflowDefinition,
        schedule: Schedule,
        input: Any,
        overlap: Overlap,
        anchor: datetime,
    ):
        if overlap not in ("skip", "allow"):
            raise ValueError(f"overlap must be 'skip' or 'allow', not {overlap!r}")
        self.workflow = workflow
        self.schedule = schedule
        self.input = input
        self.overlap: Overlap = overlap
        self.anchor = anchor
        self.fires: list[Fire] = []
        self.next_fire_at: datetime | None = next_fire(schedule, anchor, anchor=anchor)

    @property
    def name(self) -> str:
        return self.workflow.name

    @property
    def execution_ids(self) -> list[str]:
        return [fire.execution_id for fire in self.fires if fire.execution_id is not None]

    @property
    def last_execution_id(self) -> str | None:
        ids = self.execution_ids
        return ids[-1] if ids else None

    def take_due(self, now: datetime) -> datetime | None:
        """The next fire time if it has come (moving on to the one after), else None."""
        at = self.next_fire_at
        if at is None or at > now:
            return None
        self.next_fire_at = next_fire(self.schedule, at, anchor=self.anchor)
        return at

    def __repr__(self) -> str:
        return (
            f"ScheduledWorkflow({self.name!r}, {self.schedule.describe()}, "
            f"fires={len(self.fires)}, next={self.next_fire_at})"
        )


def fire_times(
    schedule: Schedule, count: int, *, after: datetime, anchor: datetime | None = None
) -> list[datetime]:
    """The next `count` fire times of `schedule` strictly after `after`, in UTC, as the
    server computes them. An interval counts from `anchor` (default: `after`)."""
    return preview(schedule, after, count, anchor=after if anchor is None else anchor)
