"""Prometheus metrics of one server replica, in a registry of its own (two apps in one
process, as in tests, must not collide in the global one)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Gauge, Histogram, generate_latest

from flux.domain.events import ExecutionState
from flux.orchestrator.core import Core

_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5)


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

    def dispatched(self, seconds: float) -> None:
        self._dispatch.observe(seconds)

    def checkpointed(self, seconds: float) -> None:
        self._checkpoint.observe(seconds)

    async def render(self, core: Core) -> bytes:
        counts = await core.store.count_by_state()
        for state in ExecutionState:
            self._executions.labels(state=state.value).set(counts.get(state, 0))
        self._queue.set(counts.get(ExecutionState.SCHEDULED, 0))
        self._workers.set(len(core.dispatcher.sessions))
        return generate_latest(self.registry)
