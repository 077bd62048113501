"""What the server needs from persistence beyond the engine's `ExecutionStore`.

Like `flux.engine.store`, this module is a contract only (dataclasses, errors, a Protocol and
the one release rule every adapter applies): `flux.storage` implements it and may import it,
and it imports nothing above the engine.

Every method is one transaction. Leases follow docs/distributed.md: a claim moves a run from
SCHEDULED to CLAIMED and bumps its `lease_epoch` (the fencing token); every later write by a
worker names the epoch it holds and is refused with `LeaseLostError` when that is no longer
the run's epoch, holder, or a held state.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from flux.domain.events import ExecutionEventType, ExecutionState, new_event_id
from flux.engine.store import EventRow, ExecutionRow, ExecutionStore

_S = ExecutionState
# States in which a worker holds the run under a lease.
HELD_STATES = (_S.CLAIMED, _S.RUNNING, _S.CANCELLING)


@dataclass(slots=True)
class Lease:
    """The dispatch columns of an execution."""

    worker_name: str | None = None
    epoch: int = 0
    expires_at: datetime | None = None
    attempts: int = 0
    error: str | None = None


@dataclass(slots=True)
class RunRow:
    execution: ExecutionRow
    lease: Lease


@dataclass(slots=True)
class QueuedRun:
    """A top-level SCHEDULED execution, as the dispatcher sees it."""

    execution_id: str
    workflow_name: str
    workflow_version: str | None
    requests: str | None
    created_at: datetime
    priority: int = 0
    # Whether the run has limits. Read from the queue, `rooms` also says, per limit
    # ("kind:key"), how many more runs it admits now: a hint for the dispatcher (the claim
    # decides). A run announced at submission has no rooms yet.
    limited: bool = False
    rooms: tuple[tuple[str, int], ...] = ()


@dataclass(slots=True)
class Transition:
    """A state a write left an execution in; the orchestrator notifies waiters with it."""

    execution_id: str
    workflow_name: str
    state: ExecutionState
    worker_name: str | None = None
    parent_execution_id: str | None = None
    # The run gave a concurrency slot back: runs waiting for it may be admitted now.
    freed: bool = False


@dataclass(slots=True)
class SlotRow:
    """A busy slot of a limit (table `limit_slots`), with the run holding it when that
    run is still stored."""

    kind: str  # "concurrency" | "rate"
    key: str
    slot: int
    execution_id: str
    capacity: int
    acquired_at: datetime
    free_at: datetime | None = None  # a rate slot counts until then
    workflow_name: str | None = None
    state: ExecutionState | None = None


@dataclass(slots=True)
class LimitWaiting:
    """Queued top-level runs under one limit key."""

    kind: str
    key: str
    workflow_name: str
    capacity: int
    period: float | None
    count: int


@dataclass(slots=True)
class LimitUsage:
    slots: list[SlotRow]
    waiting: list[LimitWaiting]


@dataclass(slots=True)
class WorkflowRow:
    name: str
    version: str
    filename: str | None
    source: str
    metadata: str  # JSON text
    created_at: datetime


@dataclass(slots=True)
class WorkerRow:
    name: str
    session_token_hash: str
    resources: str  # JSON text
    packages: str  # JSON text
    python_version: str
    platform: str
    max_concurrency: int
    status: str
    registered_at: datetime
    last_seen_at: datetime
    connection_id: str | None = None


@dataclass(slots=True)
class CheckpointWrite:
    """What a worker's checkpoint asks to write to one execution."""

    execution_id: str
    worker_name: str
    epoch: int
    events: Sequence[EventRow]
    state: ExecutionState | None = None
    output: bytes | None = None
    error: str | None = None


@dataclass(slots=True)
class JobRow:
    """What a script job adds to its execution (table `jobs`); the script, payload and
    limits live in the execution's input."""

    execution_id: str
    name: str
    type: str
    runtime: str  # as submitted, e.g. "node:18"
    created_at: datetime
    run_at: datetime | None = None  # not before; the execution waits CREATED until then


