"""`LiveFeed`: execution state changes as small events, for the dashboard's
`GET /executions/live`.

It listens to every message this replica receives (`Core.message_listeners`): a run queued
(`flux_dispatch`) or a state change (`flux_execution`), from this replica or, on PostgreSQL,
from any other. Messages carry ids only, and a burst (a fan-out of a thousand runs) should
cost one read, not a thousand: ids are collected for `FLUSH_DELAY` seconds, then read with
one `get_runs` and sent to every subscriber as the runs are now (the latest state wins).
New output of a running step becomes an `output` event for subscribers watching that run.
Nothing is collected while nobody subscribes.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from flux.api.dashboard import LiveEvent
from flux.orchestrator import notify
from flux.orchestrator.core import Core
from flux.orchestrator.store import RunRow

logger = logging.getLogger(__name__)

Message = tuple[str, dict[str, Any]]


class Subscription:
    """One client's stream: `queue` holds (event, data) to send."""

    # A client this far behind is told to reload instead of being sent the backlog.
    MAX_BACKLOG = 2000

    def __init__(self, workflow: str | None, execution_id: str | None) -> None:
        self.workflow = workflow
        self.execution_id = execution_id
        self.queue: asyncio.Queue[Message] = asyncio.Queue()

    def wants(self, event: LiveEvent) -> bool:
        return self.workflow in (None, event.workflow) and self.execution_id in (
            None,
            event.execution_id,
        )

    def put(self, event: str, data: dict[str, Any]) -> None:
        if self.queue.qsize() >= self.MAX_BACKLOG:
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(("resync", {"reason": "too many changes; read them again"}))
        self.queue.put_nowait((event, data))


class LiveFeed:
    FLUSH_DELAY = 0.1

    def __init__(self, core: Core) -> None:
        self.store = core.store
        self._subscriptions: set[Subscription] = set()
        self._changed: set[str] = set()
        self._output: set[str] = set()
        self._pending: asyncio.Task[None] | None = None
        # Flushes run one after another, so that an older read never overtakes a newer one.
        self._order = asyncio.Lock()
        core.message_listeners.append(self._on_message)

    def subscribe(
        self, workflow: str | None = None, execution_id: str | None = None
    ) -> Subscription:
        subscription = Subscription(workflow, execution_id)
        self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscriptions.discard(subscription)

    def __len__(self) -> int:
        return len(self._subscriptions)

    def _on_message(self, channel: str, payload: dict[str, Any]) -> None:
        if not self._subscriptions:
            return
        execution_id = payload.get("execution_id")
        if not isinstance(execution_id, str):
            return  # a dispatcher rescan, a message for a worker
        if channel == notify.EXECUTION and payload.get("output"):
            self._output.add(execution_id)
        elif channel in (notify.EXECUTION, notify.DISPATCH):
            self._changed.add(execution_id)
        else:
            return
        if self._pending is None:
            self._pending = asyncio.get_running_loop().create_task(self._flush())

    async def _flush(self) -> None:
        await asyncio.sleep(self.FLUSH_DELAY)
        changed, output = self._changed, self._output
        self._changed, self._output, self._pending = set(), set(), None
        async with self._order:
            try:
                runs = await self.store.get_runs(sorted(changed)) if changed else []
            except Exception:
                # The next change, or the client's periodic refresh, catches up.
                logger.warning("live feed: reading %d changed runs failed", len(changed))
                return
            self._deliver(runs, output)

    def _deliver(self, runs: list[RunRow], output: set[str]) -> None:
        events = [live_event(run) for run in runs]
        for subscription in list(self._subscriptions):
            for event in events:
                if subscription.wants(event):
                    subscription.put("execution", event.model_dump(mode="json"))
            if subscription.execution_id in output:
                subscription.put("output", {"execution_id": subscription.execution_id})


def live_event(run: RunRow) -> LiveEvent:
    row = run.execution
    return LiveEvent(
        execution_id=row.execution_id,
        workflow=row.workflow_name,
        state=row.state,
        updated_at=row.updated_at,
        created_at=row.created_at,
        parent_execution_id=row.parent_execution_id,
        worker=run.lease.worker_name,
    )
