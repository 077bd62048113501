"""Queues and limits on the server side (docs/production.md, "Queues and limits").

- `queue_options`: the priority and limit keys of a new run, from its workflow's catalog
  metadata (what `@workflow.with_options(...)` declared) and its input.
- `waiting_reason`: why a queued run waits, when a limit holds it back (`pending_reason`).
- `LimitService`: `GET /limits`, each limit with its capacity, the runs holding its slots
  and how many wait.

Admission itself is the store's (in the claim's transaction, see `flux.storage.leases`);
this module only reads.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flux.api.limits import LimitHolder, LimitList, LimitView, WorkflowLimits
from flux.domain.events import utcnow
from flux.domain.limits import (
    CONCURRENCY,
    RATE,
    Limits,
    RateLimit,
    RunLimits,
    limit_key,
    run_limits,
    shown_rate,
)
from flux.orchestrator.store import LimitWaiting, OrchestratorStore, SlotRow, WorkflowRow

_KEYED = re.compile(r"(.*?)\[([A-Za-z_][A-Za-z0-9_.-]*)=(.*)\]", re.DOTALL)
_SHOWN_HOLDERS = 5
JOB_WORKFLOW = "flux.job"  # script jobs (flux.orchestrator.jobs)
JOB_KEY_FIELD = "concurrencyKey"


def queue_options(
    name: str, metadata: dict[str, Any], input: Any, priority: int | None
) -> tuple[int, RunLimits | None]:
    """A new run's priority (the submission's, else the workflow's) and limits."""
    chosen = (metadata.get("priority") or 0) if priority is None else priority
    return chosen, run_limits(name, Limits.from_dict(metadata.get("limits")), input)


def job_run_limits(key: str | None, concurrency: int) -> RunLimits | None:
    """A script job's limit: `concurrency` jobs at once per `concurrencyKey` value."""
    if key is None:
        return None
    limits = Limits(concurrency, JOB_KEY_FIELD)
    return run_limits(JOB_WORKFLOW, limits, {JOB_KEY_FIELD: key})


def job_key(key: str) -> str:
    return limit_key(JOB_WORKFLOW, JOB_KEY_FIELD, {JOB_KEY_FIELD: key})


def split_key(key: str) -> tuple[str, str | None]:
    """(workflow name, input field) of a limit key."""
    found = _KEYED.fullmatch(key)
    return (key, None) if found is None else (found.group(1), found.group(2))


async def waiting_reason(
    store: OrchestratorStore, limits: RunLimits, now: datetime | None = None
) -> str | None:
    """Why a queued run with `limits` cannot start now, if a limit is why."""
    now = now or utcnow()
    for kind, key in limits.limit_keys():
        slots = await store.limit_slots(kind, key, now)
        if kind == CONCURRENCY:
            capacity = limits.concurrency or 0
            if len(slots) >= capacity:
                holders = ", ".join(s.execution_id for s in slots[:_SHOWN_HOLDERS])
                more = len(slots) - _SHOWN_HOLDERS
                holders += f" and {more} more" if more > 0 else ""
                return (
                    f"waiting for a slot of concurrency limit '{key}' "
                    f"({len(slots)} of {capacity} running: {holders})"
                )
        else:
            capacity = limits.rate or 0
            if len(slots) >= capacity:
                frees = [s.free_at for s in slots if s.free_at is not None]
                when = f"; next start at {min(frees).isoformat()}" if frees else ""
                rate = shown_rate(capacity, limits.period or 0)
                return f"waiting for rate limit '{key}' ({rate} used up{when})"
    return None


@dataclass
class _Limit:
    kind: str
    key: str
    workflow_name: str
    capacity: int = 0
    period: float | None = None
    declared: bool = False
    holders: list[SlotRow] = field(default_factory=list)
    waiting: int = 0

    def view(self) -> LimitView:
        in_use = len(self.holders)
        frees = [s.free_at for s in self.holders if s.free_at is not None]
        rate = self.kind == RATE
        return LimitView(
            kind="rate" if rate else "concurrency",
            key=self.key,
            workflow_name=self.workflow_name,
            capacity=self.capacity,
            period_seconds=self.period if rate else None,
            rate=shown_rate(self.capacity, self.period) if rate and self.period else None,
            in_use=in_use,
            available=max(0, self.capacity - in_use),
            holders=[
                LimitHolder(
                    execution_id=s.execution_id,
                    workflow_name=s.workflow_name,
                    state=s.state,
                    slot=s.slot,
                    since=s.acquired_at,
                    until=s.free_at,
                )
                for s in self.holders
            ],
            waiting=self.waiting,
            next_free_at=min(frees) if rate and frees and in_use >= self.capacity else None,
        )


class LimitService:
    def __init__(self, store: OrchestratorStore):
        self.store = store

    async def list(self, workflow: str | None = None) -> LimitList:
        usage = await self.store.limit_usage(utcnow())
        declared = [
            row for row in await self.store.list_workflows() if workflow in (None, row.name)
        ]
        limits: dict[tuple[str, str], _Limit] = {}

        def entry(kind: str, key: str) -> _Limit:
            found = limits.get((kind, key))
            if found is None:
                found = limits[(kind, key)] = _Limit(kind, key, split_key(key)[0])
            return found

        shown = [_declared(row) for row in declared]
        for row, options in zip(declared, shown, strict=True):
            if options.concurrency is not None and options.concurrency_key is None:
                entry(CONCURRENCY, row.name)
            if options.rate_limit is not None and options.rate_limit_key is None:
                entry(RATE, row.name)
        for slot in usage.slots:
            found = entry(slot.kind, slot.key)
            found.holders.append(slot)
            found.capacity = max(found.capacity, slot.capacity)
            if slot.free_at is not None:
                found.period = (slot.free_at - slot.acquired_at).total_seconds()
        for waiting in usage.waiting:
            _count_waiting(entry(waiting.kind, waiting.key), waiting)
        by_name = {row.name: options for row, options in zip(declared, shown, strict=True)}
        for found in limits.values():
            _apply_declared(found, by_name.get(found.workflow_name))
        views = [
            limits[key].view()
            for key in sorted(limits)
            if workflow in (None, limits[key].workflow_name)
        ]
        return LimitList(
            limits=views,
            workflows=[
                options
                for options in shown
                if options.priority or options.concurrency or options.rate_limit
            ],
        )


def _declared(row: WorkflowRow) -> WorkflowLimits:
    meta = json.loads(row.metadata)
    limits = meta.get("limits") or {}
    return WorkflowLimits(
        workflow_name=row.name,
        priority=meta.get("priority") or 0,
        concurrency=limits.get("concurrency"),
        concurrency_key=limits.get("concurrency_key"),
        rate_limit=limits.get("rate_limit"),
        rate_limit_key=limits.get("rate_limit_key"),
    )


def _count_waiting(found: _Limit, waiting: LimitWaiting) -> None:
    found.waiting += waiting.count
    found.workflow_name = waiting.workflow_name
    found.capacity = max(found.capacity, waiting.capacity)
    if waiting.period is not None:
        found.period = waiting.period


def _apply_declared(found: _Limit, options: WorkflowLimits | None) -> None:
    """The latest upload's capacity applies to new runs: show it when the upload declares
    this limit (with the same key field)."""
    if options is None:
        return
    field_name = split_key(found.key)[1]
    if found.kind == CONCURRENCY:
        if options.concurrency is not None and options.concurrency_key == field_name:
            found.capacity = options.concurrency
    elif options.rate_limit is not None and options.rate_limit_key == field_name:
        rate = RateLimit.parse(options.rate_limit)
        found.capacity, found.period = rate.count, rate.period
