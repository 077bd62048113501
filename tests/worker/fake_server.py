"""A small in-memory implementation of the worker protocol, served through
`httpx.MockTransport`, so the worker's own behaviour is tested without the real server.

It keeps the rules that matter to a worker: claims only from SCHEDULED with a new epoch,
fencing on every write, contiguous sequence numbers, children created claimed (with the
server's own WORKFLOW_CLAIMED event, as the real store does), leases released on request.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from flux.api.worker_protocol import (
    CacheEntry,
    CacheLookup,
    CheckpointBatch,
    CheckpointBatchReply,
    CheckpointResult,
    ChildExecution,
    Claim,
    ClaimBatch,
    ClaimNext,
    EventRecord,
    ExecutionRecord,
    Heartbeat,
    HeartbeatReply,
    Registration,
    Release,
    SecretsReply,
    SecretsRequest,
    WorkerRegistration,
    WorkflowSource,
)
from flux.codec import Codec
from flux.domain.events import ExecutionState, new_event_id

BOOTSTRAP = "boot-token"
CODEC_KEY = b"k" * 32
_S = ExecutionState
_HELD = (_S.CLAIMED, _S.RUNNING, _S.CANCELLING)


def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Run:
    record: ExecutionRecord
    epoch: int = 0
    holder: str | None = None
    output: bytes | None = None

    @property
    def state(self) -> ExecutionState:
        return self.record.state


@dataclass
class FakeServer:
    codec: Codec = field(default_factory=lambda: Codec("pkl", CODEC_KEY))
    runs: dict[str, Run] = field(default_factory=dict)
    sources: dict[tuple[str, str], WorkflowSource] = field(default_factory=dict)
    latest: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, Any] = field(default_factory=dict)
    cache: dict[str, CacheEntry] = field(default_factory=dict)
    sessions: set[str] = field(default_factory=set)
    registrations: list[WorkerRegistration] = field(default_factory=list)
    streams: list[asyncio.Queue[bytes | None]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    heartbeats: list[Heartbeat] = field(default_factory=list)
    checkpoint_batches: int = 0
    released: list[str] = field(default_factory=list)
    heartbeat_interval: float = 0.05
    fail_next: list[int] = field(default_factory=list)  # statuses to answer next calls with
    # When set, each `POST /claim` (claim queued work) waits for it: a pull held on the wire.
    claim_gate: asyncio.Event | None = None

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    # Test helpers

    def upload(self, name: str, version: str, source: str, filename: str = "wf.py") -> None:
        self.sources[(name, version)] = WorkflowSource(
            name=name, version=version, filename=filename, source=source
        )
        self.latest[name] = version

    def submit(self, workflow: str, input: Any = None, version: str | None = None) -> str:
        execution_id = new_event_id()
        version = version or self.latest.get(workflow)
        scheduled = self._event(execution_id, 0, "WORKFLOW_SCHEDULED", workflow)
        self.runs[execution_id] = Run(
            ExecutionRecord(
                execution_id=execution_id,
                workflow_name=workflow,
                workflow_version=version,
                state=_S.SCHEDULED,
                input=self.codec.dumps(input),
                created_at=now(),
                updated_at=now(),
                events=[scheduled],
            )
        )
        return execution_id

    async def push(self, event: str, data: dict[str, Any]) -> None:
        line = f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()
        for queue in self.streams:
            await queue.put(line)

    async def offer(self, execution_id: str) -> None:
        run = self.runs[execution_id]
        await self.push(
            "execution_scheduled",
            {
                "execution_id": execution_id,
                "workflow_name": run.record.workflow_name,
                "workflow_version": run.record.workflow_version,
            },
        )

    async def drop_streams(self) -> None:
        for queue in self.streams:
            await queue.put(None)
        self.streams.clear()

    def output(self, execution_id: str) -> Any:
        run = self.runs[execution_id]
        last = [e for e in run.record.events if e.type.startswith("WORKFLOW_")][-1]
        return self.codec.loads(last.value) if last.value is not None else None

    def types(self, execution_id: str) -> list[str]:
        return [e.type for e in self.runs[execution_id].record.events]

    # Protocol

    async def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.calls.append(f"{request.method} {path}")
        if self.fail_next:
            return httpx.Response(self.fail_next.pop(0), json={"detail": "injected"})
        if path == "/workers/register":
            return self._register(request)
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token not in self.sessions:
            return httpx.Response(401, json={"detail": "unknown session"})
        parts = path.split("/")[3:]  # after /workers/{name}
        worker = path.split("/")[2]
        body = request.content
        return await self._route(request.method, parts, worker, body)

    async def _route(
        self, method: str, parts: list[str], worker: str, body: bytes
    ) -> httpx.Response:
        head = parts[0]
        if head == "connect":
            return self._connect()
        if head == "claim" and len(parts) == 2:
            return self._claim(parts[1], worker)
        if head == "claim":
            return await self._claim_next(ClaimNext.model_validate_json(body), worker)
        if head == "checkpoints":
            return self._checkpoints(CheckpointBatch.model_validate_json(body), worker)
        if head == "executions":
            return self._child(ChildExecution.model_validate_json(body), worker)
        if head == "heartbeat":
            return self._heartbeat(Heartbeat.model_validate_json(body), worker)
        if head == "release":
            return self._release(parts[1], Release.model_validate_json(body), worker)
        if head == "workflows":
            return self._workflow(parts[1:])
        if head == "secrets":
            return self._secrets(SecretsRequest.model_validate_json(body), worker)
        if head == "cache":
            return self._cache(method, body)
        if head == "disconnect":
            return httpx.Response(204)
        return httpx.Response(404, json={"detail": f"no route {parts}"})

    def _cache(self, method: str, body: bytes) -> httpx.Response:
        if method == "PUT":
            entry = CacheEntry.model_validate_json(body)
            self.cache[entry.key] = entry
            return httpx.Response(204)
        key = CacheLookup.model_validate_json(body).key
        return _json(self.cache.get(key, CacheEntry(key=key)))

    def _register(self, request: httpx.Request) -> httpx.Response:
        if request.headers.get("authorization") != f"Bearer {BOOTSTRAP}":
            return httpx.Response(401, json={"detail": "invalid bootstrap token"})
        self.registrations.append(WorkerRegistration.model_validate_json(request.content))
        token = f"session-{len(self.sessions)}"
        self.sessions.add(token)
        reply = Registration(
            session_token=token,
            codec_key=CODEC_KEY,
            serializer="pkl",
            lease_ttl=5.0,
            heartbeat_interval=self.heartbeat_interval,
        )
        return _json(reply)

    def _connect(self) -> httpx.Response:
        queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.streams.append(queue)

        async def stream() -> AsyncIterator[bytes]:
            yield b": hello\n\n"
            while (chunk := await queue.get()) is not None:
                yield chunk

        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=stream())

    def _take(self, run: Run, worker: str) -> Claim:
        run.epoch += 1
        run.holder = worker
        run.record.state = _S.CLAIMED
        self._append(run, "WORKFLOW_CLAIMED", worker)
        record = run.record.model_copy(update={"events": list(run.record.events)})
        return Claim(execution=record, epoch=run.epoch, lease_expires_at=now())

    def _claim(self, execution_id: str, worker: str) -> httpx.Response:
        run = self.runs.get(execution_id)
        if run is None:
            return httpx.Response(404, json={"detail": "unknown execution"})
        if run.state is not _S.SCHEDULED:
            return httpx.Response(409, json={"detail": f"it is {run.state.value}"})
        return _json(self._take(run, worker))

    async def _claim_next(self, ask: ClaimNext, worker: str) -> httpx.Response:
        if self.claim_gate is not None:
            await self.claim_gate.wait()
        queued = [
            r
            for r in self.runs.values()
            if r.state is _S.SCHEDULED and r.record.parent_execution_id is None
        ]
        claims = [self._take(run, worker) for run in queued[: ask.max]]
        return _json(ClaimBatch(claims=claims))

    def _fenced(self, execution_id: str, epoch: int, worker: str) -> tuple[int, str] | None:
        run = self.runs.get(execution_id)
        if run is None:
            return 404, "unknown execution"
        if run.state not in _HELD or run.holder != worker or run.epoch != epoch:
            return 409, f"lease lost (state {run.state.value}, epoch {run.epoch})"
        return None

    def _checkpoints(self, batch: CheckpointBatch, worker: str) -> httpx.Response:
        self.checkpoint_batches += 1
        results = []
        for item in batch.items:
            cp = item.checkpoint
            refused = self._fenced(item.execution_id, cp.epoch, worker)
            run = self.runs.get(item.execution_id)
            if refused is None and run is not None:
                expected = len(run.record.events)
                seqs = [e.seq for e in cp.events]
                if seqs != list(range(expected, expected + len(seqs))):
                    refused = (409, f"seq {seqs[:1]} taken or out of order (next {expected})")
            if refused is not None or run is None:
                status, detail = refused or (404, "unknown")
                results.append(
                    CheckpointResult(
                        execution_id=item.execution_id, ok=False, status=status, detail=detail
                    )
                )
                continue
            run.record.events.extend(cp.events)
            if cp.state is not None and not (
                run.state is _S.CANCELLING and cp.state in (_S.CLAIMED, _S.RUNNING)
            ):
                run.record.state = cp.state
            if cp.output is not None:
                run.output = cp.output
            if run.state.is_terminal or run.state is _S.PAUSED:
                run.holder = None
            results.append(CheckpointResult(execution_id=item.execution_id, ok=True, status=204))
        return _json(CheckpointBatchReply(results=results))

    def _child(self, child: ChildExecution, worker: str) -> httpx.Response:
        refused = self._fenced(child.parent_execution_id, child.parent_epoch, worker)
        if refused is not None:
            return httpx.Response(refused[0], json={"detail": refused[1]})
        existing = self.runs.get(child.execution.execution_id)
        if existing is None:
            record = child.execution.model_copy(update={"events": [], "state": _S.SCHEDULED})
            existing = self.runs[record.execution_id] = Run(record)
        elif existing.state.is_terminal or existing.state is _S.PAUSED:
            claim = Claim(execution=existing.record, epoch=existing.epoch, lease_expires_at=now())
            return _json(claim)
        return _json(self._take(existing, worker))

    def _heartbeat(self, beat: Heartbeat, worker: str) -> httpx.Response:
        self.heartbeats.append(beat)
        lost = [
            h.execution_id
            for h in beat.executions
            if self._fenced(h.execution_id, h.epoch, worker) is not None
        ]
        return _json(HeartbeatReply(lost=lost))

    def _release(self, execution_id: str, release: Release, worker: str) -> httpx.Response:
        refused = self._fenced(execution_id, release.epoch, worker)
        if refused is not None:
            return httpx.Response(refused[0], json={"detail": refused[1]})
        run = self.runs[execution_id]
        run.holder = None
        cancelling = run.state is _S.CANCELLING
        run.record.state = _S.CANCELLED if cancelling else _S.SCHEDULED
        if cancelling:
            self._append(run, "WORKFLOW_CANCELLED", run.record.workflow_name)
        self.released.append(execution_id)
        return httpx.Response(204)

    def _workflow(self, parts: list[str]) -> httpx.Response:
        name = parts[0]
        version = parts[1] if len(parts) > 1 else self.latest.get(name)
        source = self.sources.get((name, version or ""))
        if source is None:
            return httpx.Response(404, json={"detail": f"workflow '{name}' not found"})
        return _json(source)

    def _secrets(self, ask: SecretsRequest, worker: str) -> httpx.Response:
        refused = self._fenced(ask.execution_id, ask.epoch, worker)
        if refused is not None:
            return httpx.Response(refused[0], json={"detail": refused[1]})
        missing = [n for n in ask.names if n not in self.secrets]
        if missing:
            return httpx.Response(404, json={"detail": f"secret(s) not found: {missing}"})
        return _json(SecretsReply(values={n: self.secrets[n] for n in ask.names}))

    # Server-side writes

    def _event(self, execution_id: str, seq: int, type: str, name: str) -> EventRecord:
        return EventRecord(
            seq=seq, id=new_event_id(), type=type, source_id=execution_id, name=name, time=now()
        )

    def _append(self, run: Run, type: str, name: str) -> None:
        record = run.record
        record.events.append(self._event(record.execution_id, len(record.events), type, name))

    def cancel(self, execution_id: str) -> None:
        self.runs[execution_id].record.state = _S.CANCELLING

    def steal(self, execution_id: str) -> None:
        """Another worker took the lease (as after an expiry)."""
        run = self.runs[execution_id]
        run.epoch += 1
        run.holder = "someone-else"


def _json(model: Any) -> httpx.Response:
    return httpx.Response(
        200, content=model.model_dump_json(), headers={"content-type": "application/json"}
    )
