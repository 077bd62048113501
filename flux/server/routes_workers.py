"""`/workers`: the worker protocol of `flux.api.worker_protocol` (registration with the
bootstrap token; everything else with the worker's own session token)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from flux.api.models import WorkerView
from flux.api.worker_protocol import (
    CacheEntry,
    CacheLookup,
    Checkpoint,
    CheckpointBatch,
    CheckpointBatchReply,
    ChildExecution,
    Claim,
    ClaimBatch,
    ClaimNext,
    Heartbeat,
    HeartbeatReply,
    LogBatch,
    Registration,
    Release,
    SecretsReply,
    SecretsRequest,
    WorkerRegistration,
    WorkflowSource,
)
from flux.codec.references import digest_of, is_digest
from flux.domain.access import Role
from flux.orchestrator.dispatch import WorkerSession
from flux.outputs.blobs import BlobStore
from flux.server import audit
from flux.server.errors import documented
from flux.server.sse import frame, sse_response
from flux.server.state import Gateway, ServerState, State

router = APIRouter(prefix="/workers", tags=["workers"])
_KEEPALIVE_S = 10.0
_ERRORS = documented(400, 401, 403, 404, 409)  # 400: a body that is not JSON


def bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


async def _worker(name: str, request: Request, gateway: Gateway) -> str:
    await gateway.authenticate(name, bearer(request))
    return name


Worker = Annotated[str, Depends(_worker)]


@router.get("", response_model=list[WorkerView])
async def list_workers(gateway: Gateway) -> list[WorkerView]:
    """Registered workers, their last resource report and whether they are connected."""
    return await gateway.list()


@router.post("/register", response_model=Registration, responses=_ERRORS)
async def register(
    registration: WorkerRegistration, request: Request, gateway: Gateway
) -> Registration:
    """Join with the bootstrap token (`Authorization: Bearer <workers.bootstrap_token>`)."""
    audit.note(request, registration.name)
    # An API key with the worker role, verified by flux.server.auth, stands in for the token.
    caller = getattr(request.state, "principal", None)
    by_key = caller is not None and caller.role is Role.WORKER
    registered = await gateway.register(registration, bearer(request), by_worker_key=by_key)
    if not by_key:
        audit.note(request, actor="bootstrap token")  # checked just above; no API key
    return registered


@router.get("/{name}/connect", responses=_ERRORS)
async def connect(worker: Worker, gateway: Gateway, state: State) -> Response:
    """SSE: `execution_scheduled`, `execution_cancelled` and `keepalive` events. Closing the
    stream releases the worker's leases."""
    session = await gateway.connect(worker)
    return sse_response(_session_events(session, state))


async def _session_events(session: WorkerSession, state: ServerState) -> AsyncIterator[bytes]:
    try:
        yield frame("connected", "{}")
        while True:
            try:
                message = await asyncio.wait_for(session.queue.get(), _KEEPALIVE_S)
            except TimeoutError:
                yield frame("keepalive", "{}")
                continue
            if message is None:
                return
            yield frame(*message)
    finally:
        if not state.stopping:
            # Outside the response's cancel scope: it is being cancelled when the client left.
            state.spawn(state.gateway.disconnect(session))


def _json(model: BaseModel) -> Response:
    # The hot worker endpoints hand back their model already serialized: FastAPI would
    # otherwise validate it again against `response_model` (kept for the OpenAPI schema),
    # which for a claim with its events costs more than building it.
    return Response(model.model_dump_json(), media_type="application/json")


@router.post("/{name}/claim/{execution_id}", response_model=Claim, responses=_ERRORS)
async def claim(worker: Worker, execution_id: str, gateway: Gateway) -> Response:
    return _json(await gateway.claim(worker, execution_id))


@router.post("/{name}/claim", response_model=ClaimBatch, responses=_ERRORS)
async def claim_next(worker: Worker, wanted: ClaimNext, gateway: Gateway) -> Response:
    return _json(await gateway.claim_next(worker, wanted.max))


@router.post("/{name}/executions", response_model=Claim, responses=_ERRORS)
async def child_execution(worker: Worker, child: ChildExecution, gateway: Gateway) -> Claim:
    return await gateway.claim_child(worker, child)


@router.get("/{name}/workflows/{workflow}", response_model=WorkflowSource, responses=_ERRORS)
async def latest_workflow_source(worker: Worker, workflow: str, gateway: Gateway) -> WorkflowSource:
    """The latest uploaded version (what `call("name")` runs)."""
    return await gateway.workflow_source(workflow, None)


@router.get(
    "/{name}/workflows/{workflow}/{version}", response_model=WorkflowSource, responses=_ERRORS
)
async def workflow_source(
    worker: Worker, workflow: str, version: str, gateway: Gateway
) -> WorkflowSource:
    return await gateway.workflow_source(workflow, version)