# What `create_job` takes: the execution, its first events and the `jobs` row.
NewJob = tuple[ExecutionRow, Sequence[EventRow], JobRow]


@dataclass(slots=True)
class JobRun:
    job: JobRow
    run: RunRow


@dataclass(slots=True)
class LogChunk:
    """A piece of a running step's output, shipped by the worker while the step runs.
    `offset` is the position (in characters) of `text` in that step's whole output."""

    execution_id: str
    step_id: str
    offset: int
    text: str
    time: datetime


@dataclass(slots=True)
class ScheduleRow:
    """A stored schedule (table `schedules`): what to start (`workflow_name` with `input`),
    when (`spec`, a schedule's `to_dict()` as JSON text) and the policies; `next_fire_at`
    is None once it will never fire again. `revision` grows with every write: updates name
    the revision they read, so two replicas can never both fire the same time."""

    id: str
    name: str
    workflow_name: str
    input: str  # JSON text
    spec: str  # JSON text
    overlap: str  # "skip" | "allow"
    catchup: str  # "skip" | "latest" | "all"
    catchup_limit: int
    state: str  # "active" | "paused"
    source: str  # "api" | "workflow" (made from an uploaded workflow's schedule=)
    created_at: datetime
    updated_at: datetime
    next_fire_at: datetime | None = None
    last_fire_at: datetime | None = None
    last_execution_id: str | None = None  # the last run it started (for overlap "skip")
    fired: int = 0  # runs started
    skipped: int = 0  # fire times skipped by the overlap policy or an unknown target
    last_error: str | None = None  # why the last fire started nothing, if it did not
    revision: int = 0


@dataclass(slots=True)
class ScheduleFire:
    """One fire time of a schedule (table `schedule_fires`, key (schedule_id, fire_time)):
    the run it started, or None when it was skipped. `state` is the run's state when read."""

    schedule_id: str
    fire_time: datetime
    execution_id: str | None
    created_at: datetime
    state: ExecutionState | None = None


@dataclass(frozen=True, slots=True)
class RunQuery:
    """What `search_runs` and `count_search` match (the dashboard's execution list): every
    filter given must hold; the defaults match every execution."""

    workflow_name: str | None = None
    states: tuple[ExecutionState, ...] = ()  # any of these; empty: any state
    created_after: datetime | None = None  # inclusive
    created_before: datetime | None = None  # exclusive
    # Keyset paging: only runs listed after this (created_at, execution_id) newest first,
    # so that a deep page costs what the first one does.
    after_run: tuple[datetime, str] | None = None
    parent_execution_id: str | None = None
    top_level: bool = False  # leave out subworkflow runs
    # Runs of a catalog version stored under this file name (JSON DAGs are stored under one
    # fixed name); with `other_file`, every run but those (built-in workflows have no
    # catalog version, so they are among them).
    catalog_file: str | None = None
    other_file: bool = False
    excluded_workflow: str | None = None  # leave out the runs of this workflow


@dataclass(slots=True)
class AuditRecord:
    """One recorded action (table `audit_log`, docs/audit.md): who (`actor`, a principal's
    label, with its `role`), what (`action`, e.g. "secret.read", on `target`), how it ended
    (the HTTP `status`), from where (`client`) and a small JSON `detail`. Never a request
    body or a secret's value. `id` is given by the store when appended."""

    at: datetime
    actor: str
    action: str
    role: str | None = None
    target: str | None = None
    status: int | None = None
    client: str | None = None
    detail: str | None = None  # JSON text
    id: int | None = None


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """What `list_audit` matches: every filter given must hold."""

    actor: str | None = None  # contained in the actor, ignoring case ("alice", a key id)
    # Exact; a family without a dot ("secret") matches each of its actions ("secret.read").
    action: str | None = None
    target: str | None = None  # exact
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive
    # Keyset paging: only records listed after this (at, id) newest first.
    before: tuple[datetime, int] | None = None


