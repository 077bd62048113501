"""`RunAtTimer`: starts executions that wait for a time (`runAt` of a job).

Such an execution is stored CREATED with `run_at`; when that time comes, the timer moves it
to SCHEDULED (the store guarantees each row moves once, even with several replicas) and
offers it to the dispatchers. The timer sleeps until the earliest `run_at` it knows of, and
a submission with an earlier one wakes it; every `_RESCAN` seconds it also reads the
earliest again, which covers rows another replica stored and restarts after downtime (a
time that passed while no server ran fires at the next start).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

from flux.domain.events import ExecutionState, utcnow
from flux.orchestrator.core import Core
from flux.orchestrator.store import Transition

logger = logging.getLogger(__name__)
_BATCH = 500
_RESCAN = 5.0  # seconds between reads of the earliest run_at when nothing wakes the timer


class RunAtTimer:
    def __init__(self, core: Core):
        self._core = core
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._next: datetime | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="flux-run-at-timer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def due_at(self, when: datetime) -> None:
        """A run was stored for `when`: wake up earlier if that is sooner than planned."""
        if self._next is None or when < self._next:
            self._next = when
            self._wake.set()

    async def fire(self) -> int:
        """Start every execution whose time has come; returns how many."""
        total = 0
        while True:
            due = await self._core.store.release_due(utcnow(), _BATCH)
            for run in due:
                self._core.announce_queued(run)
            self._core.announce(
                [
                    Transition(r.execution_id, r.workflow_name, ExecutionState.SCHEDULED)
                    for r in due
                ],
                requeue=False,
            )
            total += len(due)
            if len(due) < _BATCH:
                return total

    async def _loop(self) -> None:
        while True:
            try:
                fired = await self.fire()
                if fired:
                    logger.info("started %d execution(s) whose time came", fired)
                self._next = await self._core.store.next_due()
            except Exception as exc:
                # The database may be restarting; try again shortly.
                logger.warning("run-at timer: %s", exc)
                self._next = None
            delay = _RESCAN
            if self._next is not None:
                delay = min(delay, max(0.0, (self._next - utcnow()).total_seconds()))
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)