@router.post("/{name}/checkpoint/{execution_id}", status_code=204, responses=_ERRORS)
async def checkpoint(
    worker: Worker, execution_id: str, body: Checkpoint, gateway: Gateway
) -> Response:
    await gateway.checkpoint(worker, execution_id, body)
    return Response(status_code=204)


@router.post("/{name}/checkpoints", response_model=CheckpointBatchReply, responses=_ERRORS)
async def checkpoints(worker: Worker, batch: CheckpointBatch, gateway: Gateway) -> Response:
    return _json(await gateway.checkpoints(worker, batch))


@router.post("/{name}/logs", status_code=204, responses=_ERRORS)
async def logs(worker: Worker, batch: LogBatch, gateway: Gateway) -> Response:
    await gateway.logs(worker, batch)
    return Response(status_code=204)


@router.post("/{name}/heartbeat", response_model=HeartbeatReply, responses=_ERRORS)
async def heartbeat(worker: Worker, body: Heartbeat, gateway: Gateway) -> Response:
    return _json(await gateway.heartbeat(worker, body))


@router.post("/{name}/release/{execution_id}", status_code=204, responses=_ERRORS)
async def release(worker: Worker, execution_id: str, body: Release, gateway: Gateway) -> Response:
    await gateway.release(worker, execution_id, body.epoch)
    return Response(status_code=204)


@router.post("/{name}/secrets", response_model=SecretsReply, responses=_ERRORS)
async def worker_secrets(
    worker: Worker, request: SecretsRequest, gateway: Gateway, http: Request
) -> SecretsReply:
    # The worker's session token was checked by `Worker`: it is the actor of the record.
    names = ",".join(request.names)
    audit.note(http, names, actor=f"worker {worker}", execution_id=request.execution_id)
    return await gateway.secrets(worker, request)


@router.post("/{name}/cache/get", response_model=CacheEntry, responses=_ERRORS)
async def cache_get(worker: Worker, lookup: CacheLookup, gateway: Gateway) -> CacheEntry:
    return await gateway.cache_get(lookup)


@router.put("/{name}/cache", status_code=204, responses=_ERRORS)
async def cache_set(worker: Worker, entry: CacheEntry, gateway: Gateway) -> Response:
    await gateway.cache_set(entry)
    return Response(status_code=204)


@router.post("/{name}/disconnect", status_code=204, responses=_ERRORS)
async def disconnect(worker: Worker, gateway: Gateway) -> Response:
    """A graceful leave: the worker's SSE stream is closed (which releases what it holds)."""
    gateway.leave(worker)
    return Response(status_code=204)


# Large outputs (docs/production.md): the server owns the output store; a worker uploads a
# value's bytes before the checkpoint that references it, and fetches them to replay.


_OCTETS = "application/octet-stream"


def _output_store(state: ServerState, digest: str) -> BlobStore | JSONResponse:
    if state.outputs is None:
        return JSONResponse({"detail": "this server keeps no output store"}, status_code=404)
    if not is_digest(digest):
        return JSONResponse({"detail": "not a sha256 digest (64 hex digits)"}, status_code=400)
    return state.outputs.store


@router.put(
    "/{name}/outputs/{digest}", status_code=204, responses=documented(400, 401, 403, 404, 413)
)
async def put_output(worker: Worker, digest: str, request: Request, state: State) -> Response:
    """Store a large value's encoded bytes under their sha256 (the body must match `digest`).
    Idempotent: the same bytes always land at the same name."""
    store = _output_store(state, digest)
    if isinstance(store, JSONResponse):
        return store
    limit = state.core.settings.outputs.max_upload_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return JSONResponse({"detail": f"over outputs.max_upload_bytes ({limit})"}, 413)
    data = await request.body()
    if len(data) > limit:
        return JSONResponse({"detail": f"over outputs.max_upload_bytes ({limit})"}, 413)
    if digest_of(data) != digest:
        return JSONResponse({"detail": "the body's sha256 is not the digest named"}, 400)
    await store.put(digest, data)
    return Response(status_code=204)


@router.get(
    "/{name}/outputs/{digest}",
    responses={**documented(400, 401, 403, 404), 200: {"content": {_OCTETS: {}}}},
)
async def get_output(worker: Worker, digest: str, state: State) -> Response:
    """A large value's encoded bytes, as uploaded (the worker checks them against the signed
    reference before decoding)."""
    store = _output_store(state, digest)
    if isinstance(store, JSONResponse):
        return store
    data = await store.get(digest)
    if data is None:
        return JSONResponse({"detail": f"no stored output {digest}"}, status_code=404)
    return Response(data, media_type=_OCTETS)
