"""Between `EventRow` / `ExecutionRow` and the named parameters and result tuples of a driver.

Shared by the SQL adapters; each passes its own timestamp converters (ISO text for SQLite,
datetimes for PostgreSQL), so no dialect detail lives here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from flux.domain.events import ExecutionState
from flux.domain.limits import CONCURRENCY, RATE, RunLimits
from flux.engine.store import EventRow, ExecutionRow
from flux.orchestrator.store import (
    JobRow,
    JobRun,
    Lease,
    LimitWaiting,
    LogChunk,
    QueuedRun,
    RunRow,
    ScheduleFire,
    ScheduleRow,
    SlotRow,
    WorkerRow,
    WorkflowRow,
)

Stamp = TypeVar("Stamp")


def as_utc(moment: datetime) -> datetime:
    """`moment` in UTC. A naive datetime is refused: guessing its zone would shift it silently."""
    if moment.tzinfo is UTC:
        return moment
    if moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: Flux stores timezone-aware times only")
    return moment.astimezone(UTC)


def event_params(event: EventRow, stamp: Callable[[datetime], Stamp]) -> dict[str, Any]:
    return {
        "execution_id": event.execution_id,
        "seq": event.seq,
        "id": event.id,
        "type": event.type,
        "source_id": event.source_id,
        "name": event.name,
        "value": event.value,
        "time": stamp(event.time),
    }


def execution_params(
    row: ExecutionRow, stamp: Callable[[datetime], Stamp], *, run_at: datetime | None = None
) -> dict[str, Any]:
    params = {
        "execution_id": row.execution_id,
        "workflow_name": row.workflow_name,
        "workflow_version": row.workflow_version,
        "state": row.state.value,
        "input": row.input,
        "output": row.output,
        "parent_execution_id": row.parent_execution_id,
        "requests": row.requests,
        "created_at": stamp(row.created_at),
        "updated_at": stamp(row.updated_at),
        # Lease columns start empty; the orchestrator's statements set them.
        "worker_name": None,
        "lease_epoch": 0,
        "lease_expires_at": None,
        "attempts": 0,
        "error": None,
        "run_at": None if run_at is None else stamp(run_at),
        # The queue (`lease_statements.ADMISSION_COLUMNS`); written out, not merged from a
        # helper, since every run is inserted through here.
        "priority": row.priority,
        "concurrency_key": None,
        "concurrency_limit": None,
        "rate_key": None,
        "rate_limit": None,
        "rate_period": None,
    }
    if row.limits is not None:
        params.update(limit_params(row.limits))
    return params


def limit_params(limits: RunLimits) -> dict[str, Any]:
    return {
        "concurrency_key": limits.concurrency_key,
        "concurrency_limit": limits.concurrency,
        "rate_key": limits.rate_key,
        "rate_limit": limits.rate,
        "rate_period": limits.period,
    }


def touch_params(
    execution_id: str,
    state: ExecutionState | None,
    output: bytes | None,
    updated_at: Stamp,
) -> dict[str, Any]:
    return {
        "b_execution_id": execution_id,
        "b_state": None if state is None else state.value,
        "b_output": output,
        "b_updated_at": updated_at,
    }


def event_from_row(row: Sequence[Any], read_time: Callable[[Any], datetime]) -> EventRow:
    """`row` in `statements.EVENT_COLUMNS` order."""
    execution_id, seq, id_, type_, source_id, name, value, time = row
    return EventRow(execution_id, seq, id_, type_, source_id, name, value, read_time(time))


def execution_from_row(row: Sequence[Any], read_time: Callable[[Any], datetime]) -> ExecutionRow:
    """`row` in `statements.EXECUTION_COLUMNS` order."""
    execution_id, workflow_name, state, input_, created, updated, version, output, parent, req = row
    return ExecutionRow(
        execution_id=execution_id,
        workflow_name=workflow_name,
        state=ExecutionState(state),
        input=input_,
        created_at=read_time(created),
        updated_at=read_time(updated),
        workflow_version=version,
        output=output,
        parent_execution_id=parent,
        requests=req,
    )


def first_taken_seq(batch: Sequence[int], taken: Iterable[int]) -> int:
    """The seq of `batch` that made an append conflict: the first one already stored, or else
    (the batch repeats a seq) the first repeated one."""
    stored = set(taken)
    seen: set[int] = set()
    for seq in batch:
        if seq in stored or seq in seen:
            return seq
        seen.add(seq)
    return batch[0]


def run_from_row(row: Sequence[Any], read_time: Callable[[Any], datetime]) -> RunRow:
    """`row` in `lease_statements.RUN_COLUMNS` order."""
    execution = execution_from_row(row[:10], read_time)
    worker, epoch, expires, attempts, error = row[10:15]
    if len(row) > 15:
        execution.priority = row[15]
        execution.limits = RunLimits.from_columns(*row[16:21])
    expires_at = None if expires is None else read_time(expires)
    return RunRow(execution, Lease(worker, epoch, expires_at, attempts, error))


def queued_from_row(row: Sequence[Any], read_time: Callable[[Any], datetime]) -> QueuedRun:
    execution_id, workflow_name, version, requests, created_at = row
    return QueuedRun(execution_id, workflow_name, version, requests, read_time(created_at))


def released_from_rows(
    found: Iterable[Sequence[Any]], read_time: Callable[[Any], datetime]
) -> list[QueuedRun]:
    """Rows in `job_statements.RELEASED_COLUMNS` order, earliest run_at first (an UPDATE's
    RETURNING has no order)."""
    timed = sorted(
        ((read_time(row[5]), _released(row, read_time)) for row in found),
        key=lambda pair: (pair[0], pair[1].execution_id),
    )
    return [queued for _, queued in timed]


def _released(row: Sequence[Any], read_time: Callable[[Any], datetime]) -> QueuedRun:
    queued = queued_from_row(row[:5], read_time)
    if len(row) > 6:
        queued.priority = row[6]
        queued.limited = row[7] is not None or row[8] is not None
    return queued


def dispatch_queued_from_row(row: Sequence[Any], read_time: Callable[[Any], datetime]) -> QueuedRun:
    """`row` in `limit_statements.QUEUE_COLUMNS` order, then the concurrency and rate
    rooms."""
    queued = queued_from_row(row[:5], read_time)
    priority, concurrency_key, rate_key, concurrency_room, rate_room = row[5:10]
    queued.priority = priority
    rooms = []
    if concurrency_key is not None:
        rooms.append((f"{CONCURRENCY}:{concurrency_key}", int(concurrency_room)))
    if rate_key is not None:
        rooms.append((f"{RATE}:{rate_key}", int(rate_room)))
    queued.limited, queued.rooms = bool(rooms), tuple(rooms)
    return queued


def slot_from_row(row: Sequence[Any], read_time: Callable[[Any], datetime]) -> SlotRow:
    """`row` in `limit_statements.SLOT_COLUMNS` order, then the run's workflow and state."""
    kind, key, slot, execution_id, capacity, acquired_at, free_at, workflow, state = row
    return SlotRow(
        kind,
        key,
        slot,
        execution_id,
        capacity,
        read_time(acquired_at),
        None if free_at is None else read_time(free_at),
        workflow,
        None if state is None else ExecutionState(state),
    )


