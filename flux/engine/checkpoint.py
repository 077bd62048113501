"""Writing an execution's new events, with group commit.

A step's outcome is made durable before the workflow code sees it, so a crash can only ever
repeat the step that was in flight, never one whose result was already used. Steps that
finish in the same event-loop turn (a `parallel` fan-out) share one write: the first commit
of a turn schedules the flush with `call_soon`, every later commit of that turn joins it.
Only events not yet written are sent, so a checkpoint costs the same at step 10,000 as at 1.
"""

from __future__ import annotations

import asyncio
from typing import Any

from flux.codec import Codec
from flux.domain.events import ExecutionEvent, ExecutionEventType, ExecutionState
from flux.domain.execution_context import ExecutionContext
from flux.engine.clock import SYSTEM_CLOCK, Clock
from flux.engine.store import EventRow, ExecutionStore
from flux.errors import FluxError


class CheckpointError(FluxError):
    """The event log could not be written; the run stops without recording anything else."""


class Checkpointer:
    def __init__(
        self,
        store: ExecutionStore,
        codec: Codec,
        ctx: ExecutionContext[Any],
        seq: int,
        clock: Clock = SYSTEM_CLOCK,
    ):
        self._store = store
        self._codec = codec
        self._ctx = ctx
        self._seq = seq
        self._pending: list[EventRow] = []
        self._state: ExecutionState | None = None
        self._output: bytes | None = None
        self._batch: asyncio.Future[None] | None = None
        self._clock = clock

    def add(
        self,
        type: ExecutionEventType,
        source_id: str,
        name: str,
        value: Any = None,
        *,
        state: ExecutionState | None = None,
        what: str = "a value",
    ) -> ExecutionEvent:
        """Encode and queue an event. Raises SerializationError before anything is queued."""
        blob = self._codec.dumps(value, what) if value is not None else None
        event = ExecutionEvent(type, source_id, name, value, self._clock.utcnow())
        self._pending.append(
            EventRow(
                self._ctx.execution_id,
                self._seq,
                event.id,
                type.value,
                source_id,
                name,
                blob,
                event.time,
            )
        )
        self._seq += 1
        if state is not None:
            self._state = state
            if state.is_terminal and type is ExecutionEventType.WORKFLOW_COMPLETED:
                self._output = blob
        self._ctx.record(event, state)
        return event

    def take_pending(self) -> list[EventRow]:
        rows, self._pending = self._pending, []
        self._state = None
        return rows

    async def commit(self) -> None:
        """Return once every event queued so far is durable."""
        if not self._pending:
            return
        if self._batch is None:
            loop = asyncio.get_running_loop()
            self._batch = loop.create_future()
            loop.call_soon(self._flush_batch, self._batch)
        await asyncio.shield(self._batch)

    def _flush_batch(self, batch: asyncio.Future[None]) -> None:
        self._batch = None
        task = asyncio.ensure_future(self.flush())
        task.add_done_callback(lambda t: _settle(batch, t))

    async def flush(self) -> None:
        if not self._pending and self._state is None:
            return
        rows, state, output = self._pending, self._state, self._output
        self._pending, self._state, self._output = [], None, None
        try:
            await self._store.append_events(
                self._ctx.execution_id, rows, state=state, output=output
            )
        except Exception as exc:
            raise CheckpointError(
                f"could not record events of execution '{self._ctx.execution_id}': {exc}"
            ) from exc


def _settle(batch: asyncio.Future[None], task: asyncio.Task[None]) -> None:
    if batch.done():
        return
    if task.cancelled():
        batch.cancel()
    elif (exc := task.exception()) is not None:
        batch.set_exception(exc)
    else:
        batch.set_result(None)
