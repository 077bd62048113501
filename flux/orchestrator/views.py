"""Stored executions as the API shows them (`flux.api.models`), values decoded for display."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from flux.api.models import EventView, ExecutionView, WorkflowDetail, WorkflowInfo
from flux.api.worker_protocol import PackageInfo, WorkerResources
from flux.domain.events import ExecutionEventType, ExecutionState, utcnow
from flux.engine.store import EventRow
from flux.orchestrator.fit import Capacity, shortfall
from flux.orchestrator.store import RunRow, WorkerRow, WorkflowRow
from flux.orchestrator.values import DisplayDecoder

_E = ExecutionEventType
_S = ExecutionState


def execution_view(
    run: RunRow,
    decoder: DisplayDecoder,
    *,
    detailed: bool = False,
    pending_reason: str | None = None,
) -> ExecutionView:
    row, lease = run.execution, run.lease
    return ExecutionView(
        execution_id=row.execution_id,
        workflow_name=row.workflow_name,
        workflow_version=row.workflow_version,
        state=row.state,
        input=decoder.decode(row.input),
        output=_output(run, decoder),
        error=lease.error if row.state is _S.FAILED else None,
        worker_name=lease.worker_name,
        parent_execution_id=row.parent_execution_id,
        rerun_of=rerun_origin(row.events, decoder.decode),
        attempts=lease.attempts,
        pending_reason=pending_reason if row.state is _S.SCHEDULED else None,
        priority=row.priority,
        limit_keys=[f"{kind}:{key}" for kind, key in row.limits.limit_keys()] if row.limits else [],
        created_at=row.created_at,
        updated_at=row.updated_at,
        events=[event_view(e, decoder) for e in row.events] if detailed else None,
    )


def _output(run: RunRow, decoder: DisplayDecoder) -> Any:
    row = run.execution
    if row.state is _S.COMPLETED:
        return decoder.decode(row.output)
    if row.state is _S.FAILED:
        return run.lease.error
    if row.state is _S.PAUSED:
        paused = _last(run.execution.events, _E.WORKFLOW_PAUSED)
        value = decoder.decode(paused.value) if paused else None
        return value.get("output") if isinstance(value, dict) else None
    return None


def _last(events: list[EventRow], type: ExecutionEventType) -> EventRow | None:
    return next((e for e in reversed(events) if e.type == type.value), None)


def event_view(event: EventRow, decoder: DisplayDecoder) -> EventView:
    return EventView(
        id=event.id,
        type=event.type,
        source_id=event.source_id,
        name=event.name,
        value=decoder.decode(event.value),
        time=event.time,
    )


def workflow_info(row: WorkflowRow) -> WorkflowInfo:
    meta = json.loads(row.metadata)
    return WorkflowInfo(
        name=row.name,
        version=row.version,
        filename=row.filename,
        created_at=row.created_at,
        secret_requests=meta.get("secret_requests") or [],
        requests=meta.get("requests"),
        schedule=meta.get("schedule"),
        limits=meta.get("limits"),
        priority=meta.get("priority") or 0,
    )


def workflow_detail(row: WorkflowRow, versions: list[str]) -> WorkflowDetail:
    return WorkflowDetail(**workflow_info(row).model_dump(), versions=versions, source=row.source)


def worker_capacity(row: WorkerRow) -> Capacity:
    return _capacity(row.resources, row.packages)


@functools.lru_cache(maxsize=256)
def _capacity(resources_json: str, packages_json: str) -> Capacity:
    # Cached by the report's text: a worker's report changes rarely, and parsing its few
    # hundred packages for every queued run's view was a fifth of the server's time.
    resources = WorkerResources.model_validate_json(resources_json)
    packages = [PackageInfo.model_validate(p) for p in json.loads(packages_json)]
    return Capacity.of(resources, packages)


def pending_reason(requests: str | None, workers: list[WorkerRow], stale_after: float) -> str:
    """Why a queued run is not running, from the workers connected to any replica."""
    seen_since = utcnow() - timedelta(seconds=stale_after)
    live = [w for w in workers if w.status == "connected" and w.last_seen_at >= seen_since]
    if not live:
        return "no worker is connected"
    reasons = []
    for worker in live:
        try:
            reason = shortfall(requests, worker_capacity(worker))
        except ValueError as exc:
            return f"its resource request cannot be read: {exc}"
        if reason is None:
            return "waiting for a free worker slot"
        reasons.append(f"worker '{worker.name}': {reason}")
    return "no connected worker fits it (" + "; ".join(reasons[:5]) + ")"


def rerun_origin(events: Sequence[EventRow], decode: Any) -> str | None:
    """The execution a run reruns, read from its first event, where `flux.orchestrator.rerun`
    records it (None for other runs). `decode` turns a stored value into plain data (the
    server's display decoder)."""
    if not events or events[0].type != _E.WORKFLOW_SCHEDULED.value or events[0].value is None:
        return None
    origin = decode(events[0].value)
    found = origin.get("rerun_of") if isinstance(origin, dict) else None
    return found if isinstance(found, str) else None
