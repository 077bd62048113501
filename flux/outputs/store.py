"""`OffloadingStore`: an `ExecutionStore` in front of another, for output stores reached
asynchronously (the worker's server, S3 from local mode).

- Before a write, the staged blobs it references are uploaded: an event never points at a
  blob that is not stored yet. With nothing staged this costs one dict check.
- After a read, references are replaced by the bytes they stand for (fetched, and checked
  against the signed sha256), so the engine's synchronous decoding never waits on the network.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterable, Sequence
from datetime import datetime

from flux.codec import Codec, OutputRef
from flux.codec.references import REFERENCE_TAG, check_blob
from flux.domain.events import ExecutionState
from flux.engine.store import EventRow, ExecutionRow, ExecutionStore
from flux.outputs.offload import Offloader


class OffloadingStore:
    def __init__(self, inner: ExecutionStore, codec: Codec, offloader: Offloader):
        self.inner = inner
        self._codec = codec
        self._offloader = offloader

    # Writes: referenced blobs first

    async def _before_write(self, values: Iterable[bytes | None]) -> None:
        offloader = self._offloader
        if offloader.staged or offloader.inflight:
            needed = {ref.digest for ref in map(self._codec.reference, values) if ref}
            await offloader.flush(needed)

    async def flush(self) -> None:
        """Store every staged blob (before a write that bypasses this store)."""
        await self._offloader.flush()

    async def create_execution(self, execution: ExecutionRow, events: Sequence[EventRow]) -> None:
        await self._before_write([execution.input, *(e.value for e in events)])
        await self.inner.create_execution(execution, events)

    async def append_events(
        self,
        execution_id: str,
        events: Sequence[EventRow],
        *,
        state: ExecutionState | None = None,
        output: bytes | None = None,
    ) -> None:
        await self._before_write([output, *(e.value for e in events)])
        await self.inner.append_events(execution_id, events, state=state, output=output)

    async def cache_set(self, key: str, value: bytes, expires_at: datetime | None) -> None:
        await self._before_write([value])
        await self.inner.cache_set(key, value, expires_at)

    # Reads: references resolved

    async def get_execution(
        self, execution_id: str, *, with_events: bool = True
    ) -> ExecutionRow | None:
        row = await self.inner.get_execution(execution_id, with_events=with_events)
        if row is None:
            return None
        values = [row.input, *(e.value for e in row.events)]
        if not _any_reference(values):
            return row
        found = await self._fetch(values)
        # New rows, not edits: an in-memory store hands out the objects it keeps.
        return dataclasses.replace(
            row,
            input=_swap(row.input, found),
            events=[_swap_event(e, found) for e in row.events],
        )

    async def get_events(self, execution_id: str, *, after_seq: int = -1) -> list[EventRow]:
        events = await self.inner.get_events(execution_id, after_seq=after_seq)
        values = [e.value for e in events]
        if not _any_reference(values):
            return events
        found = await self._fetch(values)
        return [_swap_event(e, found) for e in events]

    async def cache_get(self, key: str, now: datetime) -> bytes | None:
        value = await self.inner.cache_get(key, now)
        if value is None or value[:1] != REFERENCE_TAG:
            return value
        return _swap(value, await self._fetch([value]))

    async def _fetch(self, values: Iterable[bytes | None]) -> dict[bytes, bytes]:
        refs: dict[bytes, OutputRef] = {}
        for value in values:
            ref = self._codec.reference(value)
            if ref is not None and value is not None:
                refs[value] = ref
        unique = {ref.digest: ref for ref in refs.values()}
        blobs = await asyncio.gather(*(self._offloader.fetch(ref) for ref in unique.values()))
        by_digest = {
            ref.digest: check_blob(ref, blob)
            for ref, blob in zip(unique.values(), blobs, strict=True)
        }
        return {value: by_digest[ref.digest] for value, ref in refs.items()}

    # The rest, unchanged

    async def list_executions(
        self,
        *,
        workflow_name: str | None = None,
        state: ExecutionState | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[ExecutionRow]:
        return await self.inner.list_executions(
            workflow_name=workflow_name, state=state, limit=limit, offset=offset
        )

    async def secret_get(self, names: Sequence[str]) -> dict[str, bytes]:
        return await self.inner.secret_get(names)

    async def secret_set(self, name: str, value: bytes) -> None:
        await self.inner.secret_set(name, value)

    async def secret_delete(self, name: str) -> bool:
        return await self.inner.secret_delete(name)

    async def secret_names(self) -> list[str]:
        return await self.inner.secret_names()

    async def close(self) -> None:
        await self.inner.close()


def _any_reference(values: Iterable[bytes | None]) -> bool:
    return any(v is not None and v[:1] == REFERENCE_TAG for v in values)


def _swap(value: bytes | None, found: dict[bytes, bytes]) -> bytes | None:
    if value is None or value[:1] != REFERENCE_TAG:
        return value
    return found.get(value, value)


def _swap_event(event: EventRow, found: dict[bytes, bytes]) -> EventRow:
    value = _swap(event.value, found)
    return event if value is event.value else dataclasses.replace(event, value=value)
