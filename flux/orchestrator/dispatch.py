"""Offering queued executions to the workers connected to this replica.

Each replica knows only its own workers' SSE sessions. A dispatch pass runs whenever there
may be work to place: an execution was queued (here, or on another replica via
`flux_dispatch`), a worker connected or freed capacity, or an offer went unanswered. It
offers each queued execution (oldest first) to one connected worker that fits it and has a
free slot, as an `execution_scheduled` event; the worker then claims it, and the claim (one
row-locked transaction) decides between workers that were offered the same run.

Offers that are not claimed within `offer_timeout` are forgotten so the run can be offered
again, to another worker if one fits. Runs that could not be offered for lack of free slots
are found again in the store (`backlog`) when a slot frees.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from flux.api.worker_protocol import DispatchMessage
from flux.orchestrator.fit import Capacity, fits
from flux.orchestrator.store import OrchestratorStore, QueuedRun

logger = logging.getLogger(__name__)
SseMessage = tuple[str, str]  # (event name, JSON data)
_RETRY_S = 0.5


@dataclass(eq=False)
class WorkerSession:
    """One worker's SSE connection to this replica."""

    name: str
    connection_id: str
    capacity: Capacity
    max_concurrency: int
    queue: asyncio.Queue[SseMessage | None] = field(default_factory=asyncio.Queue)
    offered: dict[str, float] = field(default_factory=dict)
    held: set[str] = field(default_factory=set)

    @property
    def free(self) -> int:
        return self.max_concurrency - len(self.offered) - len(self.held)

    def send(self, event: str, data: str) -> None:
        self.queue.put_nowait((event, data))

    def close(self) -> None:
        self.queue.put_nowait(None)


class Dispatcher:
    def __init__(
        self,
        store: OrchestratorStore,
        offer_timeout: float,
        on_dispatched: Callable[[float], None] = lambda seconds: None,
    ):
        self._store = store
        self._offer_timeout = offer_timeout
        self._on_dispatched = on_dispatched
        self.sessions: dict[str, WorkerSession] = {}
        self._candidates: dict[str, QueuedRun] = {}
        self._queued_at: dict[str, float] = {}
        # The store may hold queued runs this replica has not offered (at start, after a
        # missed notification, or when every worker was full).
        self._backlog = True
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="flux-dispatch")

    async def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for session in self.sessions.values():
            session.close()

    # Events that may make work placeable

    def queued(self, run: QueuedRun, *, local: bool = False) -> None:
        if local:
            self._queued_at[run.execution_id] = time.perf_counter()
        self._candidates[run.execution_id] = run
        self._wake.set()

    def rescan(self) -> None:
        self._backlog = True
        self._wake.set()

    def connect(self, session: WorkerSession) -> WorkerSession | None:
        """Add a session; returns the one it replaces (the same worker reconnecting)."""
        previous = self.sessions.get(session.name)
        self.sessions[session.name] = session
        self.rescan()
        return previous

    def disconnect(self, session: WorkerSession) -> bool:
        """Remove `session` if it is still the worker's current one."""
        if self.sessions.get(session.name) is not session:
            return False
        del self.sessions[session.name]
        return True

    def claimed(self, worker: str, execution_id: str) -> None:
        for other in self.sessions.values():
            other.offered.pop(execution_id, None)
        session = self.sessions.get(worker)
        if session is not None:
            session.held.add(execution_id)
        started = self._queued_at.pop(execution_id, None)
        if started is not None:
            self._on_dispatched(time.perf_counter() - started)

    def not_claimed(self, worker: str, execution_id: str) -> None:
        session = self.sessions.get(worker)
        if session is not None and session.offered.pop(execution_id, None) is not None:
            self._wake.set()

    def let_go(self, worker: str | None, execution_id: str) -> None:
        """`worker` no longer holds the run (it ended, paused, or was released)."""
        session = self.sessions.get(worker or "")
        if session is not None and execution_id in session.held:
            session.held.discard(execution_id)
            if self._backlog:
                self._wake.set()

    def reconcile(self, worker: str, held: set[str]) -> None:
        """The worker's own list of what it holds (from a heartbeat) is the truth."""
        session = self.sessions.get(worker)
        if session is not None and session.held != held:
            session.held = held
            self.rescan()

    # The pass

    async def _loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self._pass()
            except Exception as exc:
                # The database may be restarting: read the whole queue again shortly, since
                # the candidates of this pass are gone.
                logger.warning("dispatch pass failed (%s); retrying", exc)
                self._backlog = True
                asyncio.get_running_loop().call_later(_RETRY_S, self._wake.set)

    async def _pass(self) -> None:
        self._expire_offers()
        candidates, self._candidates = self._candidates, {}
        free = sum(max(0, s.free) for s in self.sessions.values())
        if self._backlog and free > 0:
            limit = free + sum(len(s.offered) for s in self.sessions.values())
            rows = await self._store.queued(limit)
            self._backlog = len(rows) >= limit
            for row in rows:
                candidates.setdefault(row.execution_id, row)
        for run in sorted(candidates.values(), key=lambda r: r.created_at):
            self._place(run)
        self._arm_expiry()

    def _place(self, run: QueuedRun) -> None:
        if any(run.execution_id in s.offered for s in self.sessions.values()):
            return
        fitting = [s for s in self.sessions.values() if fits(run.requests, s.capacity)]
        if not fitting:
            return  # the API reports a pending_reason; a worker that fits may connect later
        session = max(fitting, key=lambda s: s.free)
        if session.free <= 0:
            self._backlog = True
            return
        session.offered[run.execution_id] = time.monotonic()
        message = DispatchMessage(
            execution_id=run.execution_id,
            workflow_name=run.workflow_name,
            workflow_version=run.workflow_version,
        )
        session.send("execution_scheduled", message.model_dump_json())

    def _arm_expiry(self) -> None:
        # One timer for all outstanding offers: it wakes the pass that expires them.
        if self._timer is None and any(s.offered for s in self.sessions.values()):
            self._timer = asyncio.get_running_loop().call_later(
                self._offer_timeout / 2, self._expiry_due
            )

    def _expiry_due(self) -> None:
        self._timer = None
        self._wake.set()

    def _expire_offers(self) -> None:
        oldest = time.monotonic() - self._offer_timeout
        for session in self.sessions.values():
            stale = [eid for eid, at in session.offered.items() if at <= oldest]
            for execution_id in stale:
                del session.offered[execution_id]
            if stale:
                self._backlog = True
