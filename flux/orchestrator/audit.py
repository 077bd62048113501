"""The audit writer: records of who did what (docs/audit.md), buffered in memory and
appended in batches by one background task per server replica.

A request only appends to a deque, so recording costs the hot path (POST /jobs/submit at
1,000/s) nothing it would notice; the writer stores up to `BATCH` records per transaction
every `INTERVAL` seconds, or at once when a full batch waits. A record is therefore written
after its action, within about `INTERVAL` seconds. A failed write is retried a few times,
then the batch is dropped and counted; the buffer is capped, so an unreachable database
costs bounded memory (drops are logged and counted too).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from datetime import UTC, datetime, timedelta

from flux.api.audit import AuditEntry, AuditPage
from flux.domain.events import utcnow
from flux.orchestrator.store import AuditQuery, AuditRecord, OrchestratorStore

logger = logging.getLogger(__name__)

INTERVAL = 0.2  # seconds between writes while records wait
BATCH = 500  # records per transaction
CAPACITY = 50_000  # records held while the database cannot take them
RETRIES = 3  # further attempts at a batch whose write failed
RETRY_DELAY = 0.5  # seconds, doubled after each failed attempt


class AuditLog:
    def __init__(
        self,
        store: OrchestratorStore,
        *,
        interval: float = INTERVAL,
        batch: int = BATCH,
        capacity: int = CAPACITY,
        retry_delay: float = RETRY_DELAY,
    ) -> None:
        self._store = store
        self._interval = interval
        self._batch = batch
        self._pending: deque[AuditRecord] = deque()
        self._capacity = capacity
        self._retry_delay = retry_delay
        self._full = asyncio.Event()  # a whole batch waits: write now
        self._writing = asyncio.Lock()  # the loop and an explicit flush never interleave
        self._task: asyncio.Task[None] | None = None
        self.dropped = 0  # records lost: buffer full, or a batch failed every retry

    def record(self, record: AuditRecord) -> None:
        """Queue `record` for the next write (never blocks, never raises)."""
        if len(self._pending) >= self._capacity:
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                logger.error("audit: buffer full, %d record(s) dropped so far", self.dropped)
            return
        self._pending.append(record)
        if len(self._pending) >= self._batch:
            self._full.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="flux-audit")

    async def stop(self) -> None:
        """Stop the loop and write what is still buffered (the server is shutting down)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.flush()

    async def flush(self) -> None:
        """Write every buffered record now (before listing: a reader sees its own actions)."""
        async with self._writing:
            while self._pending:
                await self._write(self._take())

    async def page(self, query: AuditQuery, limit: int) -> AuditPage:
        """Newest first, after writing what this replica still buffers."""
        await self.flush()
        found = await self._store.list_audit(query, limit + 1)
        more = len(found) > limit
        found = found[:limit]
        return AuditPage(
            entries=[_entry(record) for record in found],
            next_cursor=encode_cursor(found[-1]) if more else None,
        )

    def _take(self) -> list[AuditRecord]:
        count = min(self._batch, len(self._pending))
        return [self._pending.popleft() for _ in range(count)]

    async def _loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._full.wait(), self._interval)
            self._full.clear()
            await self.flush()

    async def _write(self, batch: list[AuditRecord]) -> None:
        delay = self._retry_delay
        for attempt in range(RETRIES + 1):
            try:
                await self._store.append_audit(batch)
                return
            except Exception as exc:  # the database may be restarting
                if attempt == RETRIES:
                    self.dropped += len(batch)
                    logger.error(
                        "audit: dropped %d record(s) after %d failed writes: %s",
                        len(batch),
                        attempt + 1,
                        exc,
                    )
                    return
                logger.warning("audit: write failed (%s); retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay *= 2


async def prune_audit(
    store: OrchestratorStore, days: float, batch: int, now: datetime | None = None
) -> int:
    """Delete audit records older than `days` (0 keeps them), `batch` per statement."""
    if days <= 0:
        return 0
    cutoff = (now or utcnow()) - timedelta(days=days)
    count = 0
    while True:
        deleted = await store.prune_audit(cutoff, batch)
        count += deleted
        if deleted < batch:
            return count


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def encode_cursor(record: AuditRecord) -> str:
    """'<microseconds since 1970>-<id>' of the last record of a page."""
    return f"{(record.at - _EPOCH) // _MICROSECOND}-{record.id}"


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """ValueError if `cursor` is not one `encode_cursor` made."""
    micros, separator, id_ = cursor.partition("-")
    invalid = ValueError(f"invalid cursor {cursor!r}: pass the next_cursor of a previous page")
    if not (separator and _digits(micros) and _digits(id_)):
        raise invalid
    try:
        moment = _EPOCH + int(micros) * _MICROSECOND
    except OverflowError:
        raise invalid from None
    if int(id_) >= 2**63:  # beyond a BIGINT
        raise invalid
    return moment, int(id_)


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _entry(record: AuditRecord) -> AuditEntry:
    detail = None
    if record.detail:
        with contextlib.suppress(ValueError):
            detail = json.loads(record.detail)
    return AuditEntry(
        id=record.id or 0,
        at=record.at,
        actor=record.actor,
        role=record.role,
        action=record.action,
        target=record.target,
        status=record.status,
        client=record.client,
        detail=detail if isinstance(detail, dict) else None,
    )