@dataclass(slots=True)
class ApiKeyRow:
    """One API key (table `api_keys`, docs/security.md). The key itself is never stored:
    `secret_hash` is the sha256 hex of its secret part. `role` is a `flux.domain.access.Role`
    value; `created_by` the creator's label (None for the key made at first start)."""

    id: str
    name: str
    role: str
    secret_hash: str
    created_at: datetime
    created_by: str | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class MinuteCount:
    """How many executions ended in `state` during the minute starting at `minute` (UTC)."""

    minute: datetime
    state: ExecutionState
    count: int


@dataclass(frozen=True, slots=True)
class ReleasePolicy:
    """How a lease lost by a crash (disconnect, expiry) is released.

    `fail(worker_name, attempts)` gives the error text and the encoded WORKFLOW_FAILED value
    of a run that reached `max_attempts` (the store never encodes values itself)."""

    max_attempts: int
    fail: Callable[[str | None, int], tuple[str, bytes]]


class LeaseLostError(Exception):
    """A worker wrote to a run it no longer holds at that epoch (fencing)."""

    def __init__(self, execution_id: str, detail: str):
        super().__init__(f"execution '{execution_id}': {detail}")
        self.execution_id = execution_id


class NotAdmittedError(Exception):
    """A queued run cannot be claimed now: one of its limits has no free slot. It stays
    queued."""

    def __init__(self, execution_id: str, reason: str):
        super().__init__(f"execution '{execution_id}' waits: {reason}")
        self.execution_id, self.reason = execution_id, reason


class StateConflictError(Exception):
    """The execution is not in a state that allows the action (claim, resume, cancel)."""

    def __init__(self, execution_id: str, state: ExecutionState, action: str):
        super().__init__(f"cannot {action} execution '{execution_id}': it is {state.value}")
        self.execution_id, self.state, self.action = execution_id, state, action


def crash_release_state(
    state: ExecutionState, attempts: int, top_level: bool, max_attempts: int
) -> ExecutionState:
    """Where a run goes when its worker is gone: a cancel in flight completes; a top-level
    run that has now lost `max_attempts` workers fails; anything else is queued again.
    Subworkflows run inline in their parent, which carries the attempt limit for both."""
    if state is _S.CANCELLING:
        return _S.CANCELLED
    if top_level and attempts >= max_attempts:
        return _S.FAILED
    return _S.SCHEDULED


def server_event(
    execution_id: str,
    seq: int,
    type: ExecutionEventType,
    workflow_name: str,
    value: bytes | None,
    now: datetime,
    source_id: str | None = None,
) -> EventRow:
    """An event the server itself records (SCHEDULED, CLAIMED, RESUMED, CANCELLED, FAILED)."""
    return EventRow(
        execution_id,
        seq,
        new_event_id(),
        type.value,
        source_id or execution_id,
        workflow_name,
        value,
        now,
    )


def lease_lost_detail(state: ExecutionState, lease: Lease, worker_name: str, epoch: int) -> str:
    """Why a fenced write was refused, for the 409 the worker gets."""
    if state not in HELD_STATES:
        return f"it is {state.value}, no worker holds it"
    if lease.worker_name != worker_name:
        return f"it is held by worker '{lease.worker_name}', not '{worker_name}'"
    return f"lease epoch {epoch} is stale (current epoch {lease.epoch})"


