"""The lease sweeper: releases leases that expired (a partitioned or hung worker).

A worker that crashes closes its SSE stream and is released at once (`WorkerGateway.
disconnect`); this sweep is for the worker that is silent without disconnecting. It runs on
every replica every `lease_ttl / 4`; on PostgreSQL the expired rows are taken with SKIP
LOCKED, so replicas split the work instead of waiting on each other. A run that lost its
worker `workers.max_attempts` times ends FAILED with the reason (see `Core.release_policy`).

Each sweep also deletes concurrency slots whose run no longer holds a worker. Every write
that lets a run go frees its slot in the same transaction, so this finds nothing unless a
slot was left behind some other way (a row edited by hand, a bug); a leaked slot would
otherwise keep a limit short of a run forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from flux.domain.events import utcnow
from flux.orchestrator import notify
from flux.orchestrator.core import Core

logger = logging.getLogger(__name__)
_BATCH = 500


class LeaseSweeper:
    def __init__(self, core: Core):
        self._core = core
        self._task: asyncio.Task[None] | None = None

    @property
    def interval(self) -> float:
        return self._core.lease_ttl / 4

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="flux-lease-sweeper")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def sweep(self) -> int:
        """Release every expired lease now; returns how many."""
        total = 0
        while True:
            released = await self._core.store.release_expired(
                utcnow(), self._core.release_policy(), _BATCH
            )
            if released:
                logger.info(
                    "%d expired lease(s) released: %s",
                    len(released),
                    ", ".join(f"{t.execution_id} -> {t.state.value}" for t in released),
                )
            self._core.announce(released)
            total += len(released)
            if len(released) < _BATCH:
                break
        orphans = await self._core.store.release_orphan_slots()
        if orphans:
            logger.warning("%d concurrency slot(s) held by no running execution freed", orphans)
            self._core.notifier.publish(notify.DISPATCH, {"rescan": True})
        return total

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                released = await self.sweep()
            except Exception as exc:
                # The database may be restarting; the next sweep tries again.
                logger.warning("lease sweep failed: %s", exc)
                continue
            if released:
                logger.info("released %d expired lease(s)", released)
