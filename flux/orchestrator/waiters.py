"""Waiting for executions to change state, without polling.

Every state change this replica writes, and every one another replica announces on
`flux_execution`, is handed to `Waiters.notify`; a `Watch` registered for that execution
receives it. A watch must be registered before the state it waits for is first read, so a
change that lands in between is never missed. After the notification connection was lost,
`resync` tells every watch to read the state again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

from flux.domain.events import ExecutionState

# A watch's `next` returns this when the state must be read again from the store.
RECHECK = None


class Watch:
    def __init__(self) -> None:
        self._queue: asyncio.Queue[ExecutionState | None] = asyncio.Queue()

    def put(self, state: ExecutionState | None) -> None:
        self._queue.put_nowait(state)

    async def next(self, timeout: float | None) -> ExecutionState | None:
        """The next state notified, or RECHECK. Raises TimeoutError."""
        if timeout is not None and timeout <= 0:
            raise TimeoutError
        return await asyncio.wait_for(self._queue.get(), timeout)


class Waiters:
    def __init__(self) -> None:
        self._watches: dict[str, set[Watch]] = {}

    def open(self, execution_id: str) -> Watch:
        watch = Watch()
        self._watches.setdefault(execution_id, set()).add(watch)
        return watch

    def close(self, execution_id: str, watch: Watch) -> None:
        watches = self._watches.get(execution_id)
        if watches is not None:
            watches.discard(watch)
            if not watches:
                del self._watches[execution_id]

    @contextmanager
    def watch(self, execution_id: str) -> Iterator[Watch]:
        watch = self.open(execution_id)
        try:
            yield watch
        finally:
            self.close(execution_id, watch)

    def notify(self, execution_id: str, state: ExecutionState | None) -> None:
        for watch in self._watches.get(execution_id, ()):
            watch.put(state)

    def resync(self) -> None:
        for watches in self._watches.values():
            for watch in watches:
                watch.put(RECHECK)

    def __len__(self) -> int:
        return sum(len(watches) for watches in self._watches.values())
