"""`ScheduleService`: the schedules API without HTTP (create, list, show, pause, resume,
delete, preview) and the schedules of uploaded workflows' `schedule=`.

A request is checked completely before anything is stored; every refusal is a
`ScheduleError` (400) naming the field. Firing is `scheduler.Scheduler`'s job: this module
only sets `next_fire_at` and wakes it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flux.api.schedules import SchedulePreview, ScheduleRun, ScheduleView
from flux.builtin_workflows import is_builtin
from flux.catalog import ParsedWorkflow
from flux.domain.events import ExecutionState
from flux.domain.names import name_problem
from flux.domain.schedule import (
    CronSchedule,
    OnceSchedule,
    Schedule,
    cron,
    interval,
    once,
    schedule_from_dict,
    zone,
)
from flux.domain.schedule_times import next_fire, preview
from flux.errors import ScheduleError, ScheduleExistsError, ScheduleNotFoundError
from flux.orchestrator.scheduler import CATCHUP_POLICIES, OVERLAP_POLICIES, Scheduler
from flux.orchestrator.store import ScheduleRow

logger = logging.getLogger(__name__)
MAX_NAME = 200
MAX_CATCHUP = 1000
MAX_PREVIEW = 1000
RECENT_RUNS = 20
ONCE_SLACK = timedelta(seconds=60)  # a once_at this far in the past is clock skew: now


@dataclass(frozen=True, slots=True)
class ScheduleRequest:
    """A checked `POST /schedules` body."""

    name: str
    workflow: str
    input: Any
    schedule: Schedule
    overlap: str
    catchup: str
    catchup_limit: int


def parse_schedule(body: Mapping[str, Any], now: datetime) -> Schedule:
    """The one schedule of `cron` (+ `timezone`), `interval_seconds` or `once_at`."""
    given = [key for key in ("cron", "interval_seconds", "once_at") if body.get(key) is not None]
    if len(given) != 1:
        raise ScheduleError(
            "give exactly one of 'cron', 'interval_seconds' or 'once_at'"
            + (f" (got {', '.join(given)})" if given else "")
        )
    timezone = body.get("timezone")
    if timezone is not None and given != ["cron"]:
        raise ScheduleError("'timezone' applies to 'cron' only")
    if given == ["cron"]:
        expression = _string(body, "cron")
        return cron(expression, _string(body, "timezone") if timezone is not None else "UTC")
    if given == ["interval_seconds"]:
        seconds = body["interval_seconds"]
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            raise ScheduleError("'interval_seconds' must be a number")
        if not math.isfinite(seconds) or seconds <= 0:
            raise ScheduleError("'interval_seconds' must be a positive number")
        try:
            return interval(seconds=seconds)
        except ValueError as exc:
            raise ScheduleError(f"'interval_seconds': {exc}") from None
    at = _string(body, "once_at")
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        raise ScheduleError(f"'once_at' is not an ISO-8601 date and time: '{at}'") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if moment < now - ONCE_SLACK:
        raise ScheduleError(f"'once_at' {moment.isoformat()} is in the past")
    return once(max(moment, now))


def parse_request(body: Any, now: datetime) -> ScheduleRequest:
    if not isinstance(body, Mapping):
        raise ScheduleError("the request body must be a JSON object")
    name = _string(body, "name")
    problem = name_problem(name, MAX_NAME)
    if problem is not None:
        raise ScheduleError(f"'name' {problem}")
    overlap = body.get("overlap", "skip")
    if overlap not in OVERLAP_POLICIES:
        raise ScheduleError(f"'overlap' must be one of {', '.join(OVERLAP_POLICIES)}")
    catchup = body.get("catchup", "latest")
    if catchup not in CATCHUP_POLICIES:
        raise ScheduleError(f"'catchup' must be one of {', '.join(CATCHUP_POLICIES)}")
    limit = body.get("catchup_limit", 100)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_CATCHUP:
        raise ScheduleError(f"'catchup_limit' must be an integer from 1 to {MAX_CATCHUP}")
    return ScheduleRequest(
        name=name,
        workflow=_string(body, "workflow"),
        input=body.get("input"),
        schedule=parse_schedule(body, now),
        overlap=overlap,
        catchup=catchup,
        catchup_limit=limit,
    )


def _string(body: Mapping[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ScheduleError(f"'{key}' must be a non-empty string")
    return value.strip()


def spec_text(schedule: Schedule) -> str:
    return json.dumps(schedule.to_dict(), sort_keys=True)


def preview_of(
    schedule: Schedule, after: datetime, count: int, anchor: datetime
) -> SchedulePreview:
    if not 1 <= count <= MAX_PREVIEW:
        raise ScheduleError(f"count must be from 1 to {MAX_PREVIEW}")
    shown = zone(schedule.timezone) if isinstance(schedule, CronSchedule) else UTC
    times = preview(schedule, after, count, anchor=anchor)
    return SchedulePreview(
        schedule=schedule.to_dict(),
        description=schedule.describe(),
        fire_times=[t.astimezone(shown) for t in times],
    )


class ScheduleService:
    def __init__(self, scheduler: Scheduler):
        self.scheduler = scheduler
        self.orchestrator = scheduler.orchestrator
        self.store = self.orchestrator.store

    def _now(self) -> datetime:
        return self.scheduler.clock.now()

    async def create(self, body: Any) -> ScheduleView:
        now = self._now()
        request = parse_request(body, now)
        if is_builtin(request.workflow):
            # Its input (a job spec) would only be checked when a fire time comes.
            raise ScheduleError(
                f"'{request.workflow}' cannot be scheduled directly: submit the script as a "
                "one-node JSON DAG with 'cron' (POST /workflows/submit)"
            )
        await self.orchestrator.workflow(request.workflow)  # WorkflowNotFoundError
        row = ScheduleRow(
            id=f"sch-{uuid.uuid4().hex[:20]}",
            name=request.name,
            workflow_name=request.workflow,
            input=json.dumps(request.input),
            spec=spec_text(request.schedule),
            overlap=request.overlap,
            catchup=request.catchup,
            catchup_limit=request.catchup_limit,
            state="active",
            source="api",
            created_at=now,
            updated_at=now,
            next_fire_at=_first_fire(request.schedule, now),
        )
        await self.store.create_schedule(row)
        self.scheduler.due_at(row.next_fire_at)
        return _view(row)

    async def all(self) -> list[ScheduleView]:
        return [_view(row) for row in await self.store.list_schedules()]

    async def get(self, key: str, runs: int = RECENT_RUNS) -> ScheduleView:
        row = await self._row(key)
        fires = await self.store.schedule_fires(row.id, runs)
        recent = [
            ScheduleRun(
                fire_time=f.fire_time,
                execution_id=f.execution_id,
                state=_run_state(f.execution_id, f.state),
            )
            for f in fires
        ]
        return _view(row, recent)

    async def pause(self, key: str) -> ScheduleView:
        return await self._change(key, "paused")

    async def resume(self, key: str) -> ScheduleView:
        """Fire times that passed while paused are not caught up: it goes on from now."""
        return await self._change(key, "active")

    async def _change(self, key: str, state: str) -> ScheduleView:
        while True:
            row = await self._row(key)
            if row.state == state:
                return _view(row)
            now = self._now()
            row.state, row.updated_at = state, now
            if state == "active":
                row.next_fire_at = next_fire(_schedule(row), now, anchor=row.created_at)
            if await self.store.update_schedule(row):
                self.scheduler.due_at(row.next_fire_at if state == "active" else None)
                return _view(row)
            # It fired (or was changed) meanwhile: read it again.

    async def delete(self, key: str) -> None:
        row = await self._row(key)
        if not await self.store.delete_schedule(row.id):
            raise ScheduleNotFoundError(key)

    async def preview(self, key: str, count: int) -> SchedulePreview:
        row = await self._row(key)
        return preview_of(_schedule(row), self._now(), count, row.created_at)

    def preview_spec(self, body: Any, count: int) -> SchedulePreview:
        if not isinstance(body, Mapping):
            raise ScheduleError("the request body must be a JSON object")
        now = self._now()
        return preview_of(parse_schedule(body, now), now, count, now)

    async def _row(self, key: str) -> ScheduleRow:
        row = await self.store.get_schedule(key)
        if row is None:
            raise ScheduleNotFoundError(key)
        return row

    # Schedules of uploaded workflows

    async def sync_workflows(self, workflows: list[ParsedWorkflow]) -> None:
        """Called after a file is registered: a workflow with `schedule=` gets (or updates)
        the schedule named after it, keeping its state; one without loses the schedule its
        earlier version made. A schedule of that name made through the API is left alone."""
        for wf in workflows:
            # ScheduleExistsError: another replica registered the same file just now.
            with contextlib.suppress(ScheduleExistsError):
                await self._sync(wf)

    async def _sync(self, wf: ParsedWorkflow) -> None:
        schedule = schedule_from_dict(wf.schedule) if wf.schedule is not None else None
        await self.attach(wf.name, schedule, source="workflow")

    async def check_attachable(self, name: str, source: str) -> None:
        """ScheduleExistsError when a schedule named `name` exists that `source` did not
        make (one made through the API is never replaced by a workflow's own)."""
        row = await self.store.get_schedule(name)
        if row is not None and row.source != source:
            raise ScheduleExistsError(name)

    async def attach(self, name: str, schedule: Schedule | None, source: str) -> ScheduleRow | None:
        """Make workflow `name`'s own schedule (named after it) match `schedule`: create it,
        change its timing (keeping its state and history), or delete it when `schedule` is
        None. `source` says what owns it ("workflow": an uploaded file's `schedule=`, "dag":
        a JSON DAG's `cron`); a schedule of that name with another source is left alone."""
        row = await self.store.get_schedule(name)
        if row is not None and row.source != source:
            if schedule is not None:
                logger.warning(
                    "workflow '%s' has its own schedule but a schedule of that name was made "
                    "through the API; leaving that one as it is",
                    name,
                )
            return None
        if schedule is None:
            if row is not None:
                await self.store.delete_schedule(row.id)
            return None
        now = self._now()
        if row is None:
            row = ScheduleRow(
                id=f"sch-{uuid.uuid4().hex[:20]}",
                name=name,
                workflow_name=name,
                input="null",
                spec=spec_text(schedule),
                overlap="skip",
                catchup="latest",
                catchup_limit=100,
                state="active",
                source=source,
                created_at=now,
                updated_at=now,
                next_fire_at=_first_fire(schedule, now),
            )
            await self.store.create_schedule(row)
        elif row.spec != spec_text(schedule):
            row.spec, row.updated_at = spec_text(schedule), now
            row.next_fire_at = next_fire(schedule, now, anchor=row.created_at)
            await self.store.update_schedule(row)  # a lost race: the other writer's stands
        else:
            return row
        if row.state == "active":
            self.scheduler.due_at(row.next_fire_at)
        return row


def _first_fire(schedule: Schedule, now: datetime) -> datetime | None:
    # A once schedule given "now" (or a time within the slack, moved to now) fires at once;
    # an interval's first time is one interval after its creation.
    if isinstance(schedule, OnceSchedule):
        return next_fire(schedule, now - timedelta(microseconds=1))
    return next_fire(schedule, now, anchor=now)


def _run_state(execution_id: str | None, state: ExecutionState | None) -> str:
    if execution_id is None:
        return "SKIPPED"
    return "DELETED" if state is None else state.value


def _schedule(row: ScheduleRow) -> Schedule:
    return schedule_from_dict(json.loads(row.spec))


def _view(row: ScheduleRow, recent: list[ScheduleRun] | None = None) -> ScheduleView:
    spec = json.loads(row.spec)
    try:
        description = schedule_from_dict(spec).describe()
    except ScheduleError as exc:
        description = f"invalid: {exc}"
    return ScheduleView(
        id=row.id,
        name=row.name,
        workflow=row.workflow_name,
        input=json.loads(row.input),
        schedule=spec,
        description=description,
        overlap=row.overlap,
        catchup=row.catchup,
        catchup_limit=row.catchup_limit,
        state=row.state,
        source=row.source,
        next_fire_at=row.next_fire_at,
        last_fire_at=row.last_fire_at,
        last_execution_id=row.last_execution_id,
        runs_started=row.fired,
        runs_skipped=row.skipped,
        last_error=row.last_error,
        created_at=row.created_at,
        updated_at=row.updated_at,
        recent_runs=recent,
    )
