"""`GroupCommit`: concurrent writes of one kind share one transaction.

Under a burst of submissions most of a request's cost in the store is the transaction
around its rows (the COMMIT's sync, a pool connection, round trips), not the rows. Each
writer hands its item over and waits; one drain task writes everything handed over in the
same event-loop turn as one batch, and whatever arrives while that batch's transaction is
in flight makes up the next one. A writer alone waits one loop turn more than before.

Each item keeps its own outcome: the store reports per item (an id already taken stores
nothing of that item), and when a batch's transaction fails as a whole, nothing of it is
stored and its items are written again one by one, so that one bad item fails only its own
request. `on_stored` runs in the drain right after the commit, so what must follow a
stored item (announcing it to the dispatcher) happens even if its writer stopped waiting.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
logger = logging.getLogger(__name__)

WriteMany = Callable[[Sequence[T]], Awaitable[list[Exception | None]]]


class GroupCommit(Generic[T]):
    def __init__(
        self,
        write_many: WriteMany[T],
        on_stored: Callable[[T], None] = lambda item: None,
        max_batch: int = 500,
    ):
        self._write_many = write_many
        self._on_stored = on_stored
        self._max_batch = max_batch
        self._pending: list[tuple[T, asyncio.Future[None]]] = []
        self._drain_task: asyncio.Task[None] | None = None

    async def write(self, item: T) -> None:
        """Store `item` with whatever else is being written now; raises its own error."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._pending.append((item, done))
        if self._drain_task is None:
            self._drain_task = loop.create_task(self._drain(), name="flux-group-commit")
        await done

    async def _drain(self) -> None:
        try:
            while self._pending:
                batch = self._pending[: self._max_batch]
                del self._pending[: self._max_batch]
                try:
                    results = await self._write_batch([item for item, _ in batch])
                except BaseException as exc:
                    # Cancelled (the server stops): no writer is left waiting forever.
                    batch.extend(self._pending)
                    self._pending.clear()
                    for _, done in batch:
                        if done.done():
                            continue
                        if isinstance(exc, asyncio.CancelledError):
                            done.cancel()
                        else:
                            done.set_exception(exc)
                    raise
                for (item, done), error in zip(batch, results, strict=True):
                    if error is None:
                        self._stored(item)
                    if done.done():
                        continue  # the writer was cancelled; the item is stored all the same
                    if error is None:
                        done.set_result(None)
                    else:
                        done.set_exception(error)
        finally:
            self._drain_task = None

    def _stored(self, item: T) -> None:
        try:
            self._on_stored(item)
        except Exception:
            logger.exception("the follow-up of a stored item failed")

    async def _write_batch(self, items: list[T]) -> list[Exception | None]:
        try:
            return await self._write_many(items)
        except Exception as exc:
            if len(items) == 1:
                return [exc]
        # The whole transaction failed and stored nothing: find out whose item it was.
        results: list[Exception | None] = []
        for item in items:
            try:
                results.extend(await self._write_many([item]))
            except Exception as exc:
                results.append(exc)
        return results
