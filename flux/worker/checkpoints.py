"""Group commit across every run of this worker: one `POST /workers/{name}/checkpoints` per
round trip, whatever the number of executions.

Appends made in the same event-loop turn go out together. While a batch is on the wire, new
appends wait and leave as the next batch the moment it returns, so under load the batches
grow instead of the requests multiplying. Only one batch is on the wire at a time, which also
keeps the appends of one execution in order without any per-execution bookkeeping.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from flux.api.worker_protocol import (
    Checkpoint,
    CheckpointBatch,
    CheckpointBatchReply,
    CheckpointItem,
    CheckpointResult,
)

log = logging.getLogger("flux.worker")

Send = Callable[[CheckpointBatch], Awaitable[CheckpointBatchReply]]


@dataclass(slots=True)
class _Entry:
    execution_id: str
    checkpoint: Checkpoint
    waiters: list[asyncio.Future[CheckpointResult]] = field(default_factory=list)

    def merge(self, checkpoint: Checkpoint) -> None:
        """Fold a later append of the same run (same epoch) into this one: one item, its
        events in order, the latest state and output."""
        self.checkpoint.events.extend(checkpoint.events)
        if checkpoint.state is not None:
            self.checkpoint.state = checkpoint.state
        if checkpoint.output is not None:
            self.checkpoint.output = checkpoint.output


class CheckpointBatcher:
    def __init__(self, send: Send):
        self._send = send
        self._pending: list[_Entry] = []
        self._by_execution: dict[str, _Entry] = {}
        self._scheduled = False
        self._in_flight: asyncio.Task[None] | None = None
        self.batches_sent = 0

    async def submit(self, execution_id: str, checkpoint: Checkpoint) -> CheckpointResult:
        """This run's result once the batch carrying it is answered. Raises what sending
        the batch raised (the server unreachable for too long, a refused request). The
        batcher takes `checkpoint` over: later appends of the run may be merged into it."""
        # Shielded: a run cancelled while its checkpoint is on the wire must not lose the
        # answer for the other appends merged into the same item.
        return await asyncio.shield(self.enqueue(execution_id, checkpoint))

    def enqueue(
        self, execution_id: str, checkpoint: Checkpoint
    ) -> asyncio.Future[CheckpointResult]:
        """`submit` without waiting: queued now, in order with every append before it."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[CheckpointResult] = loop.create_future()
        entry = self._by_execution.get(execution_id)
        if entry is not None and entry.checkpoint.epoch == checkpoint.epoch:
            entry.merge(checkpoint)
        else:
            entry = _Entry(execution_id, checkpoint)
            self._pending.append(entry)
            self._by_execution[execution_id] = entry
        entry.waiters.append(waiter)
        if not self._scheduled and self._in_flight is None:
            self._scheduled = True
            loop.call_soon(self._launch)
        return waiter

    def _launch(self) -> None:
        self._scheduled = False
        if self._in_flight is not None or not self._pending:
            return
        entries, self._pending, self._by_execution = self._pending, [], {}
        self._in_flight = asyncio.create_task(self._deliver(entries))
        self._in_flight.add_done_callback(self._delivered)

    def _delivered(self, _: asyncio.Task[None]) -> None:
        self._in_flight = None
        # Whatever queued during the round trip has waited long enough: send it now.
        self._launch()

    async def _deliver(self, entries: list[_Entry]) -> None:
        batch = CheckpointBatch(
            items=[
                CheckpointItem(execution_id=e.execution_id, checkpoint=e.checkpoint)
                for e in entries
            ]
        )
        try:
            reply = await self._send(batch)
        except BaseException as exc:
            for entry in entries:
                _fail(entry, exc)
            if not isinstance(exc, Exception):
                raise
            return
        finally:
            self.batches_sent += 1
        results = {result.execution_id: result for result in reply.results}
        for entry in entries:
            result = results.get(entry.execution_id)
            if result is None:
                _fail(entry, RuntimeError(f"the server did not answer for '{entry.execution_id}'"))
                continue
            for waiter in entry.waiters:
                if not waiter.done():
                    waiter.set_result(result)

    async def drain(self) -> None:
        """Return once nothing is queued or on the wire."""
        while self._in_flight is not None or self._pending:
            if self._in_flight is not None:
                await asyncio.wait([self._in_flight])
            else:
                await asyncio.sleep(0)


def _fail(entry: _Entry, exc: BaseException) -> None:
    for waiter in entry.waiters:
        if waiter.done():
            continue
        if isinstance(exc, asyncio.CancelledError):
            waiter.cancel()
        else:
            waiter.set_exception(exc)
