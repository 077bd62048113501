"""The dashboard's read model: the overview (executions per state, throughput per minute,
queue, worker fleet, next schedule fires), the filtered execution list, workers with the
runs they hold, and the live output of an execution's steps.

Everything is read from the store, except recent throughput: counting ended runs per minute
needs a scan of every finished execution (no index leads with `updated_at`, on purpose: it
changes on every checkpoint). So `Throughput` reads the window once, then counts the ended
runs announced to this replica (every replica hears every announcement), and reads again
every few minutes to correct any drift (runs written by processes that announce nothing).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from flux.api.dashboard import (
    ExecutionLogs,
    ExecutionPage,
    ExecutionSummary,
    FleetStats,
    HeldRun,
    MinuteBucket,
    Overview,
    QueueStats,
    RunKind,
    StepLog,
    UpcomingFire,
    WorkerStatus,
)
from flux.domain.events import FINISHED_STATES, ExecutionState, utcnow
from flux.errors import ExecutionNotFoundError
from flux.orchestrator import notify
from flux.orchestrator.core import Core
from flux.orchestrator.dags import DAG_FILENAME
from flux.orchestrator.jobs import JOB_WORKFLOW
from flux.orchestrator.store import HELD_STATES, LogChunk, RunQuery, RunRow, WorkerRow

_S = ExecutionState
MAX_WINDOW_MINUTES = 24 * 60
_OVERVIEW_TTL_S = 1.0  # many open dashboards share one computation per second
_CATALOG_TTL_S = 5.0
_HELD_LIMIT = 5000


def minute_of(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


class Throughput:
    """Ended runs per minute and state, over at most the last `MAX_WINDOW_MINUTES`."""

    RESEED_S = 300.0

    def __init__(self, core: Core) -> None:
        self.store = core.store
        self._counts: dict[datetime, Counter[ExecutionState]] = {}
        self._since: datetime | None = None  # counted from this minute on
        self._seeded_at = 0.0
        self._lock = asyncio.Lock()
        core.message_listeners.append(self._on_message)

    def _on_message(self, channel: str, payload: dict[str, Any]) -> None:
        if channel != notify.EXECUTION or self._since is None or payload.get("output"):
            return
        state = payload.get("state")
        if state in FINISHED_STATES:
            self._counts.setdefault(minute_of(utcnow()), Counter())[_S(state)] += 1

    async def buckets(self, minutes: int) -> list[MinuteBucket]:
        now = utcnow()
        first = minute_of(now) - timedelta(minutes=minutes - 1)
        await self._ensure(first)
        buckets = []
        for n in range(minutes):
            minute = first + timedelta(minutes=n)
            counts = self._counts.get(minute, Counter())
            buckets.append(
                MinuteBucket(
                    minute=minute,
                    completed=counts[_S.COMPLETED],
                    failed=counts[_S.FAILED],
                    cancelled=counts[_S.CANCELLED],
                )
            )
        return buckets

    async def _ensure(self, first: datetime) -> None:
        async with self._lock:
            fresh = time.monotonic() - self._seeded_at < self.RESEED_S
            if self._since is not None and self._since <= first and fresh:
                return
            # Always at least the last hour, so that switching windows rarely reads again.
            since = min(first, minute_of(utcnow()) - timedelta(minutes=59))
            counts: dict[datetime, Counter[ExecutionState]] = {}
            for found in await self.store.finished_by_minute(since):
                counts.setdefault(found.minute, Counter())[found.state] += found.count
            self._counts, self._since, self._seeded_at = counts, since, time.monotonic()


@dataclass(frozen=True, slots=True)
class ExecutionFilters:
    """What the execution list can be filtered by (all optional)."""

    workflow: str | None = None
    states: tuple[ExecutionState, ...] = ()
    kind: RunKind | None = None
    since: datetime | None = None
    until: datetime | None = None
    top_level: bool = False
    parent: str | None = None


class DashboardStats:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.store = core.store
        self.throughput = Throughput(core)
        self._overviews: dict[int, tuple[float, Overview]] = {}
        self._dags: tuple[float, frozenset[str]] | None = None

    @property
    def stale_after(self) -> float:
        """Seconds without a heartbeat after which a connected worker counts as unhealthy
        (the same rule as queued runs' pending reasons)."""
        return 3 * self.core.lease_ttl

    # Overview

    async def overview(self, minutes: int) -> Overview:
        cached = self._overviews.get(minutes)
        if cached is not None and time.monotonic() - cached[0] < _OVERVIEW_TTL_S:
            return cached[1]
        shown = await self._overview(minutes)
        self._overviews[minutes] = (time.monotonic(), shown)
        return shown

    async def _overview(self, minutes: int) -> Overview:
        states = await self.store.count_by_state()
        throughput = await self.throughput.buckets(minutes)
        finished = sum(b.completed + b.failed + b.cancelled for b in throughput)
        failed = sum(b.failed for b in throughput)
        oldest = await self.store.queued(1)
        queue = QueueStats(
            depth=states.get(_S.SCHEDULED, 0),
            oldest_queued_at=oldest[0].created_at if oldest else None,
            delayed=states.get(_S.CREATED, 0),
            next_delayed_at=await self.store.next_due(),
        )
        return Overview(
            generated_at=utcnow(),
            total=sum(states.values()),
            states={state: states.get(state, 0) for state in _S},
            window_minutes=minutes,
            throughput=throughput,
            finished=finished,
            failed=failed,
            failure_rate=failed / finished if finished else None,
            queue=queue,
            fleet=await self._fleet(),
            upcoming=await self._upcoming(5),
        )

    async def _fleet(self) -> FleetStats:
        workers = await self.store.list_workers()
        healthy = [w for w in workers if self._healthy(w)]
        busy = await self.store.count_search(RunQuery(states=HELD_STATES, top_level=True))
        return FleetStats(
            workers=len(workers),
            connected=sum(1 for w in workers if w.status == "connected"),
            healthy=len(healthy),
            slots=sum(w.max_concurrency for w in healthy),
            busy=busy,
        )

    def _healthy(self, worker: WorkerRow) -> bool:
        seen = (utcnow() - worker.last_seen_at).total_seconds()
        return worker.status == "connected" and seen <= self.stale_after

    async def _upcoming(self, count: int) -> list[UpcomingFire]:
        active = [
            s
            for s in await self.store.list_schedules()
            if s.state == "active" and s.next_fire_at is not None
        ]
        active.sort(key=lambda s: (s.next_fire_at, s.name))
        return [
            UpcomingFire(schedule_id=s.id, name=s.name, workflow=s.workflow_name, next_fire_at=when)
            for s in active[:count]
            if (when := s.next_fire_at) is not None
        ]

    # Executions

    async def search(
        self, filters: ExecutionFilters, limit: int, cursor: str | None
    ) -> ExecutionPage:
        """A page of runs, newest first; `cursor` (from the previous page) continues it.
        ValueError for a cursor this did not make."""
        query = _query(filters)
        if query is None:  # a kind and a workflow that exclude each other
            return ExecutionPage(count=0, limit=limit, executions=[])
        count = await self.store.count_search(query)
        if cursor is not None:
            query = replace(query, after_run=parse_cursor(cursor))
        runs = await self.store.search_runs(query, limit, 0)
        dags = await self._dag_names()
        last = runs[-1].execution if len(runs) == limit else None
        return ExecutionPage(
            count=count,
            limit=limit,
            executions=[summary(run, dags) for run in runs],
            next_cursor=None if last is None else make_cursor(last.created_at, last.execution_id),
        )

    async def _dag_names(self) -> frozenset[str]:
        now = time.monotonic()
        if self._dags is None or now - self._dags[0] > _CATALOG_TTL_S:
            rows = await self.store.list_workflows()
            names = frozenset(r.name for r in rows if r.filename == DAG_FILENAME)
            self._dags = (now, names)
        return self._dags[1]

    # Workers

    async def workers(self) -> list[WorkerStatus]:
        held: dict[str, list[HeldRun]] = {}
        query = RunQuery(states=HELD_STATES, top_level=True)
        for run in await self.store.search_runs(query, _HELD_LIMIT, 0):
            row = run.execution
            held.setdefault(run.lease.worker_name or "", []).append(
                HeldRun(
                    execution_id=row.execution_id,
                    workflow_name=row.workflow_name,
                    state=row.state,
                    since=row.updated_at,
                )
            )
        now = utcnow()
        return [
            WorkerStatus(
                name=w.name,
                status=w.status,
                resources=json.loads(w.resources),
                packages=len(json.loads(w.packages)),
                python_version=w.python_version,
                platform=w.platform,
                max_concurrency=w.max_concurrency,
                registered_at=w.registered_at,
                last_seen_at=w.last_seen_at,
                healthy=self._healthy(w),
                seconds_since_seen=max(0.0, (now - w.last_seen_at).total_seconds()),
                running=held.get(w.name, []),
            )
            for w in await self.store.list_workers()
        ]

    # Logs

    async def logs(self, execution_id: str) -> ExecutionLogs:
        if not await self.store.get_runs([execution_id]):
            raise ExecutionNotFoundError(execution_id)
        by_step: dict[str, list[LogChunk]] = {}
        for chunk in await self.store.read_logs(execution_id):
            by_step.setdefault(chunk.step_id, []).append(chunk)
        return ExecutionLogs(
            execution_id=execution_id,
            steps=[
                StepLog(step_id=step, text=joined(chunks), updated_at=chunks[-1].time)
                for step, chunks in by_step.items()
            ],
        )


def kind_of(workflow_name: str, dags: frozenset[str]) -> RunKind:
    if workflow_name == JOB_WORKFLOW:
        return RunKind.JOB
    return RunKind.DAG if workflow_name in dags else RunKind.WORKFLOW


def summary(run: RunRow, dags: frozenset[str]) -> ExecutionSummary:
    row, lease = run.execution, run.lease
    return ExecutionSummary(
        execution_id=row.execution_id,
        workflow_name=row.workflow_name,
        kind=kind_of(row.workflow_name, dags),
        state=row.state,
        created_at=row.created_at,
        updated_at=row.updated_at,
        worker_name=lease.worker_name,
        parent_execution_id=row.parent_execution_id,
        attempts=lease.attempts,
        error=lease.error if row.state is _S.FAILED else None,
    )


def _query(filters: ExecutionFilters) -> RunQuery | None:
    workflow = filters.workflow
    fields: dict[str, Any] = {}
    if filters.kind is RunKind.JOB:
        if workflow not in (None, JOB_WORKFLOW):
            return None
        workflow = JOB_WORKFLOW
    elif filters.kind is not None:
        fields["catalog_file"] = DAG_FILENAME
        if filters.kind is RunKind.WORKFLOW:
            fields.update(other_file=True, excluded_workflow=JOB_WORKFLOW)
    return RunQuery(
        workflow_name=workflow,
        states=filters.states,
        created_after=filters.since,
        created_before=filters.until,
        parent_execution_id=filters.parent,
        top_level=filters.top_level,
        **fields,
    )


def make_cursor(created_at: datetime, execution_id: str) -> str:
    return f"{created_at.isoformat()}|{execution_id}"


def parse_cursor(cursor: str) -> tuple[datetime, str]:
    moment, separator, execution_id = cursor.partition("|")
    when = datetime.fromisoformat(moment)
    if not separator or not execution_id or when.tzinfo is None:
        raise ValueError(f"not a cursor of this list: {cursor[:80]!r}")
    return when, execution_id


def joined(chunks: list[LogChunk]) -> str:
    """A step's text from its chunks (ordered by offset): a retried shipment may overlap
    what came before, so each chunk is placed at its offset, not appended."""
    text = ""
    for chunk in chunks:
        if chunk.offset <= len(text):
            text = text[: chunk.offset] + chunk.text
    return text
