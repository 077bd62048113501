"""The lease rules of docs/distributed.md as pure functions, shared by the SQL adapters.

An adapter locks an execution's row (`SELECT ... FOR UPDATE` on PostgreSQL; SQLite's write
transaction), reads it as a `LockedRun`, asks one of the `plan_*` functions what to do, and
applies the returned `Plan` with one UPDATE (and the events it names). Keeping the decisions
here means SQLite and PostgreSQL cannot drift apart; only the transaction skeleton is theirs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flux.domain.events import ExecutionEventType, ExecutionState
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
)


@dataclass(slots=True)
class LockedRun:
    execution_id: str
    workflow_name: str
    state: ExecutionState
    parent_execution_id: str | None
    lease: Lease

    @classmethod
    def from_row(cls, row: Sequence[Any], read_time: Any) -> LockedRun:
        execution_id, name, state, parent, worker, epoch, expires, attempts, error = row
        expires_at = None if expires is None else read_time(expires)
        lease = Lease(worker, epoch, expires_at, attempts, error)
        return cls(execution_id, name, ExecutionState(state), parent, lease)

    def transition(self) -> Transition:
        return Transition(
            self.execution_id,
            self.workflow_name,
            self.state,
            self.lease.worker_name,
            self.parent_execution_id,
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
