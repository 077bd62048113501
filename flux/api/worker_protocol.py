"""The worker protocol: registration, dispatch over SSE, claims under a lease, checkpoints.

Sequence (every call after registration carries `Authorization: Bearer <session_token>`):

1. `POST /workers/register` (bootstrap token) with `WorkerRegistration` -> `Registration`.
2. `GET /workers/{name}/connect`: an SSE stream of `execution_scheduled` (data:
   `DispatchMessage`), `execution_cancelled` (data: `CancelMessage`) and `keepalive` events.
   The server treats the stream closing as the worker leaving: its leases are released at
   once, which is what makes recovery after a crash sub-second.
3. `POST /workers/{name}/claim/{execution_id}` -> `Claim` (409 if someone else has it).
4. `GET /workers/{name}/workflows/{workflow}/{version}` -> `WorkflowSource` (cacheable);
   `GET /workers/{name}/workflows/{workflow}` -> the latest version's `WorkflowSource`.
5. `POST /workers/{name}/checkpoint/{execution_id}` with `Checkpoint`: appends only new
   events. 409 means the lease was lost (fencing): the worker must stop that run at once.
6. `POST /workers/{name}/heartbeat` with `Heartbeat` every `heartbeat_interval` seconds;
   renews leases and answers which of them are lost.
7. `POST /workers/{name}/release/{execution_id}` with `Release` hands a run back (graceful
   shutdown; does not count as a failed attempt). 204; 409 when not held at that epoch.

Also (all with the session token; 401 missing/unknown token, 403 token of another worker):
- `POST /workers/{name}/claim` with `ClaimNext` -> `ClaimBatch` (possibly empty).
- `POST /workers/{name}/checkpoints` with `CheckpointBatch` -> `CheckpointBatchReply`.
- `POST /workers/{name}/executions` with `ChildExecution` -> `Claim`: creates the child claimed
  by this worker, or (replay) takes the existing child over with a new epoch and its events.
- `POST /workers/{name}/secrets` with `SecretsRequest` -> `SecretsReply` (404 names the missing
  secrets; 409 when the run is not held at that epoch).
- `POST /workers/{name}/cache/get` with `CacheLookup` -> `CacheEntry` (value null: no entry);
  `PUT /workers/{name}/cache` with `CacheEntry` -> 204.
- `POST /workers/{name}/disconnect`: graceful leave; held runs go back to the queue.
- `PUT /workers/{name}/outputs/{sha256}` with the raw bytes of a large value -> 204
  (idempotent; 400 when the body does not hash to the name, 413 over
  `outputs.max_upload_bytes`), sent before the checkpoint that references it;
  `GET /workers/{name}/outputs/{sha256}` -> the bytes (404: not stored).

Status codes: checkpoint 204 on success, 409 lease lost / not held / seq taken (stop the run),
404 unknown execution; claim 200, 409 not claimable (taken, finished), 404 unknown.

Values travel as the codec's bytes in base64: the worker encodes with the codec key it got at
registration, and the server stores them unchanged.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, PlainSerializer

from flux.domain.events import ExecutionState
from flux.domain.secret_names import validate_secret_name

# How a 401's detail starts when an admin revoked the worker's session (`flux worker
# revoke`): the worker exits instead of registering again.
SESSION_REVOKED = "session revoked"

# Positions and fencing tokens are stored in 64-bit database columns: a larger number is
# a 422 here, not an overflow in the driver.
Int64 = Annotated[int, Field(ge=-(2**63), lt=2**63)]


def _decode_b64(value: Any) -> Any:
    if isinstance(value, str):
        return base64.b64decode(value.encode("ascii"), validate=True)
    return value


Blob = Annotated[
    bytes,
    BeforeValidator(_decode_b64),
    PlainSerializer(lambda b: base64.b64encode(b).decode("ascii"), return_type=str),
]


class GPUInfo(BaseModel):
    name: str
    memory_total: int = Field(description="bytes")
    memory_free: int = Field(description="bytes")


class WorkerResources(BaseModel):
    cpu_total: int
    cpu_available: float
    memory_total: int = Field(description="bytes")
    memory_available: int = Field(description="bytes")
    disk_total: int = 0
    disk_free: int = 0
    gpus: list[GPUInfo] = Field(default_factory=list)
    runtimes: dict[str, list[str]] = Field(
        default_factory=dict,
        description="script runtimes for jobs: family (python, node, bash) -> versions",
    )
    sandbox: str | None = Field(default=None, description="how the worker isolates jobs")


class PackageInfo(BaseModel):
    name: str
    version: str


class WorkerRegistration(BaseModel):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
    resources: WorkerResources
    packages: list[PackageInfo] = Field(default_factory=list)
    python_version: str
    platform: str
    max_concurrency: int = Field(default=100, ge=1)


class Registration(BaseModel):
    session_token: str
    codec_key: Blob = Field(description="key that signs stored pickles; shared by the fleet")
    serializer: str = Field(description="'pkl' or 'json': what workers write values with")
    lease_ttl: float = Field(description="seconds a claim lasts without a heartbeat")
    heartbeat_interval: float


class DispatchMessage(BaseModel):
    execution_id: str
    workflow_name: str
    workflow_version: str | None


class CancelMessage(BaseModel):
    execution_id: str


class EventRecord(BaseModel):
    seq: Int64
    id: str
    type: str
    source_id: str
    name: str
    value: Blob | None = None
    time: datetime


class ExecutionRecord(BaseModel):
    execution_id: str
    workflow_name: str
    workflow_version: str | None
    state: ExecutionState
    input: Blob | None = None
    parent_execution_id: str | None = None
    requests: str | None = None
    created_at: datetime
    updated_at: datetime
    events: list[EventRecord]


class Claim(BaseModel):
    execution: ExecutionRecord
    epoch: Int64 = Field(description="fencing token: checkpoints must carry it")
    lease_expires_at: datetime


class WorkflowSource(BaseModel):
    name: str
    version: str
    filename: str | None
    source: str


class Checkpoint(BaseModel):
    epoch: Int64
    events: list[EventRecord]
    state: ExecutionState | None = None
    output: Blob | None = None


class HeldExecution(BaseModel):
    execution_id: str
    epoch: Int64


class Heartbeat(BaseModel):
    executions: list[HeldExecution] = Field(default_factory=list)
    resources: WorkerResources | None = None


class HeartbeatReply(BaseModel):
    lost: list[str] = Field(default_factory=list, description="executions no longer held")


class Release(BaseModel):
    epoch: Int64


class CacheLookup(BaseModel):
    key: str


class CacheEntry(BaseModel):
    key: str
    value: Blob | None = None
    expires_at: datetime | None = None


class SecretsRequest(BaseModel):
    execution_id: str
    epoch: Int64
    # Checked here, so a malformed name is a 422 before any lookup.
    names: list[Annotated[str, AfterValidator(validate_secret_name)]]


class SecretsReply(BaseModel):
    values: dict[str, Any]


class CheckpointItem(BaseModel):
    execution_id: str
    checkpoint: Checkpoint


class CheckpointBatch(BaseModel):
    """Checkpoints of several runs in one request (`POST /workers/{name}/checkpoints`): a
    worker running many executions group-commits them, one HTTP round trip per loop turn."""

    items: list[CheckpointItem]


class LogText(BaseModel):
    execution_id: str
    step_id: str
    offset: Int64 = Field(ge=0, description="position of `text` in the step's whole output")
    text: str


class LogBatch(BaseModel):
    """Output of running script steps (`POST /workers/{name}/logs`), shipped while they run
    so that followers see it live; the step's recorded value carries the whole output."""

    chunks: list[LogText]


class CheckpointResult(BaseModel):
    execution_id: str
    ok: bool
    status: int = Field(description="what the single-run endpoint would have answered")
    detail: str | None = None


class CheckpointBatchReply(BaseModel):
    results: list[CheckpointResult]


class ClaimNext(BaseModel):
    """`POST /workers/{name}/claim`: claim up to `max` queued executions this worker fits
    (oldest first; on PostgreSQL with FOR UPDATE SKIP LOCKED, so workers never collide)."""

    max: int = Field(default=1, ge=1, le=1000)


class ClaimBatch(BaseModel):
    claims: list[Claim]


class ChildExecution(BaseModel):
    """`POST /workers/{name}/executions`: a subworkflow started inline by a run this worker
    holds; it is created already claimed by the worker and never dispatched on its own."""

    parent_execution_id: str
    parent_epoch: Int64
    execution: ExecutionRecord
