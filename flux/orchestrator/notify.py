"""Wake-ups between server replicas, behind a two-method interface.

Three channels: `flux_dispatch` (an execution was queued: dispatchers of every replica look
for a worker), `flux_execution` (an execution changed state: sync and stream waiters re-check)
and `flux_worker` (a message for a worker connected to some replica: cancel a run, forget a
cached session token). `publish` delivers to this process's handler at once and, with
PostgreSQL, to the other replicas through NOTIFY; a replica never handles its own message
twice. With SQLite or the in-memory store there is one server process, so `LocalNotifier`
only delivers in-process.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Protocol

DISPATCH = "flux_dispatch"
EXECUTION = "flux_execution"
WORKER = "flux_worker"
CHANNELS = (DISPATCH, EXECUTION, WORKER)

Handler = Callable[[str, dict[str, Any]], None]


class Notifier(Protocol):
    async def start(self, handler: Handler, resync: Callable[[], None]) -> None:
        """Begin delivering messages to `handler`. `resync` is called after messages may have
        been missed (the listening connection was lost and is back)."""

    def publish(self, channel: str, payload: dict[str, Any]) -> None:
        """Deliver to every replica, this one included; never blocks."""

    async def close(self) -> None: ...


class LocalNotifier:
    def __init__(self) -> None:
        self._handler: Handler | None = None

    async def start(self, handler: Handler, resync: Callable[[], None]) -> None:
        self._handler = handler

    def publish(self, channel: str, payload: dict[str, Any]) -> None:
        if self._handler is not None:
            # Not inline: the publisher may be in the middle of a store transaction.
            asyncio.get_running_loop().call_soon(self._handler, channel, payload)

    async def close(self) -> None:
        self._handler = None
