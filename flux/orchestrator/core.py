"""What the public API (`service.Orchestrator`) and the worker protocol (`workers.WorkerGateway`)
share on one replica: the store, the codec, the notifier, the waiters and the dispatcher, and
the one place where state changes are announced to all of them.

Announcing goes through the notifier even on this replica (it delivers locally first), so a
waiter, a dispatcher or a worker session behaves the same whichever replica made the change.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from flux.codec import Codec
from flux.config import FluxSettings
from flux.domain.events import ExecutionState, utcnow
from flux.engine.store import EventRow
from flux.errors import ExecutionError
from flux.orchestrator import notify
from flux.orchestrator.dispatch import Dispatcher
from flux.orchestrator.notify import Notifier
from flux.orchestrator.store import (
    OrchestratorStore,
    QueuedRun,
    ReleasePolicy,
    Transition,
    WorkerRow,
)
from flux.orchestrator.values import DisplayDecoder
from flux.orchestrator.waiters import RECHECK, Waiters

logger = logging.getLogger(__name__)
_S = ExecutionState


class Observer(Protocol):
    """Where latencies and recorded steps go (Prometheus metrics and OpenTelemetry traces in
    the server; nowhere by default). Called on the event loop: must not block."""

    def dispatched(self, seconds: float) -> None: ...

    def checkpointed(self, seconds: float) -> None: ...

    def recorded(
        self,
        execution_id: str,
        workflow: str,
        events: Sequence[EventRow],
        state: ExecutionState | None,
    ) -> None:
        """A worker's checkpoint of `events` (and the run's new `state`) was stored here."""

    def fired(self, lag_seconds: float) -> None:
        """A schedule started a run `lag_seconds` after its fire time."""


class NullObserver:
    def dispatched(self, seconds: float) -> None:
        pass

    def checkpointed(self, seconds: float) -> None:
        pass

    def recorded(
        self,
        execution_id: str,
        workflow: str,
        events: Sequence[EventRow],
        state: ExecutionState | None,
    ) -> None:
        pass

    def fired(self, lag_seconds: float) -> None:
        pass


@dataclass(frozen=True)
class Observers:
    """Several observers as one."""

    members: tuple[Observer, ...]

    def dispatched(self, seconds: float) -> None:
        for member in self.members:
            member.dispatched(seconds)

    def checkpointed(self, seconds: float) -> None:
        for member in self.members:
            member.checkpointed(seconds)

    def recorded(
        self,
        execution_id: str,
        workflow: str,
        events: Sequence[EventRow],
        state: ExecutionState | None,
    ) -> None:
        for member in self.members:
            member.recorded(execution_id, workflow, events, state)

    def fired(self, lag_seconds: float) -> None:
        for member in self.members:
            member.fired(lag_seconds)


@dataclass
class Core:
    store: OrchestratorStore
    notifier: Notifier
    settings: FluxSettings
    codec: Codec
    decoder: DisplayDecoder
    observer: Observer = field(default_factory=NullObserver)
    waiters: Waiters = field(default_factory=Waiters)
    # Messages for workers connected here: (worker, event, JSON data).
    worker_messages: list[Callable[[dict[str, Any]], None]] = field(default_factory=list)
    # Told of every message this replica receives, before it is handled: (channel, payload).
    # The dashboard's live feed listens here; a listener must not block or change the payload.
    message_listeners: list[Callable[[str, dict[str, Any]], None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._workers: tuple[float, list[WorkerRow]] | None = None
        self.dispatcher = Dispatcher(
            self.store, self.settings.server.dispatch_offer_timeout, self.observer.dispatched
        )

    @property
    def lease_ttl(self) -> float:
        return self.settings.workers.lease_ttl

    def lease_expiry(self) -> datetime:
        return utcnow() + timedelta(seconds=self.lease_ttl)

    def release_policy(self) -> ReleasePolicy:
        limit = self.settings.workers.max_attempts

        def fail(worker: str | None, attempts: int) -> tuple[str, bytes]:
            message = (
                f"the execution lost its worker {attempts} time(s), the last one "
                f"'{worker}'; giving up (workers.max_attempts = {limit})"
            )
            return message, self.codec.dumps(ExecutionError(message=message), "an error")

        return ReleasePolicy(limit, fail)

    async def workers(self) -> list[WorkerRow]:
        """The worker registry, read at most every half second (views of queued runs)."""
        now = time.monotonic()
        if self._workers is None or now - self._workers[0] > 0.5:
            self._workers = (now, await self.store.list_workers())
        return self._workers[1]

    async def start(self) -> None:
        await self.notifier.start(self._on_message, self._resync)
        self.dispatcher.start()

    async def stop(self) -> None:
        await self.dispatcher.stop()
        await self.notifier.close()

    # Announcing

    def announce(self, transitions: Iterable[Transition], *, requeue: bool = True) -> None:
        """Tell waiters (every replica) of new states; with `requeue`, runs that went back
        to the queue make every dispatcher look at the queue again. So does a run that gave
        a concurrency slot back, whatever `requeue` says: runs waiting for it can go."""
        requeued = freed = False
        for t in transitions:
            self.notifier.publish(
                notify.EXECUTION,
                {"execution_id": t.execution_id, "state": t.state.value, "worker": t.worker_name},
            )
            requeued = requeued or (t.state is _S.SCHEDULED and t.parent_execution_id is None)
            freed = freed or t.freed
        if (requeued and requeue) or freed:
            self.notifier.publish(notify.DISPATCH, {"rescan": True})

    def announce_queued(self, run: QueuedRun) -> None:
        self.dispatcher.queued(run, local=True)
        self.notifier.publish(
            notify.DISPATCH,
            {
                "execution_id": run.execution_id,
                "workflow_name": run.workflow_name,
                "workflow_version": run.workflow_version,
                "requests": run.requests,
                "created_at": run.created_at.isoformat(),
                "priority": run.priority,
                "limited": run.limited,
            },
        )

    def announce_output(self, execution_id: str) -> None:
        """New live output of a running step: followers of the execution read it."""
        self.notifier.publish(notify.EXECUTION, {"execution_id": execution_id, "output": True})

    def tell_worker(self, worker: str, message: dict[str, Any]) -> None:
        self.notifier.publish(notify.WORKER, {"worker": worker, **message})

    # Receiving

    def _on_message(self, channel: str, payload: dict[str, Any]) -> None:
        for listen in self.message_listeners:
            try:
                listen(channel, payload)
            except Exception:
                # A reader's bug must never stop a run from being dispatched or awaited.
                logger.exception("a message listener failed on %s", channel)
        if channel == notify.EXECUTION:
            if payload.get("output"):
                self.waiters.notify(payload["execution_id"], RECHECK)
                return
            state = _S(payload["state"])
            self.waiters.notify(payload["execution_id"], state)
            if state.is_terminal or state in (_S.PAUSED, _S.SCHEDULED):
                self.dispatcher.let_go(payload.get("worker"), payload["execution_id"])
        elif channel == notify.DISPATCH:
            if payload.get("rescan"):
                self.dispatcher.rescan()
            else:
                created = datetime.fromisoformat(payload.pop("created_at"))
                self.dispatcher.queued(QueuedRun(**payload, created_at=created))
        elif channel == notify.WORKER:
            for deliver in self.worker_messages:
                deliver(payload)

    def _resync(self) -> None:
        logger.info("notifications resumed after an interruption; re-checking waits and queue")
        self.waiters.resync()
        self.dispatcher.rescan()
