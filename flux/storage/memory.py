"""`InMemoryStore`: a dict-based `ExecutionStore` for tests, yours and ours.

It passes the same contract suite as the SQL stores (`tests/storage`), including their
refusals: duplicate executions, taken seqs (with nothing of the batch kept), unknown
executions and naive datetimes. Rows are copied in and out, so a caller mutating a row it
passed or got back cannot change what is "stored", as with a real database.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from flux.domain.events import ExecutionEventType, ExecutionState, utcnow
from flux.domain.limits import CONCURRENCY
from flux.engine.store import EventConflictError, EventRow, ExecutionExistsError, ExecutionRow
from flux.errors import ScheduleExistsError
from flux.orchestrator.store import (
    HELD_STATES,
    ApiKeyRow,
    AuditRecord,
    CheckpointWrite,
    JobRow,
    JobRun,
    Lease,
    LeaseLostError,
    LimitUsage,
    LimitWaiting,
    LogChunk,
    NewJob,
    NotAdmittedError,
    QueuedRun,
    ReleasePolicy,
    RunRow,
    ScheduleFire,
    ScheduleRow,
    SlotRow,
    StateConflictError,
    Transition,
    WorkerRow,
    WorkflowRow,
    crash_release_state,
    lease_lost_detail,
    server_event,
)
from flux.storage.leases import SlotRequest, slot_requests
from flux.storage.memory_api_keys import MemoryApiKeys
from flux.storage.memory_audit import MemoryAudit
from flux.storage.memory_retention import MemoryRetention
from flux.storage.memory_stats import MemoryStats
from flux.storage.rows import as_utc, first_taken_seq

_E = ExecutionEventType
_S = ExecutionState


def _event_copy(event: EventRow) -> EventRow:
    return replace(event, time=as_utc(event.time))


def _queued(row: ExecutionRow) -> QueuedRun:
    return QueuedRun(
        row.execution_id,
        row.workflow_name,
        row.workflow_version,
        row.requests,
        row.created_at,
        row.priority,
        row.limits is not None,
    )


def _dispatch_order(row: ExecutionRow) -> tuple[int, datetime, str]:
    return (-row.priority, row.created_at, row.execution_id)


class InMemoryStore(MemoryStats, MemoryRetention, MemoryAudit, MemoryApiKeys):
    def __init__(self) -> None:
        self._executions: dict[str, ExecutionRow] = {}
        self._events: dict[str, dict[int, EventRow]] = {}
        self._cache: dict[str, tuple[bytes, datetime | None]] = {}
        self._secrets: dict[str, bytes] = {}
        self._leases: dict[str, Lease] = {}
        self._workflows: dict[tuple[str, str], WorkflowRow] = {}
        self._workers: dict[str, WorkerRow] = {}
        # Also the executions' run_at column: only jobs set one.
        self._jobs: dict[str, JobRow] = {}
        self._logs: dict[str, dict[tuple[str, int], LogChunk]] = {}
        self._schedules: dict[str, ScheduleRow] = {}
        self._fires: dict[str, dict[datetime, ScheduleFire]] = {}
        # Slots of limits by (kind, key, slot number), as table `limit_slots`.
        self._slots: dict[tuple[str, str, int], SlotRow] = {}
        self._audit: list[AuditRecord] = []
        self._api_keys: dict[str, ApiKeyRow] = {}
        self._audit_last_id = 0

    async def create_execution(self, execution: ExecutionRow, events: Sequence[EventRow]) -> None:
        if execution.execution_id in self._executions:
            raise ExecutionExistsError(execution.execution_id)
        row = replace(
            execution,
            created_at=as_utc(execution.created_at),
            updated_at=as_utc(execution.updated_at),
            events=[],
        )
        self._check_free(execution.execution_id, {}, events)
        self._executions[row.execution_id] = row
        self._events[row.execution_id] = {event.seq: _event_copy(event) for event in events}
        self._leases[row.execution_id] = Lease()

    async def append_events(
        self,
        execution_id: str,
        events: Sequence[EventRow],
        *,
        state: ExecutionState | None = None,
        output: bytes | None = None,
    ) -> None:
        execution = self._executions.get(execution_id)
        if execution is None:
            raise KeyError(execution_id)
        log = self._events[execution_id]
        self._check_free(execution_id, log, events)
        log.update((event.seq, _event_copy(event)) for event in events)
        execution.updated_at = utcnow()
        if state is not None:
            execution.state = state
        if output is not None:
            execution.output = output

    @staticmethod
    def _check_free(
        execution_id: str, log: dict[int, EventRow], events: Sequence[EventRow]
    ) -> None:
        seqs = [event.seq for event in events]
        if len(set(seqs)) != len(seqs) or not log.keys().isdisjoint(seqs):
            raise EventConflictError(execution_id, first_taken_seq(seqs, log))
        for event in events:
            as_utc(event.time)

    async def get_execution(
        self, execution_id: str, *, with_events: bool = True
    ) -> ExecutionRow | None:
        execution = self._executions.get(execution_id)
        if execution is None:
            return None
        events = await self.get_events(execution_id) if with_events else []
        return replace(execution, events=events)

    async def get_events(self, execution_id: str, *, after_seq: int = -1) -> list[EventRow]:
        log = self._events.get(execution_id, {})
        return [replace(log[seq]) for seq in sorted(log) if seq > after_seq]

    async def list_executions(
        self,
        *,
        workflow_name: str | None = None,
        state: ExecutionState | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[ExecutionRow]:
        found = [
            execution
            for execution in self._executions.values()
            if workflow_name in (None, execution.workflow_name) and state in (None, execution.state)
        ]
        found.sort(key=lambda row: (row.created_at, row.execution_id), reverse=True)
        return [replace(row, events=[]) for row in found[offset : offset + limit]]

    async def cache_get(self, key: str, now: datetime) -> bytes | None:
        now = as_utc(now)
        value, expires_at = self._cache.get(key, (None, None))
        if expires_at is not None and expires_at <= now:
            return None
        return value

    async def cache_set(self, key: str, value: bytes, expires_at: datetime | None) -> None:
        self._cache[key] = (value, None if expires_at is None else as_utc(expires_at))

    async def secret_get(self, names: Sequence[str]) -> dict[str, bytes]:
        return {name: self._secrets[name] for name in names if name in self._secrets}

    async def secret_set(self, name: str, value: bytes) -> None:
        self._secrets[name] = value

    async def secret_delete(self, name: str) -> bool:
        return self._secrets.pop(name, None) is not None

    async def secret_names(self) -> list[str]:
        return sorted(self._secrets)

    async def close(self) -> None:
        pass

    async def ping(self) -> None:
        pass

    # Executions with their leases

    def _run(self, execution_id: str, with_events: bool) -> RunRow | None:
        execution = self._executions.get(execution_id)
        if execution is None:
            return None
        log = self._events[execution_id]
        events = [replace(log[seq]) for seq in sorted(log)] if with_events else []
        return RunRow(replace(execution, events=events), replace(self._leases[execution_id]))

    async def get_run(self, execution_id: str, *, with_events: bool = True) -> RunRow | None:
        return self._run(execution_id, with_events)

    def _matching(self, workflow_name: str | None, state: ExecutionState | None) -> list[str]:
        return [
            row.execution_id
            for row in self._executions.values()
            if workflow_name in (None, row.workflow_name) and state in (None, row.state)
        ]

    async def list_runs(
        self,
        *,
        workflow_name: str | None = None,
        state: ExecutionState | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[RunRow]:
        rows = await self.list_executions(
            workflow_name=workflow_name, state=state, limit=limit, offset=offset
        )
        return [RunRow(row, replace(self._leases[row.execution_id])) for row in rows]

    async def count_runs(
        self, *, workflow_name: str | None = None, state: ExecutionState | None = None
    ) -> int:
        return len(self._matching(workflow_name, state))

    async def count_by_state(self) -> dict[ExecutionState, int]:
        counts: dict[ExecutionState, int] = {}
        for row in self._executions.values():
            counts[row.state] = counts.get(row.state, 0) + 1
        return counts

    def _queue(self) -> list[ExecutionRow]:
        return sorted(
            (
                row
                for row in self._executions.values()
                if row.state is _S.SCHEDULED and row.parent_execution_id is None
            ),
            key=_dispatch_order,
        )

    def _rooms(self, row: ExecutionRow, now: datetime) -> tuple[tuple[str, int], ...]:
        return tuple(
            (f"{request.kind}:{request.key}", request.capacity - len(self._busy(request, now)))
            for request in slot_requests(row.limits, now)
        )

    async def queued(self, limit: int, offset: int = 0) -> list[QueuedRun]:
        now = utcnow()
        found = []
        for row in self._queue():
            rooms = self._rooms(row, now)
            if all(room > 0 for _, room in rooms):
                found.append(replace(_queued(row), rooms=rooms))
        return found[offset : offset + limit]

    def _record(
        self,
        execution_id: str,
        type: ExecutionEventType,
        value: bytes | None,
        now: datetime,
        source_id: str | None = None,
    ) -> None:
        log = self._events[execution_id]
        seq = max(log, default=-1) + 1
        name = self._executions[execution_id].workflow_name
        log[seq] = server_event(execution_id, seq, type, name, value, now, source_id)

    def _transition(self, execution_id: str) -> Transition:
        row = self._executions[execution_id]
        lease = self._leases[execution_id]
        freed = self._free_slot(execution_id)
        return Transition(
            execution_id,
            row.workflow_name,
            row.state,
            lease.worker_name,
            row.parent_execution_id,
            freed=freed,
        )

    # Leases

    def _take(
        self, execution_id: str, worker_name: str, claimed_value: bytes, expires_at: datetime
    ) -> RunRow:
        now = utcnow()
        row, lease = self._executions[execution_id], self._leases[execution_id]
        row.state, row.updated_at = _S.CLAIMED, now
        lease.worker_name, lease.expires_at = worker_name, as_utc(expires_at)
        lease.epoch += 1
        lease.attempts += 1
        self._record(execution_id, _E.WORKFLOW_CLAIMED, claimed_value, now)
        run = self._run(execution_id, True)
        assert run is not None
        return run

    # Limits: slots taken and given back as the SQL stores do (`flux.storage.leases`).

    def _busy(self, request: SlotRequest, now: datetime) -> dict[int, SlotRow]:
        return {
            number: slot
            for (kind, key, number), slot in self._slots.items()
            if kind == request.kind
            and key == request.key
            and (slot.free_at is None or slot.free_at > now)
        }

    def _admit(self, row: ExecutionRow) -> str | None:
        now = utcnow()
        wanted = slot_requests(row.limits, now)
        for request in wanted:
            busy = self._busy(request, now)
            if not request.candidates(set(busy)):
                return request.refusal(len(busy))
        for request in wanted:
            number = request.candidates(set(self._busy(request, now)))[0]
            self._slots[(request.kind, request.key, number)] = SlotRow(
                request.kind,
                request.key,
                number,
                row.execution_id,
                request.capacity,
                now,
                request.free_at,
            )
        return None

    def _free_slot(self, execution_id: str) -> bool:
        """Give back the run's concurrency slot if it no longer holds a worker."""
        row = self._executions[execution_id]
        key = row.limits.concurrency_key if row.limits else None
        if key is None or row.state in HELD_STATES:
            return False
        for index, slot in list(self._slots.items()):
            if index[:2] == (CONCURRENCY, key) and slot.execution_id == execution_id:
                del self._slots[index]
        return True

    async def claim(
        self, execution_id: str, worker_name: str, claimed_value: bytes, expires_at: datetime
    ) -> RunRow:
        row = self._executions.get(execution_id)
        if row is None:
            raise KeyError(execution_id)
        if row.state is not _S.SCHEDULED:
            raise StateConflictError(execution_id, row.state, "claim")
        refused = self._admit(row)
        if refused is not None:
            raise NotAdmittedError(execution_id, refused)
        return self._take(execution_id, worker_name, claimed_value, expires_at)

    async def claim_next(
        self,
        worker_name: str,
        claimed_value: bytes,
        expires_at: datetime,
        limit: int,
        fits: Callable[[str | None], bool],
    ) -> list[RunRow]:
        claimed: list[RunRow] = []
        for row in self._queue():
            if len(claimed) >= limit:
                break
            if fits(row.requests) and self._admit(row) is None:
                claimed.append(self._take(row.execution_id, worker_name, claimed_value, expires_at))
        return claimed

    def _check_held(self, execution_id: str, worker_name: str, epoch: int) -> None:
        run = self._run(execution_id, False)
        if run is None:
            raise KeyError(execution_id)
        lease = run.lease
        held = run.execution.state in HELD_STATES
        if not held or lease.worker_name != worker_name or lease.epoch != epoch:
            detail = lease_lost_detail(run.execution.state, lease, worker_name, epoch)
            raise LeaseLostError(execution_id, detail)

    async def claim_child(
        self,
        parent: CheckpointWrite,
        child: ExecutionRow,
        claimed_value: bytes,
        expires_at: datetime,
    ) -> RunRow:
        self._check_held(parent.execution_id, parent.worker_name, parent.epoch)
        existing = self._executions.get(child.execution_id)
        if existing is None:
            await self.create_execution(replace(child, state=_S.SCHEDULED), [])
        elif existing.state.is_terminal or existing.state is _S.PAUSED:
            run = self._run(child.execution_id, True)
            assert run is not None
            return run
        else:
            existing.state = _S.SCHEDULED
        return self._take(child.execution_id, parent.worker_name, claimed_value, expires_at)

    async def checkpoint(self, write: CheckpointWrite, expires_at: datetime) -> Transition:
        self._check_held(write.execution_id, write.worker_name, write.epoch)
        row, lease = self._executions[write.execution_id], self._leases[write.execution_id]
        state = write.state
        if row.state is _S.CANCELLING and state in (_S.CLAIMED, _S.RUNNING):
            state = None
        await self.append_events(write.execution_id, write.events, state=state, output=write.output)
        if write.error is not None:
            lease.error = write.error
        ends = row.state is _S.PAUSED or row.state.is_terminal
        lease.expires_at = None if ends else as_utc(expires_at)
        return self._transition(write.execution_id)

    async def checkpoint_many(
        self, writes: Sequence[CheckpointWrite], expires_at: datetime
    ) -> list[Transition | Exception]:
        results: list[Transition | Exception] = []
        for write in writes:
            try:
                results.append(await self.checkpoint(write, expires_at))
            except (KeyError, LeaseLostError, EventConflictError) as exc:
                results.append(exc)
        return results

    async def renew(
        self,
        worker_name: str,
        held: Sequence[tuple[str, int]],
        expires_at: datetime,
        resources: str | None,
        now: datetime,
    ) -> list[str]:
        lost: list[str] = []
        for execution_id, epoch in held:
            try:
                self._check_held(execution_id, worker_name, epoch)
            except (KeyError, LeaseLostError):
                lost.append(execution_id)
                continue
            self._leases[execution_id].expires_at = as_utc(expires_at)
        worker = self._workers.get(worker_name)
        if worker is not None:
            worker.last_seen_at = as_utc(now)
            if resources is not None:
                worker.resources = resources
        return lost

    async def release(self, execution_id: str, worker_name: str, epoch: int) -> Transition:
        self._check_held(execution_id, worker_name, epoch)
        row, lease = self._executions[execution_id], self._leases[execution_id]
        now = utcnow()
        lease.expires_at, row.updated_at = None, now
        lease.attempts = max(0, lease.attempts - 1)
        if row.state is _S.CANCELLING:
            row.state = _S.CANCELLED
            self._record(execution_id, _E.WORKFLOW_CANCELLED, None, now)
        else:
            row.state = _S.SCHEDULED
        return self._transition(execution_id)

    def _crash_release(self, execution_id: str, policy: ReleasePolicy, now: datetime) -> None:
        row, lease = self._executions[execution_id], self._leases[execution_id]
        top_level = row.parent_execution_id is None
        state = crash_release_state(row.state, lease.attempts, top_level, policy.max_attempts)
        row.state, row.updated_at, lease.expires_at = state, now, None
        if state is _S.CANCELLED:
            self._record(execution_id, _E.WORKFLOW_CANCELLED, None, now)
        elif state is _S.FAILED:
            lease.error, value = policy.fail(lease.worker_name, lease.attempts)
            self._record(execution_id, _E.WORKFLOW_FAILED, value, now)

    def _release_all(
        self, ids: list[str], policy: ReleasePolicy, now: datetime
    ) -> list[Transition]:
        for execution_id in ids:
            self._crash_release(execution_id, policy, as_utc(now))
        return [self._transition(execution_id) for execution_id in ids]

    async def release_worker(
        self, worker_name: str, connection_id: str | None, policy: ReleasePolicy, now: datetime
    ) -> list[Transition]:
        worker = self._workers.get(worker_name)
        if connection_id is not None:
            if worker is None or worker.connection_id != connection_id:
                return []
            worker.status, worker.connection_id = "disconnected", None
        ids = [
            execution_id
            for execution_id, lease in self._leases.items()
            if lease.worker_name == worker_name
            and self._executions[execution_id].state in HELD_STATES
        ]
        return self._release_all(ids, policy, now)

    async def release_expired(
        self, now: datetime, policy: ReleasePolicy, limit: int
    ) -> list[Transition]:
        now = as_utc(now)
        ids = [
            execution_id
            for execution_id, lease in self._leases.items()
            if self._executions[execution_id].state in HELD_STATES
            and lease.expires_at is not None
            and lease.expires_at < now
        ]
        return self._release_all(ids[:limit], policy, now)

    async def resume(self, execution_id: str, value: bytes | None, now: datetime) -> Transition:
        row = self._executions.get(execution_id)
        if row is None:
            raise KeyError(execution_id)
        if row.state is not _S.PAUSED:
            raise StateConflictError(execution_id, row.state, "resume")
        log = self._events[execution_id]
        pause = next(
            log[seq] for seq in sorted(log, reverse=True) if log[seq].type == _E.WORKFLOW_PAUSED
        )
        row.state, row.updated_at = _S.SCHEDULED, as_utc(now)
        self._leases[execution_id].attempts = 0
        self._record(execution_id, _E.WORKFLOW_RESUMED, value, as_utc(now), pause.source_id)
        return self._transition(execution_id)

    async def cancel(self, execution_id: str, now: datetime) -> Transition:
        row = self._executions.get(execution_id)
        if row is None:
            raise KeyError(execution_id)
        if row.state.is_terminal:
            raise StateConflictError(execution_id, row.state, "cancel")
        if row.state in HELD_STATES:
            row.state = _S.CANCELLING
        else:
            row.state = _S.CANCELLED
            self._leases[execution_id].expires_at = None
            self._record(execution_id, _E.WORKFLOW_CANCELLED, None, as_utc(now))
        row.updated_at = as_utc(now)
        return self._transition(execution_id)

    # Catalog

    async def save_workflows(self, workflows: Sequence[WorkflowRow]) -> None:
        for workflow in workflows:
            self._workflows[(workflow.name, workflow.version)] = replace(
                workflow, created_at=as_utc(workflow.created_at)
            )

    def _versions(self, name: str) -> list[WorkflowRow]:
        rows = [row for (n, _), row in self._workflows.items() if n == name]
        return sorted(rows, key=lambda row: (row.created_at, row.version), reverse=True)

    async def get_workflow(self, name: str, version: str | None = None) -> WorkflowRow | None:
        if version is not None:
            found = self._workflows.get((name, version))
            return None if found is None else replace(found)
        versions = self._versions(name)
        return replace(versions[0]) if versions else None

    async def list_workflows(self) -> list[WorkflowRow]:
        names = sorted({name for name, _ in self._workflows})
        return [replace(self._versions(name)[0]) for name in names]

    async def workflow_versions(self, name: str) -> list[str]:
        return [row.version for row in self._versions(name)]

    # Script jobs

    async def create_job(self, row: ExecutionRow, events: Sequence[EventRow], job: JobRow) -> None:
        # Copied (and its times checked) before anything is stored, as one transaction would.
        stored = replace(
            job,
            created_at=as_utc(job.created_at),
            run_at=None if job.run_at is None else as_utc(job.run_at),
        )
        await self.create_execution(row, events)
        self._jobs[job.execution_id] = stored

    async def create_jobs(self, jobs: Sequence[NewJob]) -> list[Exception | None]:
        results: list[Exception | None] = []
        for row, events, job in jobs:
            try:
                await self.create_job(row, events, job)
            except ExecutionExistsError as exc:
                results.append(exc)
            else:
                results.append(None)
        return results

    def _job_run(self, execution_id: str, with_events: bool) -> JobRun | None:
        job = self._jobs.get(execution_id)
        run = self._run(execution_id, with_events)
        return None if job is None or run is None else JobRun(replace(job), run)

    async def get_job(self, execution_id: str) -> JobRun | None:
        return self._job_run(execution_id, True)

    def _matching_jobs(
        self, name: str | None, type: str | None, states: Sequence[ExecutionState] | None
    ) -> list[JobRow]:
        return [
            job
            for job in self._jobs.values()
            if name in (None, job.name)
            and type in (None, job.type)
            and (states is None or self._executions[job.execution_id].state in states)
        ]

    async def list_jobs(
        self,
        *,
        name: str | None = None,
        type: str | None = None,
        states: Sequence[ExecutionState] | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[JobRun]:
        found = self._matching_jobs(name, type, states)
        found.sort(key=lambda job: (job.created_at, job.execution_id), reverse=True)
        runs = (self._job_run(job.execution_id, False) for job in found[offset : offset + limit])
        return [run for run in runs if run is not None]

    async def count_jobs(
        self,
        *,
        name: str | None = None,
        type: str | None = None,
        states: Sequence[ExecutionState] | None = None,
    ) -> int:
        return len(self._matching_jobs(name, type, states))

    # Timers

    def _waiting(self) -> list[tuple[datetime, ExecutionRow]]:
        """CREATED top-level executions with a run_at, earliest first."""
        waiting = [
            (job.run_at, row)
            for job in self._jobs.values()
            if job.run_at is not None
            and (row := self._executions[job.execution_id]).state is _S.CREATED
            and row.parent_execution_id is None
        ]
        return sorted(waiting, key=lambda pair: (pair[0], pair[1].execution_id))

    async def release_due(self, now: datetime, limit: int) -> list[QueuedRun]:
        now = as_utc(now)
        due = [row for run_at, row in self._waiting() if run_at <= now][:limit]
        for row in due:
            row.state, row.updated_at = _S.SCHEDULED, now
        return [_queued(row) for row in due]

    async def next_due(self) -> datetime | None:
        waiting = self._waiting()
        return waiting[0][0] if waiting else None

    # Live output of running steps

    async def append_logs(self, chunks: Sequence[LogChunk]) -> None:
        copies = [replace(chunk, time=as_utc(chunk.time)) for chunk in chunks]
        for chunk in copies:
            if chunk.execution_id in self._executions:
                log = self._logs.setdefault(chunk.execution_id, {})
                log.setdefault((chunk.step_id, chunk.offset), chunk)

    async def read_logs(
        self, execution_id: str, step_id: str | None = None, after: int = 0
    ) -> list[LogChunk]:
        log = self._logs.get(execution_id, {})
        return [
            replace(log[key])
            for key in sorted(log)
            if step_id in (None, key[0]) and key[1] >= after
        ]

    # Limits

    def _slot_copy(self, slot: SlotRow) -> SlotRow:
        row = self._executions.get(slot.execution_id)
        return replace(
            slot,
            workflow_name=None if row is None else row.workflow_name,
            state=None if row is None else row.state,
        )

    def _busy_slots(self, now: datetime) -> list[SlotRow]:
        now = as_utc(now)
        busy = []
        for index in sorted(self._slots):
            free_at = self._slots[index].free_at
            if free_at is None or free_at > now:
                busy.append(self._slot_copy(self._slots[index]))
        return busy

    async def limit_slots(self, kind: str, key: str, now: datetime) -> list[SlotRow]:
        return [s for s in self._busy_slots(now) if (s.kind, s.key) == (kind, key)]

    async def limit_usage(self, now: datetime) -> LimitUsage:
        waiting: dict[tuple[str, str, str], LimitWaiting] = {}
        for row in self._queue():
            limits = row.limits
            if limits is None:
                continue
            for kind, key in limits.limit_keys():
                capacity = limits.concurrency if kind == CONCURRENCY else limits.rate
                period = limits.period if kind != CONCURRENCY else None
                found = waiting.setdefault(
                    (kind, key, row.workflow_name),
                    LimitWaiting(kind, key, row.workflow_name, 0, period, 0),
                )
                found.capacity = max(found.capacity, capacity or 0)
                found.count += 1
        return LimitUsage(self._busy_slots(now), list(waiting.values()))

    async def next_slot_free(self, now: datetime) -> datetime | None:
        now = as_utc(now)
        times = [s.free_at for s in self._slots.values() if s.free_at and s.free_at > now]
        return min(times, default=None)

    async def release_orphan_slots(self) -> int:
        orphans = [
            index
            for index, slot in self._slots.items()
            if index[0] == CONCURRENCY
            and (
                slot.execution_id not in self._executions
                or self._executions[slot.execution_id].state not in HELD_STATES
            )
        ]
        for index in orphans:
            del self._slots[index]
        return len(orphans)

    # Worker registry

    async def save_worker(self, worker: WorkerRow) -> None:
        self._workers[worker.name] = replace(
            worker,
            registered_at=as_utc(worker.registered_at),
            last_seen_at=as_utc(worker.last_seen_at),
        )

    async def get_worker(self, name: str) -> WorkerRow | None:
        found = self._workers.get(name)
        return None if found is None else replace(found)

    async def list_workers(self) -> list[WorkerRow]:
        return [replace(self._workers[name]) for name in sorted(self._workers)]

    async def worker_connected(self, name: str, connection_id: str, now: datetime) -> None:
        worker = self._workers.get(name)
        if worker is not None:
            worker.status, worker.connection_id = "connected", connection_id
            worker.last_seen_at = as_utc(now)

    # Schedules

    @staticmethod
    def _schedule_copy(row: ScheduleRow) -> ScheduleRow:
        def utc(moment: datetime | None) -> datetime | None:
            return None if moment is None else as_utc(moment)

        return replace(
            row,
            created_at=as_utc(row.created_at),
            updated_at=as_utc(row.updated_at),
            next_fire_at=utc(row.next_fire_at),
            last_fire_at=utc(row.last_fire_at),
        )

    async def create_schedule(self, row: ScheduleRow) -> None:
        taken = row.id in self._schedules or any(
            s.name == row.name for s in self._schedules.values()
        )
        if taken:
            raise ScheduleExistsError(row.name)
        self._schedules[row.id] = self._schedule_copy(row)
        self._fires[row.id] = {}

    async def get_schedule(self, key: str) -> ScheduleRow | None:
        found = self._schedules.get(key) or next(
            (s for s in self._schedules.values() if s.name == key), None
        )
        return None if found is None else replace(found)

    async def list_schedules(self) -> list[ScheduleRow]:
        return [replace(s) for s in sorted(self._schedules.values(), key=lambda s: s.name)]

    async def update_schedule(
        self,
        row: ScheduleRow,
        *,
        fires: Sequence[ScheduleFire] = (),
        runs: Sequence[ExecutionRow] = (),
    ) -> bool:
        stored = self._schedules.get(row.id)
        if stored is None or stored.revision != row.revision:
            return False
        log = self._fires[row.id]
        times = [as_utc(fire.fire_time) for fire in fires]
        if len(set(times)) != len(times) or not log.keys().isdisjoint(times):
            return False
        if any(run.execution_id in self._executions for run in runs):
            return False
        # Everything checked: now written, as one transaction would be.
        updated = self._schedule_copy(replace(row, revision=row.revision + 1))
        updated.created_at = stored.created_at
        self._schedules[row.id] = updated
        for run in runs:
            await self.create_execution(run, run.events)
        for fire in fires:
            log[as_utc(fire.fire_time)] = replace(
                fire, fire_time=as_utc(fire.fire_time), state=None
            )
        row.revision += 1
        return True

    async def delete_schedule(self, schedule_id: str) -> bool:
        self._fires.pop(schedule_id, None)
        return self._schedules.pop(schedule_id, None) is not None

    async def due_schedules(self, now: datetime, limit: int) -> list[ScheduleRow]:
        now = as_utc(now)
        due = [
            s
            for s in self._schedules.values()
            if s.state == "active" and s.next_fire_at is not None and s.next_fire_at <= now
        ]
        due.sort(key=lambda s: (s.next_fire_at or now, s.id))
        return [replace(s) for s in due[:limit]]

    async def next_schedule_due(self) -> datetime | None:
        times = [
            s.next_fire_at
            for s in self._schedules.values()
            if s.state == "active" and s.next_fire_at is not None
        ]
        return min(times, default=None)

    async def schedule_fires(self, schedule_id: str, limit: int) -> list[ScheduleFire]:
        log = self._fires.get(schedule_id, {})
        newest = [log[t] for t in sorted(log, reverse=True)[:limit]]
        return [replace(fire, state=self._state_of(fire.execution_id)) for fire in newest]

    def _state_of(self, execution_id: str | None) -> ExecutionState | None:
        execution = self._executions.get(execution_id) if execution_id else None
        return None if execution is None else execution.state
