"""`InMemoryStore`: a dict-based `ExecutionStore` for tests, yours and ours.

It passes the same contract suite as the SQL stores (`tests/storage`), including their
refusals: duplicate executions, taken seqs (with nothing of the batch kept), unknown
executions and naive datetimes. Rows are copied in and out, so a caller mutating a row it
passed or got back cannot change what is "stored", as with a real database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from flux.domain.events import ExecutionState, utcnow
from flux.engine.store import EventConflictError, EventRow, ExecutionExistsError, ExecutionRow
from flux.storage.rows import as_utc, first_taken_seq


def _event_copy(event: EventRow) -> EventRow:
    return replace(event, time=as_utc(event.time))


class InMemoryStore:
    def __init__(self) -> None:
        self._executions: dict[str, ExecutionRow] = {}
        self._events: dict[str, dict[int, EventRow]] = {}
        self._cache: dict[str, tuple[bytes, datetime | None]] = {}
        self._secrets: dict[str, bytes] = {}

    async def create_execution(self, execution: ExecutionRow, events: Sequence[EventRow]) -> None:
        if execution.execution_id in self._executions:
            raise ExecutionExistsError(execution.execution_id)
        row = replace(
            execution,
            created_at=as_utc(execution.created_at),
            updated_at=as_utc(execution.updated_at),
            events=[],
        )
        self._check_free(execution.execution_id, {}, events)
        self._executions[row.execution_id] = row
        self._events[row.execution_id] = {event.seq: _event_copy(event) for event in events}

    async def append_events(
        self,
        execution_id: str,
        events: Sequence[EventRow],
        *,
        state: ExecutionState | None = None,
        output: bytes | None = None,
    ) -> None:
        execution = self._executions.get(execution_id)
        if execution is None:
            raise KeyError(execution_id)
        log = self._events[execution_id]
        self._check_free(execution_id, log, events)
        log.update((event.seq, _event_copy(event)) for event in events)
        execution.updated_at = utcnow()
        if state is not None:
            execution.state = state
        if output is not None:
            execution.output = output

    @staticmethod
    def _check_free(
        execution_id: str, log: dict[int, EventRow], events: Sequence[EventRow]
    ) -> None:
        seqs = [event.seq for event in events]
        if len(set(seqs)) != len(seqs) or not log.keys().isdisjoint(seqs):
            raise EventConflictError(execution_id, first_taken_seq(seqs, log))
        for event in events:
            as_utc(event.time)

    async def get_execution(
        self, execution_id: str, *, with_events: bool = True
    ) -> ExecutionRow | None:
        execution = self._executions.get(execution_id)
        if execution is None:
            return None
        events = await self.get_events(execution_id) if with_events else []
        return replace(execution, events=events)

    async def get_events(self, execution_id: str, *, after_seq: int = -1) -> list[EventRow]:
        log = self._events.get(execution_id, {})
        return [replace(log[seq]) for seq in sorted(log) if seq > after_seq]

    async def list_executions(
        self,
        *,
        workflow_name: str | None = None,
        state: ExecutionState | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[ExecutionRow]:
        found = [
            execution
            for execution in self._executions.values()
            if workflow_name in (None, execution.workflow_name) and state in (None, execution.state)
        ]
        found.sort(key=lambda row: (row.created_at, row.execution_id), reverse=True)
        return [replace(row, events=[]) for row in found[offset : offset + limit]]

    async def cache_get(self, key: str, now: datetime) -> bytes | None:
        now = as_utc(now)
        value, expires_at = self._cache.get(key, (None, None))
        if expires_at is not None and expires_at <= now:
            return None
        return value

    async def cache_set(self, key: str, value: bytes, expires_at: datetime | None) -> None:
        self._cache[key] = (value, None if expires_at is None else as_utc(expires_at))

    async def secret_get(self, names: Sequence[str]) -> dict[str, bytes]:
        return {name: self._secrets[name] for name in names if name in self._secrets}

    async def secret_set(self, name: str, value: bytes) -> None:
        self._secrets[name] = value

    async def secret_delete(self, name: str) -> bool:
        return self._secrets.pop(name, None) is not None

    async def secret_names(self) -> list[str]:
        return sorted(self._secrets)

    async def close(self) -> None:
        pass