def waiting_from_row(kind: str, row: Sequence[Any]) -> LimitWaiting:
    key, workflow, capacity, period, count = row
    return LimitWaiting(kind, key, workflow, int(capacity), period, int(count))


def job_params(job: JobRow, stamp: Callable[[datetime], Stamp]) -> dict[str, Any]:
    """The `jobs` row; `run_at` is the execution's (`execution_params`)."""
    return {
        "execution_id": job.execution_id,
        "name": job.name,
        "type": job.type,
        "runtime": job.runtime,
        "created_at": stamp(job.created_at),
    }


def job_run_from_row(row: Sequence[Any], read_time: Callable[[Any], datetime]) -> JobRun:
    """`row` in `job_statements.JOB_COLUMNS` order, then run_at, then the run's columns."""
    execution_id, name, type_, runtime, created_at, run_at = row[:6]
    job = JobRow(
        execution_id,
        name,
        type_,
        runtime,
        read_time(created_at),
        None if run_at is None else read_time(run_at),
    )
    return JobRun(job, run_from_row(row[6:], read_time))


def log_params(chunk: LogChunk, stamp: Callable[[datetime], Stamp]) -> dict[str, Any]:
    return {
        "execution_id": chunk.execution_id,
        "step_id": chunk.step_id,
        "position": chunk.offset,
        "text": chunk.text,
        "time": stamp(chunk.time),
    }


def log_from_row(row: Sequence[Any], read_time: Callable[[Any], datetime]) -> LogChunk:
    """`row` in `job_statements.LOG_COLUMNS` order."""
    execution_id, step_id, position, text, time = row
    return LogChunk(execution_id, step_id, position, text, read_time(time))


def workflow_params(row: WorkflowRow, stamp: Callable[[datetime], Stamp]) -> dict[str, Any]:
    return {
        "name": row.name,
        "version": row.version,
        "filename": row.filename,
        "source": row.source,
        "metadata": row.metadata,
        "created_at": stamp(row.created_at),
    }