class OrchestratorStore(ExecutionStore, Protocol):
    async def ping(self) -> None:
        """Raise if the database cannot be reached."""

    # Executions with their leases

    async def get_run(self, execution_id: str, *, with_events: bool = True) -> RunRow | None: ...

    async def list_runs(
        self,
        *,
        workflow_name: str | None = None,
        state: ExecutionState | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[RunRow]:
        """Newest first, without events."""

    async def count_runs(
        self, *, workflow_name: str | None = None, state: ExecutionState | None = None
    ) -> int: ...

    async def count_by_state(self) -> dict[ExecutionState, int]: ...

    async def queued(self, limit: int, offset: int = 0) -> list[QueuedRun]:
        """Top-level SCHEDULED executions in dispatch order: higher priority first, then
        oldest first. Runs whose limits have no room now are left out; the others carry
        their rooms (no lock: claims decide)."""

    # Leases

    async def claim(
        self, execution_id: str, worker_name: str, claimed_value: bytes, expires_at: datetime
    ) -> RunRow:
        """SCHEDULED -> CLAIMED, epoch + 1, attempts + 1, WORKFLOW_CLAIMED recorded; returns
        the run with its events. A run with limits is admitted in the same transaction (a
        slot of each limit taken), or NotAdmittedError with nothing written. KeyError if
        unknown, StateConflictError if not SCHEDULED."""

    async def claim_next(
        self,
        worker_name: str,
        claimed_value: bytes,
        expires_at: datetime,
        limit: int,
        fits: Callable[[str | None], bool],
    ) -> list[RunRow]:
        """Claim up to `limit` top-level queued runs whose requests `fits`, in dispatch
        order, skipping rows another transaction holds (SKIP LOCKED) and runs their limits
        do not admit now."""

    async def claim_child(
        self,
        parent: CheckpointWrite,
        child: ExecutionRow,
        claimed_value: bytes,
        expires_at: datetime,
    ) -> RunRow:
        """A subworkflow of a run the worker holds (`parent.execution_id` at `parent.epoch`):
        created CLAIMED by the worker, or taken over at a new epoch if it exists (as it is,
        when it already paused or finished). LeaseLostError if the parent is not held so."""

    async def checkpoint(self, write: CheckpointWrite, expires_at: datetime) -> Transition:
        """Append events (and set state / output / error) if the worker holds the run at
        that epoch; renews the lease, or ends it when the run pauses or finishes (and
        gives its concurrency slot back). A run being cancelled stays CANCELLING until the
        worker records an end. KeyError, LeaseLostError, EventConflictError.

        Every write that moves a run out of CLAIMED / RUNNING / CANCELLING (release, crash
        release, cancel, checkpoint) frees its concurrency slot in the same transaction."""

    async def checkpoint_many(
        self, writes: Sequence[CheckpointWrite], expires_at: datetime
    ) -> list[Transition | Exception]:
        """`checkpoint` for each write, in order, in one transaction: one result per write,
        its Transition or the KeyError / LeaseLostError / EventConflictError that refused
        it (a refused write stores nothing; the others are stored all the same)."""

    async def renew(
        self,
        worker_name: str,
        held: Sequence[tuple[str, int]],
        expires_at: datetime,
        resources: str | None,
        now: datetime,
    ) -> list[str]:
        """Extend the leases in `held` (id, epoch) and mark the worker seen; returns the ids
        it no longer holds."""

    async def release(self, execution_id: str, worker_name: str, epoch: int) -> Transition:
        """A graceful hand-back: SCHEDULED again (CANCELLED if cancelling); the attempt does
        not count. LeaseLostError / KeyError."""

    async def release_worker(
        self, worker_name: str, connection_id: str | None, policy: ReleasePolicy, now: datetime
    ) -> list[Transition]:
        """Release every lease of a worker that left. With `connection_id`, only if that is
        still the worker's connection (a newer one on another replica keeps its leases);
        the worker is marked disconnected either way only if it matches."""

    async def release_expired(
        self, now: datetime, policy: ReleasePolicy, limit: int
    ) -> list[Transition]:
        """Release leases that expired before `now` (SKIP LOCKED: replicas share the work)."""

    async def resume(self, execution_id: str, value: bytes | None, now: datetime) -> Transition:
        """PAUSED -> SCHEDULED with WORKFLOW_RESUMED (source: the pause step). KeyError,
        StateConflictError."""

    async def cancel(self, execution_id: str, now: datetime) -> Transition:
        """Not held -> CANCELLED (WORKFLOW_CANCELLED recorded); held -> CANCELLING, the
        holder is told by the caller. StateConflictError when already finished."""

    # Catalog

    async def save_workflows(self, workflows: Sequence[WorkflowRow]) -> None:
        """Insert the workflows of one file, or refresh `created_at` of a version already
        there (the latest upload wins)."""

    async def get_workflow(self, name: str, version: str | None = None) -> WorkflowRow | None:
        """That version, or the latest uploaded one."""

    async def list_workflows(self) -> list[WorkflowRow]:
        """The latest version of each workflow, by name."""

    async def workflow_versions(self, name: str) -> list[str]:
        """Newest first."""

    # Script jobs

    async def create_job(self, row: ExecutionRow, events: Sequence[EventRow], job: JobRow) -> None:
        """One transaction: the execution (with `executions.run_at = job.run_at`), its first
        events and the `jobs` row. The caller sets `row.state`: CREATED when `run_at` lies
        ahead, SCHEDULED otherwise."""

    async def create_jobs(self, jobs: Sequence[NewJob]) -> list[Exception | None]:
        """`create_job` for several jobs in one transaction (a group commit). Per job, None
        (stored) or the error that job alone met, which stored nothing of it
        (`ExecutionExistsError` when its id is taken, also by an earlier job of the same
        batch). Any other failure is raised and then nothing of any job is stored."""

    async def get_job(self, execution_id: str) -> JobRun | None:
        """The job and its run (with events)."""

    async def list_jobs(
        self,
        *,
        name: str | None = None,
        type: str | None = None,
        states: Sequence[ExecutionState] | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[JobRun]:
        """Newest first, runs without events."""

    async def count_jobs(
        self,
        *,
        name: str | None = None,
        type: str | None = None,
        states: Sequence[ExecutionState] | None = None,
    ) -> int: ...

    # Timers: executions that wait CREATED until their `run_at`

    async def release_due(self, now: datetime, limit: int) -> list[QueuedRun]:
        """CREATED executions whose `run_at` <= now become SCHEDULED (each exactly once
        across replicas); returns them for the dispatchers."""

    async def next_due(self) -> datetime | None:
        """The earliest `run_at` of a CREATED execution, if any."""

    # Schedules

    # Retention (flux.orchestrator.retention)

    async def execution_workflow_names(self) -> list[str]:
        """The workflow names that have executions stored."""

    async def prune_executions(self, workflow: str, cutoff: datetime, limit: int) -> int:
        """Delete the oldest `limit` finished (COMPLETED, FAILED, CANCELLED) executions of
        `workflow` created and last updated before `cutoff`, with their events, logs and
        job rows; returns how many. Running, paused and queued executions are never
        deleted."""

    async def count_prunable(self, workflow: str, cutoff: datetime) -> int:
        """How many executions `prune_executions` would delete without a limit."""

    async def create_schedule(self, row: ScheduleRow) -> None:
        """ScheduleExistsError when the name (or id) is taken."""

    async def get_schedule(self, key: str) -> ScheduleRow | None:
        """By id, else by name."""

    async def list_schedules(self) -> list[ScheduleRow]:
        """By name."""

    async def update_schedule(
        self,
        row: ScheduleRow,
        *,
        fires: Sequence[ScheduleFire] = (),
        runs: Sequence[ExecutionRow] = (),
    ) -> bool:
        """One transaction: if the stored schedule is still at `row.revision`, write `row`'s
        fields with the revision + 1 (`row.revision` is updated), insert `runs` (executions
        with their `events`) and the `fires`. False, with nothing written, when the
        schedule changed meanwhile, is gone, or one of `fires` is stored already (another
        replica fired it): a fire time starts at most one run."""

    async def delete_schedule(self, schedule_id: str) -> bool:
        """Its fires go with it; the runs it started stay."""

    async def due_schedules(self, now: datetime, limit: int) -> list[ScheduleRow]:
        """Active schedules whose `next_fire_at` <= now, earliest first (no lock: the
        revision check of `update_schedule` decides who fires)."""

    async def next_schedule_due(self) -> datetime | None:
        """The earliest `next_fire_at` of an active schedule."""

    async def schedule_fires(self, schedule_id: str, limit: int) -> list[ScheduleFire]:
        """The latest fires, newest first, with their runs' states."""

    # Read models (the dashboard)

    async def search_runs(self, query: RunQuery, limit: int, offset: int) -> list[RunRow]:
        """Newest first (then by execution id, so pages never skip or repeat a row), without
        events."""

    async def count_search(self, query: RunQuery) -> int: ...

    async def get_runs(self, execution_ids: Sequence[str]) -> list[RunRow]:
        """Those of `execution_ids` that exist, in no particular order, without events."""

    async def finished_by_minute(self, since: datetime) -> list[MinuteCount]:
        """Executions now COMPLETED, FAILED or CANCELLED whose last update was at or after
        `since`, counted per state and per minute of that update (UTC)."""

    # Audit log (flux.orchestrator.audit)

    async def append_audit(self, records: Sequence[AuditRecord]) -> None:
        """Store records in one transaction; each gets the next id."""

    async def list_audit(self, query: AuditQuery, limit: int) -> list[AuditRecord]:
        """Newest first (by time, then id), at most `limit`."""

    async def prune_audit(self, cutoff: datetime, limit: int) -> int:
        """Delete at most `limit` of the oldest records from before `cutoff`; how many."""

    # API keys (flux.orchestrator.api_keys)

    async def create_api_key(self, key: ApiKeyRow, *, unless_admin_exists: bool = False) -> bool:
        """Store `key`. With `unless_admin_exists`, only if no unrevoked admin key exists,
        decided atomically across processes (two replicas starting at once make one first
        key); returns whether it was stored."""

    async def get_api_key(self, key_id: str) -> ApiKeyRow | None: ...

    async def list_api_keys(self) -> list[ApiKeyRow]:
        """Every key, revoked ones too, oldest first."""

    async def revoke_api_key(self, key_id: str, at: datetime) -> ApiKeyRow | None:
        """Set `revoked_at` (kept if already set); the key as it is now, None if unknown."""

    async def touch_api_keys(self, used: Sequence[tuple[str, datetime]]) -> None:
        """Move `last_used_at` of each (key id, time) forward (never back)."""

    # Live output of running steps

    async def append_logs(self, chunks: Sequence[LogChunk]) -> None:
        """Store chunks; a chunk already stored (same execution, step, offset) is ignored,
        so a retried shipment does not double the text. Chunks of unknown executions are
        dropped."""

    async def read_logs(
        self, execution_id: str, step_id: str | None = None, after: int = 0
    ) -> list[LogChunk]:
        """Chunks of one execution (of one step when given), by step then offset, whose
        offset >= `after` (only meaningful with a step)."""

    # Limits (docs/production.md, "Queues and limits")

    async def limit_slots(self, kind: str, key: str, now: datetime) -> list[SlotRow]:
        """The busy slots of one limit at `now`, by slot number."""

    async def limit_usage(self, now: datetime) -> LimitUsage:
        """Every busy slot at `now` (by kind, key, slot) and the queued runs per limit."""

    async def next_slot_free(self, now: datetime) -> datetime | None:
        """The earliest time after `now` at which a busy rate slot frees."""

    async def release_orphan_slots(self) -> int:
        """Delete concurrency slots whose run no longer holds a worker (a safety net: every
        write that lets a run go frees its slot itself); returns how many."""

    # Worker registry

    async def save_worker(self, worker: WorkerRow) -> None: ...

    async def get_worker(self, name: str) -> WorkerRow | None: ...

    async def list_workers(self) -> list[WorkerRow]: ...

    async def worker_connected(self, name: str, connection_id: str, now: datetime) -> None: ...
