"""Prometheus metrics of one server replica, in a registry of its own (two apps in one
process, as in tests, must not collide in the global one)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from prometheus_client import CollectorRegistry, Gauge, Histogram, generate_latest

from flux.domain.events import ExecutionEventType, ExecutionState
from flux.engine.store import EventRow
from flux.orchestrator.core import Core

_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5)
_STEP_BUCKETS = (0.001, 0.005, 0.025, 0.1, 0.5, 1, 5, 30, 120, 600, 3600)
_STARTED = ExecutionEventType.TASK_STARTED.value
_ENDED = {
    ExecutionEventType.TASK_COMPLETED.value: "completed",
    ExecutionEventType.TASK_FAILED.value: "failed",
}
# Runs whose open steps are remembered (a step's start and end may come in different
# checkpoints); beyond this the oldest are forgotten, so memory stays bounded.
_MAX_OPEN_RUNS = 20_000


class ServerMetrics:
    """Latencies are observed as they happen; counts are read from the store when scraped."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._executions = Gauge(
            "flux_executions", "Executions by state", ["state"], registry=self.registry
        )
        self._queue = Gauge(
            "flux_queue_depth", "Executions waiting for a worker", registry=self.registry
        )
        self._workers = Gauge(
            "flux_connected_workers", "Workers connected to this replica", registry=self.registry
        )
        self._dispatch = Histogram(
            "flux_dispatch_latency_seconds",
            "From submission to a worker's claim (runs submitted to this replica)",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._checkpoint = Histogram(
            "flux_checkpoint_latency_seconds",
            "Time to record a worker's checkpoint",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )

        self._steps = Histogram(
            "flux_step_duration_seconds",
            "Duration of a task step, from its start to its outcome (checkpoints stored here)",
            ["workflow", "task", "outcome"],
            buckets=_STEP_BUCKETS,
            registry=self.registry,
        )
        self._schedule_lag = Histogram(
            "flux_schedule_lag_seconds",
            "From a schedule's fire time to the start of its run",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._open: dict[str, dict[str, datetime]] = {}

    def dispatched(self, seconds: float) -> None:
        self._dispatch.observe(seconds)

    def fired(self, lag_seconds: float) -> None:
        self._schedule_lag.observe(max(0.0, lag_seconds))

    def recorded(
        self,
        execution_id: str,
        workflow: str,
        events: Sequence[EventRow],
        state: ExecutionState | None,
    ) -> None:
        open_steps = self._open.get(execution_id)
        for event in events:
            if event.type == _STARTED:
                if open_steps is None:
                    open_steps = self._open[execution_id] = {}
                    if len(self._open) > _MAX_OPEN_RUNS:
                        del self._open[next(iter(self._open))]
                open_steps.setdefault(event.source_id, event.time)
            elif event.type in _ENDED and open_steps is not None:
                began = open_steps.pop(event.source_id, None)
                if began is not None:
                    seconds = max(0.0, (event.time - began).total_seconds())
                    labels = (workflow, event.name, _ENDED[event.type])
                    self._steps.labels(*labels).observe(seconds)
        if state is not None and state.is_terminal:
            self._open.pop(execution_id, None)

    def checkpointed(self, seconds: float) -> None:
        self._checkpoint.observe(seconds)

    async def render(self, core: Core) -> bytes:
        counts = await core.store.count_by_state()
        for state in ExecutionState:
            self._executions.labels(state=state.value).set(counts.get(state, 0))
        self._queue.set(counts.get(ExecutionState.SCHEDULED, 0))
        self._workers.set(len(core.dispatcher.sessions))
        return generate_latest(self.registry)
