"""`Scheduler`: starts the runs of stored schedules when their fire times come.

Each replica runs one. It sleeps until the earliest `next_fire_at` (a created or resumed
schedule wakes it; every `_RESCAN` seconds it reads the queue again, which covers schedules
another replica stored and times that passed while no server ran), then fires what is due:

1. `plan_fires` (pure) picks the fire times to handle from the catch-up policy (`skip`:
   only a time at most `grace` old; `latest`: the latest missed time once; `all`: every
   missed time, at most `catchup_limit`, the most recent ones) and the overlap policy
   (`skip`: nothing starts while the schedule's previous run has not finished, and one
   round starts at most one run; `allow`: every picked time starts a run), and the next
   fire time after now.
2. The runs are prepared (`Orchestrator.prepare_run`: a catalog workflow's latest version,
   or a built-in) and written with the schedule's new state and one `schedule_fires` row
   per fire time, in one transaction that only succeeds if the schedule is still at the
   revision this replica read. Two replicas firing the same time: one commits, the other
   writes nothing (and the fire row's primary key would refuse a second run anyway). So a
   fire time starts exactly one run, without a lock held while runs are prepared.

Time comes from a `Clock`, so tests drive a fake one and call `fire_due` directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from flux.domain.events import utcnow
from flux.domain.schedule import Schedule, schedule_from_dict
from flux.domain.schedule_times import fires_between, next_fire
from flux.engine.store import ExecutionRow
from flux.errors import FluxError
from flux.orchestrator.service import TERMINAL, Orchestrator
from flux.orchestrator.store import ScheduleFire, ScheduleRow

logger = logging.getLogger(__name__)

OVERLAP_POLICIES = ("skip", "allow")
CATCHUP_POLICIES = ("skip", "latest", "all")
GRACE = timedelta(seconds=60)  # how late a fire time may start under catch-up "skip"
_BATCH = 100
_RESCAN = 5.0  # seconds between reads of the queue when nothing wakes the scheduler
_RETRY = 1.0  # seconds before trying again after a schedule failed to fire
_TICK = timedelta(microseconds=1)


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return utcnow()


@dataclass(frozen=True, slots=True)
class FirePlan:
    runs: list[datetime]  # fire times that start a run, oldest first
    skipped: list[datetime]  # fire times recorded as skipped (overlap policy)
    next_fire_at: datetime | None


def plan_fires(
    row: ScheduleRow,
    schedule: Schedule,
    now: datetime,
    *,
    previous_running: bool,
    grace: timedelta = GRACE,
) -> FirePlan:
    """What a due schedule (`row.next_fire_at` <= now) does at `now` (see the module)."""
    assert row.next_fire_at is not None
    wanted = row.catchup_limit if row.catchup == "all" else 1
    times = fires_between(
        schedule, row.next_fire_at - _TICK, now, max(1, wanted), anchor=row.created_at
    )
    if row.catchup == "skip":
        times = [t for t in times if now - t <= grace]
    following = next_fire(schedule, now, anchor=row.created_at)
    if row.overlap == "allow":
        return FirePlan(times, [], following)
    if previous_running:
        return FirePlan([], times, following)
    return FirePlan(times[-1:], times[:-1], following)


@dataclass
class FireResult:
    schedule_id: str
    started: list[str] = field(default_factory=list)  # execution ids
    skipped: int = 0
    lost: bool = False  # another replica (or an edit) changed the schedule first


class Scheduler:
    def __init__(
        self,
        orchestrator: Orchestrator,
        clock: Clock | None = None,
        *,
        grace: timedelta = GRACE,
    ):
        self.orchestrator = orchestrator
        self._store = orchestrator.store
        self.clock: Clock = clock or SystemClock()
        self.grace = grace
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._next: datetime | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="flux-scheduler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def due_at(self, when: datetime | None) -> None:
        """A schedule will fire at `when`: wake up earlier if that is sooner than planned."""
        if when is not None and (self._next is None or when < self._next):
            self._next = when
            self._wake.set()

    async def fire_due(self) -> list[FireResult]:
        """Fire every due schedule (one batch of them); returns what each did."""
        now = self.clock.now()
        results = []
        for row in await self._store.due_schedules(now, _BATCH):
            try:
                results.append(await self.fire(row, now))
            except Exception:
                # One broken schedule must not keep the others from firing.
                logger.exception("schedule '%s' failed to fire", row.name)
                results.append(FireResult(row.id, lost=True))
        return results

    async def fire(self, row: ScheduleRow, now: datetime) -> FireResult:
        """Fire one due schedule as read at revision `row.revision`."""
        result = FireResult(row.id)
        schedule = schedule_from_dict(json.loads(row.spec))
        plan = plan_fires(
            row, schedule, now, previous_running=await self._running(row), grace=self.grace
        )
        runs, skipped, error = await self._prepare(row, plan)
        started = zip(plan.runs if runs else [], runs, strict=True)
        fires = [
            *(ScheduleFire(row.id, t, run.execution_id, now) for t, run in started),
            *(ScheduleFire(row.id, t, None, now) for t in skipped),
        ]
        row.next_fire_at = plan.next_fire_at
        if fires:
            row.last_fire_at = max(fire.fire_time for fire in fires)
            row.last_error = error
        if runs:
            row.last_execution_id = runs[-1].execution_id
        row.fired += len(runs)
        row.skipped += len(skipped)
        row.updated_at = now
        if not await self._store.update_schedule(row, fires=fires, runs=runs):
            result.lost = True
            return result
        observer = self.orchestrator.core.observer
        for fire_time, run in zip(plan.runs, runs, strict=False):
            self.orchestrator.announce_run(run)
            observer.fired((now - fire_time).total_seconds())
        result.started = [run.execution_id for run in runs]
        result.skipped = len(skipped)
        if runs or skipped:
            logger.info(
                "schedule '%s': started %d run(s), skipped %d", row.name, len(runs), len(skipped)
            )
        return result

    async def _running(self, row: ScheduleRow) -> bool:
        """Whether the schedule's previous run has not finished (only asked under overlap
        "skip"). Read before the fire's transaction: a run can only move on to finished,
        so a stale answer can at worst skip a time, never start a second run beside it."""
        if row.overlap != "skip" or row.last_execution_id is None:
            return False
        run = await self._store.get_run(row.last_execution_id, with_events=False)
        return run is not None and run.execution.state not in TERMINAL

    async def _prepare(
        self, row: ScheduleRow, plan: FirePlan
    ) -> tuple[list[ExecutionRow], list[datetime], str | None]:
        """The runs of the plan, the skipped times, and why runs could not start (its
        workflow was deleted or never uploaded: those times count as skipped)."""
        try:
            input = json.loads(row.input)
            runs = [
                await self.orchestrator.prepare_run(row.workflow_name, input) for _ in plan.runs
            ]
        except (FluxError, ValueError) as exc:  # e.g. WorkflowNotFoundError
            logger.warning("schedule '%s' could not start its run: %s", row.name, exc)
            return [], sorted([*plan.skipped, *plan.runs]), str(exc)
        return runs, plan.skipped, None

    async def _loop(self) -> None:
        while True:
            delay = _RESCAN
            try:
                results = await self.fire_due()
                self._next = await self._store.next_schedule_due()
                if self._next is not None:
                    delay = min(delay, (self._next - self.clock.now()).total_seconds())
                if len(results) < _BATCH:
                    # Lost races leave nothing due; a failed write would: do not spin.
                    delay = max(delay, 0.0 if not _failed(results) else _RETRY)
                else:
                    delay = 0.0
            except Exception as exc:
                # The database may be restarting; try again shortly.
                logger.warning("scheduler: %s", exc)
                self._next = None
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(0.0, delay))


def _failed(results: Sequence[FireResult]) -> bool:
    return any(r.lost for r in results)