def workflow_from_row(row: Sequence[Any], read_time: Callable[[Any], datetime]) -> WorkflowRow:
    name, version, filename, source, metadata, created_at = row
    return WorkflowRow(name, version, filename, source, metadata, read_time(created_at))


def worker_params(row: WorkerRow, stamp: Callable[[datetime], Stamp]) -> dict[str, Any]:
    return {
        "name": row.name,
        "session_token_hash": row.session_token_hash,
        "resources": row.resources,
        "packages": row.packages,
        "python_version": row.python_version,
        "platform": row.platform,
        "max_concurrency": row.max_concurrency,
        "status": row.status,
        "registered_at": stamp(row.registered_at),
        "last_seen_at": stamp(row.last_seen_at),
        "connection_id": row.connection_id,
    }


def worker_from_row(row: Sequence[Any], read_time: Callable[[Any], datetime]) -> WorkerRow:
    name, token_hash, resources, packages, python, platform, concurrency, status, *rest = row
    registered_at, last_seen_at, connection_id = rest
    return WorkerRow(
        name,
        token_hash,
        resources,
        packages,
        python,
        platform,
        concurrency,
        status,
        read_time(registered_at),
        read_time(last_seen_at),
        connection_id,
    )


def _maybe(moment: datetime | None, convert: Callable[[Any], Any]) -> Any:
    return None if moment is None else convert(moment)


def schedule_params(row: ScheduleRow, stamp: Callable[[datetime], Stamp]) -> dict[str, Any]:
    """The `schedules` row, by column name (`schedule_statements.SCHEDULE_COLUMNS`)."""
    return {
        "id": row.id,
        "name": row.name,
        "workflow_name": row.workflow_name,
        "input": row.input,
        "spec": row.spec,
        "overlap": row.overlap,
        "catchup": row.catchup,
        "catchup_limit": row.catchup_limit,
        "state": row.state,
        "source": row.source,
        "created_at": stamp(row.created_at),
        "updated_at": stamp(row.updated_at),
        "next_fire_at": _maybe(row.next_fire_at, stamp),
        "last_fire_at": _maybe(row.last_fire_at, stamp),
        "last_execution_id": row.last_execution_id,
        "fired": row.fired,
        "skipped": row.skipped,
        "last_error": row.last_error,
        "revision": row.revision,
    }


def schedule_update_params(
    row: ScheduleRow, stamp: Callable[[datetime], Stamp], updated: Sequence[str]
) -> dict[str, Any]:
    """`schedule_statements.update_schedule`'s parameters: `row` at the next revision, if
    the stored one is still at `row.revision`."""
    params = schedule_params(row, stamp)
    values = {f"v_{name}": params[name] for name in updated}
    values["v_revision"] = row.revision + 1
    return {**values, "b_id": row.id, "b_revision": row.revision}


def schedule_from_row(row: Sequence[Any], read_time: Callable[[Any], datetime]) -> ScheduleRow:
    """`row` in `schedule_statements.SCHEDULE_COLUMNS` (the table's) order."""
    (id_, name, workflow, input_, spec, overlap, catchup, limit, state, source, *rest) = row
    created, updated, next_fire, last_fire, last_execution, fired, skipped, error, rev = rest
    return ScheduleRow(
        id=id_,
        name=name,
        workflow_name=workflow,
        input=input_,
        spec=spec,
        overlap=overlap,
        catchup=catchup,
        catchup_limit=limit,
        state=state,
        source=source,
        created_at=read_time(created),
        updated_at=read_time(updated),
        next_fire_at=_maybe(next_fire, read_time),
        last_fire_at=_maybe(last_fire, read_time),
        last_execution_id=last_execution,
        fired=fired,
        skipped=skipped,
        last_error=error,
        revision=rev,
    )


def fire_params(fire: ScheduleFire, stamp: Callable[[datetime], Stamp]) -> dict[str, Any]:
    return {
        "schedule_id": fire.schedule_id,
        "fire_time": stamp(fire.fire_time),
        "execution_id": fire.execution_id,
        "created_at": stamp(fire.created_at),
    }


def fire_from_row(row: Sequence[Any], read_time: Callable[[Any], datetime]) -> ScheduleFire:
    """`row` in `schedule_statements.FIRE_COLUMNS` order, then the run's state (or NULL)."""
    schedule_id, fire_time, execution_id, created_at, state = row
    return ScheduleFire(
        schedule_id,
        read_time(fire_time),
        execution_id,
        read_time(created_at),
        None if state is None else ExecutionState(state),
    )
