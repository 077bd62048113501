"""`WorkerGateway`: the server's side of the worker protocol (`flux.api.worker_protocol`).

Workers join with the bootstrap token and get a session token of their own; only its sha256
is stored. Verified tokens are kept in memory per replica, so authenticating a request costs
a dict lookup; a re-registration on any replica evicts the old token everywhere
(`flux_worker`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
import uuid
from dataclasses import replace
from typing import Any

from flux.api.models import WorkerView
from flux.api.records import to_event_row, to_record
from flux.api.worker_protocol import (
    SESSION_REVOKED,
    CacheEntry,
    CacheLookup,
    Checkpoint,
    CheckpointBatch,
    CheckpointBatchReply,
    CheckpointResult,
    ChildExecution,
    Claim,
    ClaimBatch,
    Heartbeat,
    HeartbeatReply,
    LogBatch,
    Registration,
    SecretsReply,
    SecretsRequest,
    WorkerRegistration,
    WorkflowSource,
)
from flux.domain.events import ExecutionEventType, ExecutionState, utcnow
from flux.domain.masking import Masker
from flux.engine.store import EventConflictError, ExecutionRow
from flux.errors import FluxError, WorkflowNotFoundError
from flux.keyring import secret_cipher, signing_key
from flux.orchestrator import notify
from flux.orchestrator.core import Core
from flux.orchestrator.dispatch import WorkerSession
from flux.orchestrator.fit import Capacity, fits
from flux.orchestrator.masking import IngestMasker
from flux.orchestrator.store import (
    HELD_STATES,
    CheckpointWrite,
    LeaseLostError,
    LogChunk,
    NotAdmittedError,
    RunRow,
    StateConflictError,
    Transition,
    WorkerRow,
    lease_lost_detail,
)
from flux.orchestrator.values import describe_error
from flux.orchestrator.views import worker_capacity
from flux.secret_managers import DatabaseSecretManager

logger = logging.getLogger(__name__)

_S = ExecutionState
_ENDS = frozenset({_S.PAUSED, _S.COMPLETED, _S.FAILED, _S.CANCELLED})


class AuthError(FluxError):
    """401 (`forbidden` False: no valid credentials) or 403 (valid, but not for this)."""

    def __init__(self, message: str, *, forbidden: bool = False):
        super().__init__(message)
        self.forbidden = forbidden


class NotHeldError(FluxError):
    """409: the worker does not hold the run at that epoch (fencing)."""


class UnknownExecutionError(FluxError):
    """404 on a worker call."""


# In place of a token hash once revoked: not hex, so no token ever hashes to it.
_REVOKED = "revoked"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class WorkerGateway:
    def __init__(self, core: Core, bootstrap_token: str):
        self.core = core
        self.store = core.store
        self._bootstrap = bootstrap_token
        self._tokens: dict[str, str] = {}  # worker -> token hash
        self._owners: dict[str, str] = {}  # token hash -> worker
        self._claimed_values: dict[str, bytes] = {}
        self._secrets = DatabaseSecretManager(core.store, secret_cipher(core.settings))
        self._masking = IngestMasker(self._secrets, core.codec, core.decoder)
        core.worker_messages.append(self._on_message)

    # Authentication

    async def register(
        self, registration: WorkerRegistration, token: str | None, *, by_worker_key: bool = False
    ) -> Registration:
        """`by_worker_key`: the server's auth already verified an API key with the worker
        role, which stands in for the bootstrap token."""
        bootstrap_ok = token is not None and hmac.compare_digest(
            token.encode(), self._bootstrap.encode()
        )
        if not (by_worker_key or bootstrap_ok):
            raise AuthError("invalid or missing bootstrap token (workers.bootstrap_token)")
        session_token = secrets.token_urlsafe(32)
        hashed = token_hash(session_token)
        now = utcnow()
        await self.store.save_worker(
            WorkerRow(
                name=registration.name,
                session_token_hash=hashed,
                resources=registration.resources.model_dump_json(),
                packages=json.dumps([p.model_dump() for p in registration.packages]),
                python_version=registration.python_version,
                platform=registration.platform,
                max_concurrency=registration.max_concurrency,
                status="registered",
                registered_at=now,
                last_seen_at=now,
            )
        )
        self._remember(registration.name, hashed)
        self.core.tell_worker(registration.name, {"kind": "registered", "token_hash": hashed})
        settings = self.core.settings
        return Registration(
            session_token=session_token,
            codec_key=signing_key(settings),
            serializer=settings.serializer,
            lease_ttl=settings.workers.lease_ttl,
            heartbeat_interval=settings.workers.heartbeat_interval,
        )

    async def authenticate(self, name: str, token: str | None) -> None:
        if not token:
            raise AuthError("missing session token: send 'Authorization: Bearer <token>'")
        hashed = token_hash(token)
        known = self._tokens.get(name)
        if known is None:
            row = await self.store.get_worker(name)
            if row is not None:
                known = self._remember(name, row.session_token_hash)
        if known == _REVOKED:
            raise AuthError(
                f"{SESSION_REVOKED}: an admin revoked worker '{name}'; it can join again "
                "only by registering with the bootstrap token"
            )
        if known is not None and hmac.compare_digest(known, hashed):
            return
        owner = self._owners.get(hashed)
        if owner is not None and owner != name:
            raise AuthError(
                f"this session token belongs to another worker, not '{name}'", forbidden=True
            )
        raise AuthError(f"invalid session token for worker '{name}': register again")

    async def revoke(self, name: str) -> bool:
        """End `name`'s session on every replica: its token stops working (the next call
        gets a 401 saying so), its stream closes, which releases its runs. False if no such
        worker is registered."""
        row = await self.store.get_worker(name)
        if row is None:
            return False
        await self.store.save_worker(replace(row, session_token_hash=_REVOKED, status="revoked"))
        # Like a new registration, this voids the old token in every replica's memory.
        self.core.tell_worker(name, {"kind": "registered", "token_hash": _REVOKED})
        self.leave(name)
        logger.info("worker %s: session revoked", name)
        return True

    def _remember(self, name: str, hashed: str) -> str:
        self._tokens[name] = hashed
        self._owners[hashed] = name
        return hashed

    def _on_message(self, payload: dict[str, Any]) -> None:
        worker = str(payload.get("worker"))
        if payload.get("kind") == "registered":
            # Another registration of this worker (here or elsewhere): its old token is void.
            if self._tokens.get(worker) != payload.get("token_hash"):
                old = self._tokens.pop(worker, None)
                self._owners.pop(old or "", None)
        elif payload.get("kind") == "leave":
            session = self.core.dispatcher.sessions.get(worker)
            if session is not None:
                session.close()
        elif payload.get("kind") == "cancel":
            session = self.core.dispatcher.sessions.get(worker)
            if session is not None:
                data = json.dumps({"execution_id": payload["execution_id"]})
                session.send("execution_cancelled", data)

    # Connection

    async def connect(self, name: str) -> WorkerSession:
        row = await self.store.get_worker(name)
        if row is None:
            raise AuthError(f"worker '{name}' is not registered")
        session = WorkerSession(name, uuid.uuid4().hex, worker_capacity(row), row.max_concurrency)
        await self.store.worker_connected(name, session.connection_id, utcnow())
        previous = self.core.dispatcher.connect(session)
        if previous is not None:
            previous.close()
        return session

    def leave(self, worker: str) -> None:
        """Close the worker's stream, on whichever replica holds it."""
        self.core.tell_worker(worker, {"kind": "leave"})

    async def disconnect(self, session: WorkerSession) -> None:
        """The worker's SSE stream closed: release what it held, unless it has connected
        again since (here or on another replica)."""
        self.core.dispatcher.disconnect(session)
        released = await self.store.release_worker(
            session.name, session.connection_id, self.core.release_policy(), utcnow()
        )
        logger.info(
            "worker %s disconnected; %d execution(s) released: %s",
            session.name,
            len(released),
            ", ".join(f"{t.execution_id} -> {t.state.value}" for t in released) or "none",
        )
        self.core.announce(released)

    async def list(self) -> list[WorkerView]:
        rows = await self.store.list_workers()
        return [
            WorkerView(
                name=row.name,
                status=row.status,
                resources=json.loads(row.resources),
                packages=len(json.loads(row.packages)),
                python_version=row.python_version,
                platform=row.platform,
                max_concurrency=row.max_concurrency,
                registered_at=row.registered_at,
                last_seen_at=row.last_seen_at,
            )
            for row in rows
        ]

    # Claims

    def _claimed_value(self, worker: str) -> bytes:
        value = self._claimed_values.get(worker)
        if value is None:
            value = self._claimed_values[worker] = self.core.codec.dumps(worker)
        return value

    async def claim(self, worker: str, execution_id: str) -> Claim:
        try:
            run = await self.store.claim(
                execution_id, worker, self._claimed_value(worker), self.core.lease_expiry()
            )
        except KeyError:
            self.core.dispatcher.not_claimed(worker, execution_id)
            raise UnknownExecutionError(f"execution '{execution_id}' not found") from None
        except StateConflictError as exc:
            self.core.dispatcher.not_claimed(worker, execution_id)
            raise NotHeldError(str(exc)) from None
        except NotAdmittedError as exc:
            # Still queued: like a lost race, a 409 the worker ignores.
            self.core.dispatcher.not_admitted(worker, execution_id)
            raise NotHeldError(str(exc)) from None
        self._claimed(worker, run)
        return _claim(run)

    def _claimed(self, worker: str, run: RunRow) -> None:
        self.core.dispatcher.claimed(worker, run.execution.execution_id)
        self.core.notifier.publish(
            notify.EXECUTION,
            {"execution_id": run.execution.execution_id, "state": "CLAIMED", "worker": worker},
        )

    async def claim_next(self, worker: str, limit: int) -> ClaimBatch:
        capacity = await self._capacity(worker)
        runs = await self.store.claim_next(
            worker,
            self._claimed_value(worker),
            self.core.lease_expiry(),
            limit,
            lambda requests: fits(requests, capacity),
        )
        for run in runs:
            self._claimed(worker, run)
        return ClaimBatch(claims=[_claim(run) for run in runs])

    async def _capacity(self, worker: str) -> Capacity:
        session = self.core.dispatcher.sessions.get(worker)
        if session is not None:
            return session.capacity
        row = await self.store.get_worker(worker)
        return worker_capacity(row) if row is not None else Capacity()

    async def claim_child(self, worker: str, child: ChildExecution) -> Claim:
        record = child.execution
        parent = CheckpointWrite(child.parent_execution_id, worker, child.parent_epoch, [])
        now = utcnow()
        row = ExecutionRow(
            execution_id=record.execution_id,
            workflow_name=record.workflow_name,
            state=_S.SCHEDULED,
            input=record.input,
            created_at=now,
            updated_at=now,
            workflow_version=record.workflow_version,
            parent_execution_id=child.parent_execution_id,
            requests=record.requests,
        )
        try:
            run = await self.store.claim_child(
                parent, row, self._claimed_value(worker), self.core.lease_expiry()
            )
        except KeyError:
            raise UnknownExecutionError(
                f"execution '{child.parent_execution_id}' not found"
            ) from None
        except LeaseLostError as exc:
            raise NotHeldError(str(exc)) from None
        return _claim(run)

    # Checkpoints

    async def checkpoint(self, worker: str, execution_id: str, checkpoint: Checkpoint) -> None:
        started = time.perf_counter()
        masker = await self._masking.masker()  # secret values, masked again (defence in depth)
        write = self._checkpoint_write(masker, worker, execution_id, checkpoint)
        try:
            moved = await self.store.checkpoint(write, self.core.lease_expiry())
        except (KeyError, LeaseLostError, EventConflictError) as exc:
            raise self._refused(write, exc) from None
        self._checkpointed(write, moved, started)

    async def checkpoints(self, worker: str, batch: CheckpointBatch) -> CheckpointBatchReply:
        """A worker's batch, stored in one transaction (each item still accepted or refused
        on its own: lease, epoch, event sequence)."""
        started = time.perf_counter()
        masker = await self._masking.masker()
        writes = [
            self._checkpoint_write(masker, worker, item.execution_id, item.checkpoint)
            for item in batch.items
        ]
        outcomes = await self.store.checkpoint_many(writes, self.core.lease_expiry())
        results: list[CheckpointResult] = []
        for write, outcome in zip(writes, outcomes, strict=True):
            if isinstance(outcome, Exception):
                error = self._refused(write, outcome)
                results.append(
                    CheckpointResult(
                        execution_id=write.execution_id,
                        ok=False,
                        status=409 if isinstance(error, NotHeldError) else 404,
                        detail=str(error),
                    )
                )
            else:
                self._checkpointed(write, outcome, started)
                results.append(
                    CheckpointResult(execution_id=write.execution_id, ok=True, status=204)
                )
        return CheckpointBatchReply(results=results)

    def _checkpoint_write(
        self, masker: Masker, worker: str, execution_id: str, checkpoint: Checkpoint
    ) -> CheckpointWrite:
        error = self._error_text(checkpoint)
        return CheckpointWrite(
            execution_id,
            worker,
            checkpoint.epoch,
            self._masking.rows(masker, [to_event_row(execution_id, e) for e in checkpoint.events]),
            checkpoint.state,
            self._masking.value(masker, checkpoint.output, False),
            masker.mask_text(error) if error is not None else None,
        )

    def _refused(self, write: CheckpointWrite, exc: Exception) -> FluxError:
        """The error a refused checkpoint answers with (404 or 409)."""
        if isinstance(exc, KeyError):
            return UnknownExecutionError(f"execution '{write.execution_id}' not found")
        if isinstance(exc, LeaseLostError):
            self.core.dispatcher.let_go(write.worker_name, write.execution_id)
            return NotHeldError(f"lease lost: {exc}")
        if isinstance(exc, EventConflictError):
            return NotHeldError(f"{exc}: another writer recorded it first")
        raise exc

    def _checkpointed(self, write: CheckpointWrite, moved: Transition, started: float) -> None:
        if write.state is not None:
            self.core.announce([moved])
        observer = self.core.observer
        observer.recorded(write.execution_id, moved.workflow_name, write.events, write.state)
        observer.checkpointed(time.perf_counter() - started)

    def _error_text(self, checkpoint: Checkpoint) -> str | None:
        if checkpoint.state is not _S.FAILED:
            return None
        failed = ExecutionEventType.WORKFLOW_FAILED.value
        for event in reversed(checkpoint.events):
            if event.type == failed:
                return describe_error(self.core.decoder.decode_raw(event.value))
        return "the workflow failed"

    async def logs(self, worker: str, batch: LogBatch) -> None:
        """Store live output of running steps and wake whoever follows those executions.
        Any registered worker may ship output; it is display text, never replayed."""
        now = utcnow()
        masker = await self._masking.masker()
        chunks = [
            # Masked to the same length: chunks are placed by character offset.
            LogChunk(
                c.execution_id, c.step_id, c.offset, masker.mask_text(c.text, keep_length=True), now
            )
            for c in batch.chunks
        ]
        await self.store.append_logs(chunks)
        for execution_id in {c.execution_id for c in chunks}:
            self.core.announce_output(execution_id)

    async def heartbeat(self, worker: str, heartbeat: Heartbeat) -> HeartbeatReply:
        held = [(h.execution_id, h.epoch) for h in heartbeat.executions]
        resources = heartbeat.resources
        lost = await self.store.renew(
            worker,
            held,
            self.core.lease_expiry(),
            None if resources is None else resources.model_dump_json(),
            utcnow(),
        )
        self.core.dispatcher.reconcile(worker, {eid for eid, _ in held} - set(lost))
        return HeartbeatReply(lost=lost)

    async def release(self, worker: str, execution_id: str, epoch: int) -> None:
        try:
            moved = await self.store.release(execution_id, worker, epoch)
        except KeyError:
            raise UnknownExecutionError(f"execution '{execution_id}' not found") from None
        except LeaseLostError as exc:
            raise NotHeldError(str(exc)) from None
        self.core.dispatcher.let_go(worker, execution_id)
        self.core.announce([moved])

    # Workflow code, secrets, cache

    async def workflow_source(self, name: str, version: str | None) -> WorkflowSource:
        row = await self.store.get_workflow(name, version)
        if row is None:
            raise WorkflowNotFoundError(name if version is None else f"{name}@{version}")
        return WorkflowSource(
            name=row.name, version=row.version, filename=row.filename, source=row.source
        )

    async def secrets(self, worker: str, request: SecretsRequest) -> SecretsReply:
        run = await self.store.get_run(request.execution_id, with_events=False)
        if run is None:
            raise UnknownExecutionError(f"execution '{request.execution_id}' not found")
        lease, state = run.lease, run.execution.state
        if state not in HELD_STATES or lease.worker_name != worker or lease.epoch != request.epoch:
            detail = lease_lost_detail(state, lease, worker, request.epoch)
            raise NotHeldError(f"execution '{request.execution_id}': {detail}")
        return SecretsReply(values=await self._secrets.get(request.names))

    async def cache_get(self, lookup: CacheLookup) -> CacheEntry:
        value = await self.store.cache_get(lookup.key, utcnow())
        return CacheEntry(key=lookup.key, value=value)

    async def cache_set(self, entry: CacheEntry) -> None:
        if entry.value is not None:
            await self.store.cache_set(entry.key, entry.value, entry.expires_at)


def _claim(run: RunRow) -> Claim:
    row, lease = run.execution, run.lease
    expires = lease.expires_at or utcnow()
    return Claim(execution=to_record(row, row.events), epoch=lease.epoch, lease_expires_at=expires)
