"""What the engine needs from persistence, as a Protocol.

The engine owns the codec, so stores only ever see bytes: a store never unpickles, and a
serialization error is raised inside the step that produced the value, not at write time.
Adapters (SQLite, PostgreSQL, in-memory) live in `flux.storage` and are picked by
`flux.storage.factory.create_store`; the engine never imports them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from flux.domain.events import ExecutionState
from flux.domain.limits import RunLimits


@dataclass(slots=True)
class EventRow:
    """One event as stored. `seq` orders an execution's log and is unique within it: a second
    write of the same seq is refused by the store (this is what fences stale writers)."""

    execution_id: str
    seq: int
    id: str
    type: str
    source_id: str
    name: str
    value: bytes | None
    time: datetime


@dataclass(slots=True)
class ExecutionRow:
    execution_id: str
    workflow_name: str
    state: ExecutionState
    input: bytes | None
    created_at: datetime
    updated_at: datetime
    workflow_version: str | None = None
    output: bytes | None = None
    parent_execution_id: str | None = None
    requests: str | None = None  # ResourceRequest as JSON text
    # Filled by get_execution only when asked with `with_events=True`.
    events: list[EventRow] = field(default_factory=list)
    # The server's queue (docs/production.md, "Queues and limits"): higher runs first, and
    # the limits the run is admitted under. Local runs are never queued and ignore both.
    priority: int = 0
    limits: RunLimits | None = None


class ExecutionExistsError(Exception):
    def __init__(self, execution_id: str):
        super().__init__(f"execution '{execution_id}' already exists")
        self.execution_id = execution_id


class EventConflictError(Exception):
    """An append used a seq that is already taken: another writer got there first."""

    def __init__(self, execution_id: str, seq: int):
        super().__init__(f"execution '{execution_id}' already has an event at seq {seq}")
        self.execution_id, self.seq = execution_id, seq


class ExecutionStore(Protocol):
    """Durable home of executions, their event logs, the task cache and encrypted secrets.

    Every method is one transaction: a failure leaves nothing half-written.
    """

    async def create_execution(self, execution: ExecutionRow, events: Sequence[EventRow]) -> None:
        """Insert the execution and its first events. Raises ExecutionExistsError."""

    async def append_events(
        self,
        execution_id: str,
        events: Sequence[EventRow],
        *,
        state: ExecutionState | None = None,
        output: bytes | None = None,
    ) -> None:
        """Append events (and optionally set the state / output) atomically.

        Raises EventConflictError if any seq is taken, ExecutionNotFound-like KeyError if the
        execution does not exist."""

    async def get_execution(
        self, execution_id: str, *, with_events: bool = True
    ) -> ExecutionRow | None: ...

    async def get_events(self, execution_id: str, *, after_seq: int = -1) -> list[EventRow]: ...

    async def list_executions(
        self,
        *,
        workflow_name: str | None = None,
        state: ExecutionState | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[ExecutionRow]:
        """Newest first, without events."""

    async def cache_get(self, key: str, now: datetime) -> bytes | None:
        """The cached value, or None when absent or expired at `now`."""

    async def cache_set(self, key: str, value: bytes, expires_at: datetime | None) -> None: ...

    async def secret_get(self, names: Sequence[str]) -> dict[str, bytes]:
        """Encrypted values of the names that exist (missing names are simply absent)."""

    async def secret_set(self, name: str, value: bytes) -> None: ...

    async def secret_delete(self, name: str) -> bool: ...

    async def secret_names(self) -> list[str]: ...

    async def close(self) -> None: ...
