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

Queues and limits: runs are offered in dispatch order (higher priority first, then oldest).
A run with limits is only offered from a read of the queue, which leaves out runs whose
limits are full and says how much room the others have; a pass offers no more runs of a
limit than that room, less the offers still outstanding for it. That is a hint to avoid
offers that would be refused: admission itself happens in the claim's transaction. Runs
waiting for a limit are looked at again when a run gives a slot back (`Core.announce`) or
a rate slot's window passes (`_limit_loop`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from flux.api.worker_protocol import DispatchMessage
from flux.domain.events import utcnow
from flux.orchestrator.fit import Capacity, fits
from flux.orchestrator.store import OrchestratorStore, QueuedRun

logger = logging.getLogger(__name__)
SseMessage = tuple[str, str]  # (event name, JSON data)
_RETRY_S = 0.5
_NOT_ADMITTED_S = 0.05  # after a claim a limit refused, read the queue again this soon
_MAX_PAGES = 20  # queue pages read past runs waiting for a limit, per pass
_RATE_POLL_S = 2.0  # longest wait between looks at when the next rate slot frees
_MAX_EXPIRED = 10_000


def dispatch_order(run: QueuedRun) -> tuple[int, datetime, str]:
    return (-run.priority, run.created_at, run.execution_id)


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
        self._limit_task: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        # Offered runs with limits -> their limits ("kind:key"): offers count against room.
        self._offer_limits: dict[str, tuple[str, ...]] = {}
        # Run -> the worker that let its last offer expire: a hung worker keeps its stream
        # open, and offering it the same run again would keep that run (and the slot of
        # its limit, which the offer counts against) from every other worker.
        self._expired_at: dict[str, str] = {}

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="flux-dispatch")
        self._limit_task = asyncio.create_task(self._limit_loop(), name="flux-dispatch-limits")

    async def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        for task in (self._task, self._limit_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        for session in self.sessions.values():
            session.close()

    # Events that may make work placeable

    def queued(self, run: QueuedRun, *, local: bool = False) -> None:
        if local:
            self._queued_at[run.execution_id] = time.perf_counter()
        if run.limited and not run.rooms:
            # How much room its limits have comes with a read of the queue.
            self._backlog = True
        else:
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
        self._offer_limits.pop(execution_id, None)
        self._expired_at.pop(execution_id, None)
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
            self._offer_limits.pop(execution_id, None)
            self._wake.set()

    def not_admitted(self, worker: str, execution_id: str) -> None:
        """A claim of an offered run was refused by one of its limits (a claim elsewhere
        took the slot first): read the queue again shortly; it leaves the run out while
        its limit is full."""
        self.not_claimed(worker, execution_id)
        self._backlog = True
        asyncio.get_running_loop().call_later(_NOT_ADMITTED_S, self._wake.set)

    def let_go(self, worker: str | None, execution_id: str) -> None:
        """`worker` no longer holds the run (it ended, paused, or was released)."""
        self._expired_at.pop(execution_id, None)
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

    def _free(self) -> int:
        return sum(max(0, s.free) for s in self.sessions.values())

    def _page_size(self) -> int:
        return self._free() + sum(len(s.offered) for s in self.sessions.values())

    async def _pass(self) -> None:
        self._expire_offers()
        candidates, self._candidates = self._candidates, {}
        offset = 0
        if self._backlog and self._free() > 0:
            limit = self._page_size()
            rows = await self._store.queued(limit)
            self._backlog = len(rows) >= limit
            offset = len(rows)
            for row in rows:
                if row.rooms or row.execution_id not in candidates:
                    candidates[row.execution_id] = row
        rooms: dict[str, int] = {}
        waiting = self._place_all(candidates.values(), rooms)
        pages = 1
        # Runs waiting for room in a limit took part of that page: read on past them while
        # workers have free slots, so that they do not hold back the runs behind them.
        while waiting and self._backlog and self._free() > 0 and pages < _MAX_PAGES:
            limit = self._page_size()
            rows = await self._store.queued(limit, offset)
            self._backlog = len(rows) >= limit
            offset += len(rows)
            pages += 1
            waiting = self._place_all(rows, rooms)
        self._arm_expiry()

    def _place_all(self, runs: Iterable[QueuedRun], rooms: dict[str, int]) -> int:
        """Offer `runs` in dispatch order; returns how many were held back for room in one
        of their limits."""
        waiting = 0
        for run in sorted(runs, key=dispatch_order):
            if any(run.execution_id in s.offered for s in self.sessions.values()):
                continue
            if run.rooms and not self._has_room(run, rooms):
                waiting += 1
                continue
            if self._place(run) and run.rooms:
                keys = tuple(key for key, _ in run.rooms)
                self._offer_limits[run.execution_id] = keys
                for key in keys:
                    rooms[key] -= 1
        return waiting

    def _has_room(self, run: QueuedRun, rooms: dict[str, int]) -> bool:
        for key, room in run.rooms:
            if key not in rooms:
                outstanding = sum(1 for keys in self._offer_limits.values() if key in keys)
                rooms[key] = room - outstanding
        return all(rooms[key] > 0 for key, _ in run.rooms)

    def _place(self, run: QueuedRun) -> bool:
        fitting = [s for s in self.sessions.values() if fits(run.requests, s.capacity)]
        if not fitting:
            return False  # the API reports a pending_reason; a fitting worker may connect
        declined = self._expired_at.get(run.execution_id)
        if declined is not None and len(fitting) > 1:
            fitting = [s for s in fitting if s.name != declined]
        session = max(fitting, key=lambda s: s.free)
        if session.free <= 0:
            self._backlog = True
            return False
        session.offered[run.execution_id] = time.monotonic()
        message = DispatchMessage(
            execution_id=run.execution_id,
            workflow_name=run.workflow_name,
            workflow_version=run.workflow_version,
        )
        session.send("execution_scheduled", message.model_dump_json())
        return True

    async def _limit_loop(self) -> None:
        """A rate slot frees when its window passes, not on an event: look at the queue
        again then (and read when the next one frees every few seconds, which also covers
        slots taken on other replicas)."""
        while True:
            try:
                next_free = await self._store.next_slot_free(utcnow())
            except Exception as exc:
                logger.debug("reading the next free rate slot failed: %s", exc)
                next_free = None
            delay = _RATE_POLL_S
            if next_free is not None:
                delay = min(delay, max(0.0, (next_free - utcnow()).total_seconds()) + 0.005)
            await asyncio.sleep(delay)
            if next_free is not None and next_free <= utcnow():
                self.rescan()

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
                self._offer_limits.pop(execution_id, None)
                if len(self._expired_at) >= _MAX_EXPIRED:
                    self._expired_at.clear()  # a bound, not a cache: forgetting is harmless
                self._expired_at[execution_id] = session.name
            if stale:
                self._backlog = True
