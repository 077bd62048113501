"""OpenTelemetry traces of executions, exported over OTLP/HTTP when
`telemetry.otlp_endpoint` is set (docs/production.md, Observability).

Spans are built by the server from the event log, not by the workers: when a worker's
checkpoint ends a run here, the run's events are read once and become one span for the
execution and one per step (nested by step id, retries and fallbacks as span events, a
failed step's status ERROR). Workers need no telemetry setup, a worker that dies mid-run
loses no spans, and replay can never emit a step twice.

Identifiers are derived, not random, so that a trace can be found from what users already
have: the trace id IS the root execution's id (its 32 hex digits; a hash for other ids), a
subworkflow joins its parent's trace under the step that called it, and a step's span id is
a hash of (execution id, step id).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import Sequence
from contextvars import ContextVar
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flux.config import TelemetrySettings
from flux.domain.events import ExecutionEventType, ExecutionState
from flux.engine.store import EventRow
from flux.errors import ConfigurationError
from flux.orchestrator.core import NullObserver
from flux.orchestrator.store import OrchestratorStore

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

logger = logging.getLogger(__name__)
_E = ExecutionEventType
_HEX32 = re.compile(r"[0-9a-f]{32}")
# The ids the next span gets (trace id, span id): read by `_DerivedIds` below.
_NEXT_IDS: ContextVar[tuple[int, int]] = ContextVar("flux_next_span_ids")
_STEP_START = _E.TASK_STARTED.value
_STEP_END = {_E.TASK_COMPLETED.value, _E.TASK_FAILED.value}
_RUN_END = {_E.WORKFLOW_COMPLETED.value, _E.WORKFLOW_FAILED.value, _E.WORKFLOW_CANCELLED.value}


def trace_id_of(execution_id: str) -> int:
    tail = execution_id[-32:]
    if _HEX32.fullmatch(tail):
        return int(tail, 16)
    return int(hashlib.sha256(execution_id.encode()).hexdigest()[:32], 16)


def span_id_of(execution_id: str, step_id: str | None = None) -> int:
    key = execution_id if step_id is None else f"{execution_id}/{step_id}"
    return int(hashlib.sha256(key.encode()).hexdigest()[:16], 16) or 1


def _nanos(moment: datetime) -> int:
    return int(moment.timestamp() * 1e9)


class TraceExporter(NullObserver):
    """An `Observer` (flux.orchestrator.core) that turns finished runs into spans; latencies
    are the metrics' business (NullObserver's no-ops)."""

    def __init__(self, settings: TelemetrySettings, store: OrchestratorStore):
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
            from opentelemetry.sdk.resources import Resource
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import BatchSpanProcessor
            from opentelemetry.sdk.trace.id_generator import IdGenerator
        except ImportError as exc:
            raise ConfigurationError(
                "telemetry.otlp_endpoint is set but the OpenTelemetry SDK is not installed: "
                "pip install 'flux-orchestrator[otel]'"
            ) from exc

        class _DerivedIds(IdGenerator):
            def generate_span_id(self) -> int:
                return _NEXT_IDS.get()[1]

            def generate_trace_id(self) -> int:
                return _NEXT_IDS.get()[0]

        assert settings.otlp_endpoint is not None
        endpoint = settings.otlp_endpoint.rstrip("/") + "/v1/traces"
        self._provider: TracerProvider = TracerProvider(
            resource=Resource.create({"service.name": settings.service_name}),
            id_generator=_DerivedIds(),
        )
        self._provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
        self._tracer = self._provider.get_tracer("flux")
        self._store = store
        self._pending: set[asyncio.Task[None]] = set()

    # Observer

    def recorded(
        self,
        execution_id: str,
        workflow: str,
        events: Sequence[EventRow],
        state: ExecutionState | None,
    ) -> None:
        if state is None or not state.is_terminal:
            return
        task = asyncio.get_running_loop().create_task(self._export(execution_id))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def close(self) -> None:
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)
        await asyncio.to_thread(self._provider.shutdown)  # flushes what is queued

    # Spans

    async def _export(self, execution_id: str) -> None:
        try:
            run = await self._store.get_run(execution_id, with_events=True)
            if run is None:
                return
            row = run.execution
            root, parent_span = await self._parent(execution_id, row.parent_execution_id)
            self._emit(row, root, parent_span)
        except Exception:
            # Telemetry must never disturb the runs it describes.
            logger.warning("could not export the trace of %s", execution_id, exc_info=True)

    async def _parent(self, execution_id: str, parent_id: str | None) -> tuple[str, int | None]:
        """The root execution (whose id makes the trace id) and the span to nest under: for a
        subworkflow, its parent's step that called it (child ids are `<parent>-<step>`)."""
        if parent_id is None:
            return execution_id, None
        step = execution_id[len(parent_id) + 1 :] if execution_id.startswith(parent_id) else None
        root = parent_id
        for _ in range(100):  # a parent chain is short; never loop on a corrupt one
            parent = await self._store.get_run(root, with_events=False)
            if parent is None or parent.execution.parent_execution_id is None:
                break
            root = parent.execution.parent_execution_id
        return root, span_id_of(parent_id, step) if step else span_id_of(parent_id)

    def _emit(self, row: Any, root: str, parent_span: int | None) -> None:
        from opentelemetry import trace
        from opentelemetry.trace import SpanContext, Status, StatusCode, TraceFlags

        trace_id = trace_id_of(root)
        events: list[EventRow] = row.events
        begun = next((e.time for e in events if e.type == _E.WORKFLOW_STARTED.value), None)
        ended = next((e.time for e in reversed(events) if e.type in _RUN_END), row.updated_at)

        def context_under(span_id: int) -> Any:
            parent = SpanContext(
                trace_id, span_id, is_remote=True, trace_flags=TraceFlags(TraceFlags.SAMPLED)
            )
            return trace.set_span_in_context(trace.NonRecordingSpan(parent))

        _NEXT_IDS.set((trace_id, span_id_of(row.execution_id)))
        run_span = self._tracer.start_span(
            f"workflow {row.workflow_name}",
            context=context_under(parent_span) if parent_span is not None else None,
            start_time=_nanos(begun or row.created_at),
            attributes={
                "flux.execution_id": row.execution_id,
                "flux.workflow": row.workflow_name,
                "flux.workflow_version": row.workflow_version or "",
                "flux.state": row.state.value,
            },
        )
        for event in events:
            if event.type in (_E.WORKFLOW_PAUSED.value, _E.WORKFLOW_RESUMED.value):
                run_span.add_event(event.type, timestamp=_nanos(event.time))
        if row.state is ExecutionState.FAILED:
            run_span.set_status(Status(StatusCode.ERROR, "the workflow failed"))

        steps = _steps(events)
        for step_id, (name, started, finished, outcome, notes) in steps.items():
            parent = _parent_step(step_id, steps)
            parent_id = (
                span_id_of(row.execution_id, parent) if parent else span_id_of(row.execution_id)
            )
            _NEXT_IDS.set((trace_id, span_id_of(row.execution_id, step_id)))
            span = self._tracer.start_span(
                f"task {name}",
                context=context_under(parent_id),
                start_time=_nanos(started),
                attributes={"flux.execution_id": row.execution_id, "flux.step_id": step_id},
            )
            for note in notes:
                span.add_event(note.type, timestamp=_nanos(note.time))
            if outcome != _E.TASK_COMPLETED.value:
                span.set_status(Status(StatusCode.ERROR, outcome or "did not finish"))
            span.end(end_time=_nanos(finished or ended))
        run_span.end(end_time=_nanos(ended))


_Step = tuple[str, datetime, datetime | None, str | None, list[EventRow]]


def _steps(events: Sequence[EventRow]) -> dict[str, _Step]:
    """Each step: (task name, first start, last outcome time, outcome type, other events)."""
    steps: dict[str, _Step] = {}
    for event in events:
        if event.type == _STEP_START:
            if event.source_id not in steps:
                steps[event.source_id] = (event.name, event.time, None, None, [])
        elif event.source_id in steps:
            name, started, _, _, notes = steps[event.source_id]
            if event.type in _STEP_END:
                steps[event.source_id] = (name, started, event.time, event.type, notes)
            elif event.type.startswith("TASK_"):
                notes.append(event)
    return steps


def _parent_step(step_id: str, steps: dict[str, _Step]) -> str | None:
    """The nearest enclosing step that was recorded ("0.1.2" -> "0.1" -> "0")."""
    prefix = step_id
    while "." in prefix:
        prefix = prefix.rsplit(".", 1)[0]
        if prefix in steps:
            return prefix
    return None
