"""`LogShipper`: sends the output of running script steps to the server while they run.

Output is batched: a step's first text waits `FLUSH_DELAY` before it travels, and later text
joins the next batch, so a chatty script costs a few requests per second and a short one
(done before the first flush) none at all: its attempt record carries the whole output.
Each chunk names its offset in the step's output, so a retried batch does not double text.
Shipping is best effort: live output is for people watching; the record is the truth.
Secret values the worker fetched are masked in each batch (offsets count the shipped, masked
text, so chunks still join up); a value split across two batches by the flush timer escapes
this pass, but never the attempt's record, which is masked whole.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from flux.api.worker_protocol import LogBatch, LogText
from flux.domain.masking import SecretMasks
from flux.worker.connection import ServerConnection

log = logging.getLogger("flux.worker")
FLUSH_DELAY = 0.2  # seconds
MAX_PENDING = 1024 * 1024  # characters held per step while the server is slow


@dataclass(slots=True, eq=False)  # eq=False: hashable by identity, kept in a set
class _StepLog:
    shipper: LogShipper
    execution_id: str
    step_id: str
    sent: int = 0  # characters of the (masked) output already handed to a batch
    pending: list[str] = field(default_factory=list)
    pending_size: int = 0
    closed: bool = False

    def write(self, text: str) -> None:
        if self.closed or not text:
            return
        if self.pending_size >= MAX_PENDING:
            return  # the record keeps it; live followers miss it only while the server lags
        self.pending.append(text)
        self.pending_size += len(text)
        self.shipper.schedule()

    def close(self) -> None:
        self.closed = True
        self.shipper.forget(self)

    def take(self) -> LogText | None:
        if not self.pending:
            return None
        text = self.shipper.masks.mask_text("".join(self.pending))
        chunk = LogText(
            execution_id=self.execution_id, step_id=self.step_id, offset=self.sent, text=text
        )
        self.sent += len(text)
        self.pending.clear()
        self.pending_size = 0
        return chunk


class LogShipper:
    def __init__(self, conn: ServerConnection, masks: SecretMasks | None = None):
        self._conn = conn
        self.masks = masks if masks is not None else SecretMasks()
        self._open: set[_StepLog] = set()
        self._flush: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def open(self, execution_id: str, step_id: str) -> _StepLog:
        step = _StepLog(self, execution_id, step_id)
        self._open.add(step)
        return step

    def forget(self, step: _StepLog) -> None:
        self._open.discard(step)

    def schedule(self) -> None:
        if self._flush is None:
            loop = asyncio.get_running_loop()
            self._flush = loop.call_later(FLUSH_DELAY, self._send)

    def _send(self) -> None:
        self._flush = None
        chunks = [c for c in (step.take() for step in list(self._open)) if c is not None]
        if chunks:
            task = asyncio.ensure_future(self._post(chunks))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _post(self, chunks: list[LogText]) -> None:
        try:
            await self._conn.call(
                "POST", self._conn.path("logs"), LogBatch(chunks=chunks), what="logs", retry_for=2.0
            )
        except Exception as exc:
            log.debug("live output not shipped: %s", exc)

    async def close(self) -> None:
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
