"""The lease rules of docs/distributed.md as pure functions, shared by the SQL adapters.

An adapter locks an execution's row (`SELECT ... FOR UPDATE` on PostgreSQL; SQLite's write
transaction), reads it as a `LockedRun`, asks one of the `plan_*` functions what to do, and
applies the returned `Plan` with one UPDATE (and the events it names). Keeping the decisions
here means SQLite and PostgreSQL cannot drift apart; only the transaction skeleton is theirs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flux.domain.events import ExecutionEventType, ExecutionState
from flux.domain.limits import CONCURRENCY, RATE, RunLimits
from flux.orchestrator.store import (
    HELD_STATES,
    Lease,
    LeaseLostError,
    ReleasePolicy,
    StateConflictError,
    Transition,
    crash_release_state,
    lease_lost_detail,
)

_E = ExecutionEventType
_S = ExecutionState

# Column order of `LeaseStatements.lock_run`.
LOCK_COLUMNS = (
    "execution_id",
    "workflow_name",
    "state",
    "parent_execution_id",
    "worker_name",
    "lease_epoch",
    "lease_expires_at",
    "attempts",
    "error",
    # The run's limits (`flux.domain.limits.RunLimits.columns`).
    "concurrency_key",
    "concurrency_limit",
    "rate_key",
    "rate_limit",
    "rate_period",
)


@dataclass(slots=True)
class LockedRun:
    execution_id: str
    workflow_name: str
    state: ExecutionState
    parent_execution_id: str | None
    lease: Lease
    limits: RunLimits | None = None

    @classmethod
    def from_row(cls, row: Sequence[Any], read_time: Any) -> LockedRun:
        execution_id, name, state, parent, worker, epoch, expires, attempts, error = row[:9]
        expires_at = None if expires is None else read_time(expires)
        lease = Lease(worker, epoch, expires_at, attempts, error)
        limits = RunLimits.from_columns(*row[9:14])
        return cls(execution_id, name, ExecutionState(state), parent, lease, limits)

    @property
    def frees_slot(self) -> bool:
        """Whether, in its state now, the run holds no concurrency slot it may have held."""
        limited = self.limits is not None and self.limits.concurrency_key is not None
        return limited and self.state not in HELD_STATES

    def transition(self) -> Transition:
        return Transition(
            self.execution_id,
            self.workflow_name,
            self.state,
            self.lease.worker_name,
            self.parent_execution_id,
            freed=self.frees_slot,
        )


@dataclass(slots=True)
class PlannedEvent:
    type: ExecutionEventType
    value: bytes | None = None
    source_id: str | None = None


@dataclass(slots=True)
class Plan:
    """The row as it must be after the write, and the events to record with it."""

    run: LockedRun
    events: list[PlannedEvent] = field(default_factory=list)

    def update_params(self, stamp: Any, now: datetime) -> dict[str, Any]:
        lease = self.run.lease
        return {
            "b_execution_id": self.run.execution_id,
            "b_state": self.run.state.value,
            "b_worker_name": lease.worker_name,
            "b_lease_epoch": lease.epoch,
            "b_lease_expires_at": None if lease.expires_at is None else stamp(lease.expires_at),
            "b_attempts": lease.attempts,
            "b_error": lease.error,
            "b_updated_at": stamp(now),
        }


def require_held(run: LockedRun | None, execution_id: str, worker: str, epoch: int) -> LockedRun:
    if run is None:
        raise KeyError(execution_id)
    lease = run.lease
    if run.state not in HELD_STATES or lease.worker_name != worker or lease.epoch != epoch:
        raise LeaseLostError(execution_id, lease_lost_detail(run.state, lease, worker, epoch))
    return run


def plan_claim(
    run: LockedRun | None,
    execution_id: str,
    worker: str,
    claimed_value: bytes,
    expires_at: datetime,
    *,
    force: bool = False,
) -> Plan:
    """SCHEDULED -> CLAIMED; `force` takes over a held run (a subworkflow being replayed)."""
    if run is None:
        raise KeyError(execution_id)
    if run.state is not _S.SCHEDULED and not (force and run.state in HELD_STATES):
        raise StateConflictError(execution_id, run.state, "claim")
    lease = run.lease
    run.state = _S.CLAIMED
    lease.worker_name, lease.expires_at = worker, expires_at
    lease.epoch += 1
    lease.attempts += 1
    return Plan(run, [PlannedEvent(_E.WORKFLOW_CLAIMED, claimed_value)])


def plan_release(run: LockedRun | None, execution_id: str, worker: str, epoch: int) -> Plan:
    """A graceful hand-back: the attempt is not counted against the crash-loop limit."""
    run = require_held(run, execution_id, worker, epoch)
    run.lease.expires_at = None
    run.lease.attempts = max(0, run.lease.attempts - 1)
    if run.state is _S.CANCELLING:
        run.state = _S.CANCELLED
        return Plan(run, [PlannedEvent(_E.WORKFLOW_CANCELLED)])
    run.state = _S.SCHEDULED
    return Plan(run)


def plan_crash_release(run: LockedRun, policy: ReleasePolicy) -> Plan:
    lease = run.lease
    top_level = run.parent_execution_id is None
    run.state = crash_release_state(run.state, lease.attempts, top_level, policy.max_attempts)
    lease.expires_at = None
    if run.state is _S.CANCELLED:
        return Plan(run, [PlannedEvent(_E.WORKFLOW_CANCELLED)])
    if run.state is _S.FAILED:
        lease.error, value = policy.fail(lease.worker_name, lease.attempts)
        return Plan(run, [PlannedEvent(_E.WORKFLOW_FAILED, value)])
    return Plan(run)


def plan_resume(
    run: LockedRun | None, execution_id: str, value: bytes | None, pause_step: str | None
) -> Plan:
    if run is None:
        raise KeyError(execution_id)
    if run.state is not _S.PAUSED or pause_step is None:
        raise StateConflictError(execution_id, run.state, "resume")
    run.state = _S.SCHEDULED
    # A resumed run starts a new phase: its crash-loop count starts again.
    run.lease.attempts = 0
    return Plan(run, [PlannedEvent(_E.WORKFLOW_RESUMED, value, pause_step)])


def plan_cancel(run: LockedRun | None, execution_id: str) -> Plan:
    if run is None:
        raise KeyError(execution_id)
    if run.state.is_terminal:
        raise StateConflictError(execution_id, run.state, "cancel")
    if run.state in HELD_STATES:
        # The holder is told and records the end itself (its rollbacks run).
        run.state = _S.CANCELLING
        return Plan(run)
    run.state = _S.CANCELLED
    run.lease.expires_at = None
    return Plan(run, [PlannedEvent(_E.WORKFLOW_CANCELLED)])


def checkpoint_params(
    execution_id: str,
    worker: str,
    epoch: int,
    state: ExecutionState | None,
    output: bytes | None,
    error: str | None,
    expires_at: Any,
    now: Any,
) -> dict[str, Any]:
    """Parameters of `LeaseStatements.checkpoint`. A run being cancelled stays CANCELLING
    while the worker reports progress; a pause or an end releases the lease."""
    ends = state is not None and (state.is_terminal or state is _S.PAUSED)
    return {
        "b_execution_id": execution_id,
        "b_worker_name": worker,
        "b_lease_epoch": epoch,
        "b_state": None if state is None else state.value,
        "b_keep_cancelling": 1 if state in (_S.CLAIMED, _S.RUNNING) else 0,
        "b_output": output,
        "b_error": error,
        "b_lease_expires_at": None if ends else expires_at,
        "b_updated_at": now,
    }


# Admission under limits (docs/production.md, "Queues and limits"). An adapter, inside the
# claim's transaction, reads the busy slots of each limit the run has, tries to insert a
# free slot number below the capacity (the primary key refuses a slot another claim took
# meanwhile), and when one limit has no free slot deletes the slots it took for the others.


@dataclass(frozen=True, slots=True)
class SlotRequest:
    kind: str
    key: str
    capacity: int
    free_at: datetime | None  # a rate slot's end; None: until the run lets go

    def candidates(self, busy: set[int]) -> list[int]:
        return [slot for slot in range(self.capacity) if slot not in busy]

    def refusal(self, busy: int) -> str:
        if self.kind == CONCURRENCY:
            return f"concurrency limit '{self.key}' is full ({busy} of {self.capacity} running)"
        return f"rate limit '{self.key}' is used up ({busy} of {self.capacity} starts)"


def slot_requests(limits: RunLimits | None, now: datetime) -> list[SlotRequest]:
    """The slots a claim of a run with `limits` must take at `now`."""
    if limits is None:
        return []
    wanted = []
    if limits.concurrency_key is not None and limits.concurrency is not None:
        wanted.append(SlotRequest(CONCURRENCY, limits.concurrency_key, limits.concurrency, None))
    if limits.rate_key is not None and limits.rate is not None and limits.period is not None:
        free_at = now + timedelta(seconds=limits.period)
        wanted.append(SlotRequest(RATE, limits.rate_key, limits.rate, free_at))
    return wanted


def slot_params(
    request: SlotRequest, slot: int, execution_id: str, now: datetime, stamp: Any
) -> dict[str, Any]:
    """Parameters of `LimitStatements.acquire`."""
    return {
        "kind": request.kind,
        "limit_key": request.key,
        "slot": slot,
        "execution_id": execution_id,
        "capacity": request.capacity,
        "acquired_at": stamp(now),
        "free_at": None if request.free_at is None else stamp(request.free_at),
        "lock_key": f"{request.kind}:{request.key}",
    }


def busy_params(request: SlotRequest, now: datetime, stamp: Any) -> dict[str, Any]:
    return {"kind": request.kind, "limit_key": request.key, "now": stamp(now)}


def free_params(kind: str, key: str, execution_id: str) -> dict[str, Any]:
    return {"kind": kind, "limit_key": key, "execution_id": execution_id}


def concurrency_release(run: LockedRun) -> dict[str, Any] | None:
    """Parameters of `LimitStatements.free` when `run`, as planned, gives its slot back."""
    if not run.frees_slot or run.limits is None or run.limits.concurrency_key is None:
        return None
    return free_params(CONCURRENCY, run.limits.concurrency_key, run.execution_id)
