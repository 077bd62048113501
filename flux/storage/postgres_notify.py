"""`PostgresNotifier`: LISTEN/NOTIFY between server replicas sharing one PostgreSQL.

One connection listens on the three channels; another sends. Messages published in the same
event-loop turn go out together in one pipelined round trip, so a burst of submissions does
not cost a NOTIFY round trip each. If the listening connection drops (PostgreSQL restarted),
it reconnects with backoff and calls `resync`, since messages sent meanwhile are lost.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Callable
from typing import Any

import psycopg

from flux.orchestrator.notify import CHANNELS, Handler
from flux.storage.postgres import _conninfo

logger = logging.getLogger(__name__)
_MAX_BACKOFF_S = 2.0


class PostgresNotifier:
    def __init__(self, url: str) -> None:
        self._conninfo = _conninfo(url)
        # Tells this replica's own messages apart: they were delivered locally already.
        self._origin = os.urandom(6).hex()
        self._handler: Handler | None = None
        self._resync: Callable[[], None] = lambda: None
        self._outbox: list[tuple[str, str]] = []
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self, handler: Handler, resync: Callable[[], None]) -> None:
        self._handler, self._resync = handler, resync
        listening = asyncio.get_running_loop().create_future()
        self._tasks = [
            asyncio.create_task(self._listen(listening), name="flux-notify-listen"),
            asyncio.create_task(self._send_loop(), name="flux-notify-send"),
        ]
        # Return once LISTEN is in place, so nothing published after start() is missed.
        await asyncio.wait_for(listening, timeout=30)

    def publish(self, channel: str, payload: dict[str, Any]) -> None:
        if self._handler is not None:
            asyncio.get_running_loop().call_soon(self._handler, channel, payload)
        self._outbox.append((channel, json.dumps({**payload, "_origin": self._origin})))
        self._wake.set()

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        self._handler = None

    async def _listen(self, listening: asyncio.Future[None]) -> None:
        backoff = 0.05
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._conninfo, autocommit=True
                ) as conn:
                    for channel in CHANNELS:
                        await conn.execute(f"LISTEN {channel}")
                    if listening.done():
                        self._resync()
                    else:
                        listening.set_result(None)
                    backoff = 0.05
                    async for note in conn.notifies():
                        self._deliver(note.channel, note.payload)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning("listening for notifications failed (%s); reconnecting", exc)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, _MAX_BACKOFF_S)

    def _deliver(self, channel: str, text: str) -> None:
        try:
            payload = json.loads(text)
        except ValueError:
            return
        if payload.pop("_origin", None) == self._origin or self._handler is None:
            return
        try:
            self._handler(channel, payload)
        except Exception:
            logger.exception("handling a %s notification failed", channel)

    async def _send_loop(self) -> None:
        conn: psycopg.AsyncConnection[Any] | None = None
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                conn = await self._send(conn)
        finally:
            if conn is not None:
                await conn.close()

    async def _send(
        self, conn: psycopg.AsyncConnection[Any] | None
    ) -> psycopg.AsyncConnection[Any] | None:
        batch, self._outbox = self._outbox, []
        try:
            if conn is None or conn.closed:
                conn = await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True)
            async with conn.cursor() as cur:
                await cur.executemany("SELECT pg_notify(%s, %s)", batch)
            return conn
        except Exception as exc:
            logger.warning("sending %d notification(s) failed (%s); retrying", len(batch), exc)
            if conn is not None:
                await conn.close()
            self._outbox[:0] = batch
            await asyncio.sleep(0.1)
            self._wake.set()
            return None
