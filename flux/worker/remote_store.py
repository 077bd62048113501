"""`RemoteStore`: the engine's `ExecutionStore` spoken over the worker protocol, so a worker
runs the unchanged `Engine` on executions the server leased to it.

Reads come from the claim (the record the server handed over with the lease); writes are
checkpoints that carry the lease epoch, group-committed across all runs of the worker
(`flux.worker.checkpoints`). A refused checkpoint (409: the lease is gone) raises
`LeaseLostError`; the engine turns it into a CheckpointError and writes nothing more for that
run, which is exactly what fencing asks of a worker that lost its lease.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flux.api.records import to_event_record, to_record, to_row
from flux.api.worker_protocol import (
    CacheEntry,
    CacheLookup,
    Checkpoint,
    CheckpointBatch,
    CheckpointBatchReply,
    CheckpointResult,
    ChildExecution,
    Claim,
    EventRecord,
    ExecutionRecord,
    HeldExecution,
    SecretsReply,
    SecretsRequest,
)
from flux.domain.events import ExecutionEventType, ExecutionState, new_event_id, utcnow
from flux.engine.runtime import active_run
from flux.engine.store import EventRow, ExecutionRow
from flux.errors import FluxError, SecretNotFoundError
from flux.worker.checkpoints import CheckpointBatcher
from flux.worker.connection import ServerConnection, ServerError

log = logging.getLogger("flux.worker")

_S = ExecutionState
_STARTED = ExecutionEventType.WORKFLOW_STARTED.value
DEFER_STARTED = 0.02  # seconds a run's WORKFLOW_STARTED may wait for its first step


class LeaseLostError(FluxError):
    """The server no longer lets this worker write to the execution (fencing)."""

    def __init__(self, execution_id: str, detail: str):
        super().__init__(f"lease of execution '{execution_id}' lost: {detail}")
        self.execution_id = execution_id


class CheckpointRefusedError(FluxError):
    """The server refused a checkpoint for a reason other than a lost lease."""


@dataclass(slots=True)
class Lease:
    """An execution this worker holds, as the store knows it."""

    execution_id: str
    epoch: int
    record: ExecutionRecord
    root: str  # the top-level run this one belongs to (itself, or a subworkflow's parent)
    # The engine numbers a run's events from the record it loaded; when the server stored a
    # new child's log differently from what the engine wrote, the difference is added here.
    seq_offset: int = 0
    # Events the engine believes written but the server has not: sent before the next ones.
    prefix: list[EventRecord] = field(default_factory=list)
    # A state to send with the first append that sets none (CLAIMED -> RUNNING on replay).
    first_state: ExecutionState | None = None
    deferred: asyncio.TimerHandle | None = None  # sends `prefix` if no append comes first
    next_seq: int = 0  # the server's next seq for this run, as far as this worker knows
    lost: bool = False
    ended: bool = False
    ending: bool = False  # the checkpoint that ends the lease is on the wire


def _ends_lease(state: ExecutionState | None) -> bool:
    return state is not None and (state.is_terminal or state is _S.PAUSED)


class RemoteStore:
    def __init__(self, conn: ServerConnection):
        self._conn = conn
        self._leases: dict[str, Lease] = {}
        self._batcher = CheckpointBatcher(self._send_batch)

    # Leases, as the worker process manages them

    def adopt(self, claim: Claim, root: str | None = None) -> Lease:
        record = claim.execution
        lease = Lease(record.execution_id, claim.epoch, record, root or record.execution_id)
        lease.next_seq = record.events[-1].seq + 1 if record.events else 0
        if record.state is _S.CLAIMED and any(e.type == "WORKFLOW_STARTED" for e in record.events):
            lease.first_state = _S.RUNNING
        self._leases[record.execution_id] = lease
        return lease

    def lease(self, execution_id: str) -> Lease | None:
        return self._leases.get(execution_id)

    def held(self) -> list[HeldExecution]:
        """What heartbeats renew: leases neither lost nor ended."""
        return [
            HeldExecution(execution_id=lease.execution_id, epoch=lease.epoch)
            for lease in self._leases.values()
            if not lease.lost and not lease.ended
        ]

    def mark_lost(self, execution_ids: Iterable[str]) -> list[str]:
        """Refuse further writes to these runs; returns the root runs affected. A lease
        that ended (the run finished or paused), or whose final checkpoint is on the wire,
        is not lost: a heartbeat that crossed that checkpoint reports it as no longer held."""
        roots: list[str] = []
        for execution_id in execution_ids:
            lease = self._leases.get(execution_id)
            if lease is not None and not (lease.lost or lease.ended or lease.ending):
                lease.lost = True
                roots.append(lease.root)
        return list(dict.fromkeys(roots))

    def forget(self, root: str) -> None:
        """Drop a finished run and its subworkflows."""
        for execution_id in [i for i, lease in self._leases.items() if lease.root == root]:
            del self._leases[execution_id]

    def _calling_lease(self) -> Lease | None:
        run = active_run()
        if run is None:
            return None
        lease = self._leases.get(run.ctx.execution_id)
        return lease if lease is not None and not lease.lost else None

    # ExecutionStore: executions

    async def get_execution(
        self, execution_id: str, *, with_events: bool = True
    ) -> ExecutionRow | None:
        """The claimed record of a run this worker holds; for any other id (a subworkflow
        the engine looks up), the server is asked to lease it to this worker."""
        lease = self._leases.get(execution_id)
        if lease is None or lease.lost:
            claim = await self._claim_for_read(execution_id)
            if claim is None:
                return None
            parent = self._calling_lease()
            lease = self.adopt(claim, parent.root if parent else None)
        return to_row(lease.record, with_events)

    async def _claim_for_read(self, execution_id: str) -> Claim | None:
        try:
            return await self._conn.call_model(
                "POST", self._conn.path("claim", execution_id), None, Claim, what="claim"
            )
        except ServerError as exc:
            if exc.status == 404:
                return None
            parent = self._calling_lease()
            if exc.status != 409 or parent is None:
                raise
        # A subworkflow that cannot be claimed (finished, or still leased to a worker that
        # ran this parent before): the parent's holder takes it over, as it is.
        placeholder = ExecutionRecord(
            execution_id=execution_id,
            workflow_name=parent.record.workflow_name,
            workflow_version=None,
            state=_S.CREATED,
            parent_execution_id=parent.execution_id,
            created_at=datetime.now(UTC),
            updated_at=datetime.now(UTC),
            events=[],
        )
        return await self._create_child(parent, placeholder)

    async def create_execution(self, execution: ExecutionRow, events: Sequence[EventRow]) -> None:
        """Subworkflows only: the server creates the child already leased to this worker."""
        parent_id = execution.parent_execution_id
        parent = self._leases.get(parent_id) if parent_id else None
        if parent is None:
            raise NotImplementedError(
                "a worker creates only subworkflows of runs it holds; start top-level "
                "executions through the server's API"
            )
        claim = await self._create_child(parent, to_record(execution, events))
        lease = self.adopt(claim, parent.root)
        self._reconcile(lease, events, execution.state)

    async def _create_child(self, parent: Lease, record: ExecutionRecord) -> Claim:
        if parent.lost:
            raise LeaseLostError(parent.execution_id, "lost before its subworkflow started")
        body = ChildExecution(
            parent_execution_id=parent.execution_id, parent_epoch=parent.epoch, execution=record
        )
        try:
            return await self._conn.call_model(
                "POST", self._conn.path("executions"), body, Claim, what="start a subworkflow"
            )
        except ServerError as exc:
            if exc.status == 409:
                self.mark_lost([parent.execution_id])
                raise LeaseLostError(parent.execution_id, exc.detail) from None
            raise

    def _reconcile(self, lease: Lease, events: Sequence[EventRow], state: ExecutionState) -> None:
        """Line the engine's numbering up with the log the server actually stored for a new
        child (the server records its own claim event and may not keep the engine's first
        events): those are resent, renumbered, with the run's next checkpoint."""
        stored = lease.record.events
        have = {e.id for e in stored}
        server_next = stored[-1].seq + 1 if stored else 0
        engine_next = events[-1].seq + 1 if events else 0
        missing = [e for e in events if e.id not in have]
        lease.seq_offset = server_next + len(missing) - engine_next
        lease.next_seq = server_next
        if missing:
            prefix = [to_event_record(e, server_next + i - e.seq) for i, e in enumerate(missing)]
            self._defer(lease, prefix, state)

    async def append_events(
        self,
        execution_id: str,
        events: Sequence[EventRow],
        *,
        state: ExecutionState | None = None,
        output: bytes | None = None,
    ) -> None:
        lease = self._leases.get(execution_id)
        if lease is None or lease.lost or lease.ended:
            raise LeaseLostError(execution_id, "this worker does not hold it")
        records = [*lease.prefix, *(to_event_record(e, lease.seq_offset) for e in events)]
        if state is None:
            state = lease.first_state
        self._take_prefix(lease)
        if state is _S.RUNNING and len(records) == 1 and records[0].type == _STARTED:
            self._defer(lease, records, state)
            return
        await self._checkpoint(lease, records, state, output)

    def _defer(self, lease: Lease, records: list[EventRecord], state: ExecutionState) -> None:
        """Hold a run's WORKFLOW_STARTED back for a moment so that it travels with the first
        step's checkpoint: one round trip less per run. Nothing depends on it being durable
        (a replay records it again), and a run whose first step takes longer sends it alone
        after `DEFER_STARTED` seconds, so the API soon shows it RUNNING."""
        lease.prefix, lease.first_state = records, state
        loop = asyncio.get_running_loop()
        lease.deferred = loop.call_later(DEFER_STARTED, self._send_deferred, lease)

    def _send_deferred(self, lease: Lease) -> None:
        lease.deferred = None
        if lease.lost or lease.ended or not lease.prefix:
            return
        records, state = lease.prefix, lease.first_state
        self._take_prefix(lease)
        checkpoint = Checkpoint.model_construct(epoch=lease.epoch, events=records, state=state)
        # Queued synchronously, so that it stays ahead of the run's next append.
        waiter = self._batcher.enqueue(lease.execution_id, checkpoint)
        waiter.add_done_callback(lambda done: self._deferred_sent(lease, records, done))

    def _deferred_sent(
        self, lease: Lease, records: list[EventRecord], done: asyncio.Future[CheckpointResult]
    ) -> None:
        if done.cancelled():
            return
        if done.exception() is not None:
            log.warning("checkpoint of '%s' failed: %s", lease.execution_id, done.exception())
        elif not done.result().ok:
            self.mark_lost([lease.execution_id])
        else:
            lease.next_seq = max(lease.next_seq, records[-1].seq + 1)

    @staticmethod
    def _take_prefix(lease: Lease) -> None:
        lease.prefix, lease.first_state = [], None
        if lease.deferred is not None:
            lease.deferred.cancel()
            lease.deferred = None

    async def _checkpoint(
        self,
        lease: Lease,
        records: list[EventRecord],
        state: ExecutionState | None,
        output: bytes | None = None,
    ) -> None:
        checkpoint = Checkpoint.model_construct(
            epoch=lease.epoch, events=records, state=state, output=output
        )
        ending = _ends_lease(state)
        lease.ending = lease.ending or ending
        try:
            result = await self._batcher.submit(lease.execution_id, checkpoint)
        finally:
            lease.ending = False
        if not result.ok:
            self._refused(lease, result)
        if records:
            lease.next_seq = max(lease.next_seq, records[-1].seq + 1)
        if _ends_lease(state):
            lease.ended = True

    async def record_failure(self, lease: Lease, error: bytes) -> None:
        """End a run the engine could not drive (its workflow does not load, its log does
        not replay) as FAILED, with `error` (encoded) as the WORKFLOW_FAILED value."""
        if lease.lost or lease.ended:
            return
        event = EventRecord.model_construct(
            seq=lease.next_seq + len(lease.prefix),
            id=new_event_id(),
            type=ExecutionEventType.WORKFLOW_FAILED.value,
            source_id=lease.execution_id,
            name=lease.record.workflow_name,
            value=error,
            time=utcnow(),
        )
        records = [*lease.prefix, event]
        self._take_prefix(lease)
        await self._checkpoint(lease, records, _S.FAILED)

    def _refused(self, lease: Lease, result: CheckpointResult) -> None:
        detail = result.detail or f"status {result.status}"
        if result.status in (404, 409):
            lease.lost = True
            raise LeaseLostError(lease.execution_id, detail)
        raise CheckpointRefusedError(
            f"checkpoint of execution '{lease.execution_id}' refused ({result.status}): {detail}"
        )

    async def _send_batch(self, batch: CheckpointBatch) -> CheckpointBatchReply:
        return await self._conn.call_model(
            "POST", self._conn.path("checkpoints"), batch, CheckpointBatchReply, what="checkpoint"
        )

    async def drain(self) -> None:
        await self._batcher.drain()

    async def get_events(self, execution_id: str, *, after_seq: int = -1) -> list[EventRow]:
        row = await self.get_execution(execution_id)
        return [e for e in row.events if e.seq > after_seq] if row else []

    async def list_executions(
        self,
        *,
        workflow_name: str | None = None,
        state: ExecutionState | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[ExecutionRow]:
        raise NotImplementedError(
            "a worker cannot list executions; use the server's API (GET /executions)"
        )

    # ExecutionStore: task cache

    async def cache_get(self, key: str, now: datetime) -> bytes | None:
        entry = await self._conn.call_model(
            "POST", self._conn.path("cache", "get"), CacheLookup(key=key), CacheEntry, what="cache"
        )
        if entry.expires_at is not None and entry.expires_at <= now:
            return None
        return entry.value

    async def cache_set(self, key: str, value: bytes, expires_at: datetime | None) -> None:
        body = CacheEntry(key=key, value=value, expires_at=expires_at)
        await self._conn.call("PUT", self._conn.path("cache"), body, what="cache")

    # ExecutionStore: secrets are read through RemoteSecrets, never as stored bytes

    async def secret_get(self, names: Sequence[str]) -> dict[str, bytes]:
        raise NotImplementedError("a worker reads secrets through the server (RemoteSecrets)")

    async def secret_set(self, name: str, value: bytes) -> None:
        raise NotImplementedError("secrets are managed on the server (/admin/secrets)")

    async def secret_delete(self, name: str) -> bool:
        raise NotImplementedError("secrets are managed on the server (/admin/secrets)")

    async def secret_names(self) -> list[str]:
        raise NotImplementedError("secrets are managed on the server (/admin/secrets)")

    async def close(self) -> None:
        await self.drain()

    # Secrets of the calling run

    async def secrets(self, names: list[str]) -> dict[str, Any]:
        lease = self._calling_lease()
        if lease is None:
            raise RuntimeError("secrets can only be read by a run this worker holds")
        wanted = sorted(set(names))
        body = SecretsRequest(execution_id=lease.execution_id, epoch=lease.epoch, names=wanted)
        try:
            reply = await self._conn.call_model(
                "POST", self._conn.path("secrets"), body, SecretsReply, what="secrets"
            )
        except ServerError as exc:
            if exc.status == 404:
                raise SecretNotFoundError(
                    [n for n in wanted if n in exc.detail] or wanted
                ) from None
            if exc.status == 409:
                self.mark_lost([lease.execution_id])
                raise LeaseLostError(lease.execution_id, exc.detail) from None
            raise
        missing = [name for name in wanted if name not in reply.values]
        if missing:
            raise SecretNotFoundError(missing)
        return reply.values


class RemoteSecrets:
    """The engine's SecretSource for runs on a worker: values come from the server, for the
    run asking, at its lease epoch."""

    def __init__(self, store: RemoteStore):
        self._store = store

    async def get(self, names: list[str]) -> dict[str, Any]:
        return await self._store.secrets(names)
