"""`Orchestrator`: the public API's operations (catalog, run, resume, cancel, status, lists,
admin secrets), independent of HTTP.

Errors are Flux's own (`WorkflowNotFoundError`, `ExecutionNotFoundError`,
`ExecutionStateError`, `CatalogError`...); the server maps them to status codes.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from flux.api.models import ExecutionList, ExecutionView, WorkflowDetail, WorkflowInfo
from flux.builtin_workflows import BUILTIN_VERSION, is_builtin
from flux.catalog import ParsedWorkflow, parse_file
from flux.domain.events import ExecutionEventType, ExecutionState, utcnow
from flux.domain.limits import RunLimits
from flux.engine.store import ExecutionExistsError, ExecutionRow
from flux.errors import (
    ExecutionNotFoundError,
    ExecutionStateError,
    IdempotencyConflictError,
    WorkflowNotFoundError,
)
from flux.keyring import secret_cipher
from flux.orchestrator import views
from flux.orchestrator.core import Core
from flux.orchestrator.idempotency import derived_id
from flux.orchestrator.limits import queue_options, waiting_reason
from flux.orchestrator.store import (
    Lease,
    QueuedRun,
    RunRow,
    StateConflictError,
    Transition,
    WorkflowRow,
    server_event,
)
from flux.orchestrator.waiters import RECHECK, Watch
from flux.secret_managers import DatabaseSecretManager

_S = ExecutionState
_E = ExecutionEventType
# States a sync run or resume waits for; a sync cancel waits for a terminal state only.
SETTLED = frozenset({_S.COMPLETED, _S.FAILED, _S.CANCELLED, _S.PAUSED})
TERMINAL = frozenset({_S.COMPLETED, _S.FAILED, _S.CANCELLED})
STREAM_EVENTS = {
    _S.CLAIMED: "workflow.execution.running",
    _S.RUNNING: "workflow.execution.running",
    _S.PAUSED: "workflow.execution.paused",
    _S.COMPLETED: "workflow.execution.completed",
    _S.FAILED: "workflow.execution.failed",
    _S.CANCELLED: "workflow.execution.cancelled",
}


@dataclass(frozen=True, slots=True)
class Outcome:
    """A view after a wait; `settled` is False when the wait timed out first."""

    view: ExecutionView
    settled: bool = True
    replayed: bool = False  # an idempotency key's earlier execution, not a new one


@dataclass(frozen=True, slots=True)
class RunStream:
    """The events of one run as `stream` sends them, and which run that is (known before
    the first event: the audit log records it)."""

    execution_id: str
    events: AsyncIterator[tuple[str, dict[str, Any]]]

    def __aiter__(self) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        return self.events


class Orchestrator:
    def __init__(self, core: Core):
        self.core = core
        self.store = core.store
        self.secrets = DatabaseSecretManager(core.store, secret_cipher(core.settings))
        # Told of each registered file's workflows (the schedules of their `schedule=`).
        self.on_registered: Callable[[list[ParsedWorkflow]], Awaitable[None]] | None = None

    # Catalog

    async def register(self, filename: str | None, content: bytes) -> list[WorkflowInfo]:
        parsed = parse_file(filename, content, self.core.settings.server.max_upload_bytes)
        now = utcnow()
        rows = [
            WorkflowRow(
                wf.name, wf.version, parsed.filename, parsed.source, json.dumps(wf.metadata()), now
            )
            for wf in parsed.workflows
        ]
        await self.store.save_workflows(rows)
        if self.on_registered is not None:
            await self.on_registered(parsed.workflows)
        return [views.workflow_info(row) for row in rows]

    async def workflows(self) -> list[WorkflowInfo]:
        return [views.workflow_info(row) for row in await self.store.list_workflows()]

    async def workflow(self, name: str) -> WorkflowDetail:
        row = await self._workflow_row(name)
        return views.workflow_detail(row, await self.store.workflow_versions(name))

    async def _workflow_row(self, name: str) -> WorkflowRow:
        row = await self.store.get_workflow(name)
        if row is None:
            raise WorkflowNotFoundError(name)
        return row

    # Running

    async def submit(
        self,
        name: str,
        input: Any,
        execution_id: str | None = None,
        priority: int | None = None,
    ) -> RunRow:
        """A run of catalog workflow `name` (built-ins are not started through here), with
        the workflow's priority unless `priority` is given."""
        wf = await self._workflow_row(name)
        meta = json.loads(wf.metadata)
        return await self.enqueue(
            self._new_run(
                name,
                wf.version,
                meta.get("requests"),
                input,
                execution_id,
                queue_options(name, meta, input, priority),
            )
        )

    async def submit_once(
        self, name: str, input: Any, key: str, priority: int | None = None
    ) -> tuple[RunRow, bool]:
        """The run idempotency key `key` starts, and whether it existed already (then it is
        returned as it is, whatever `input` says). IdempotencyConflictError when the key
        started a run of another workflow."""
        execution_id = derived_id(key)
        try:
            return await self.submit(name, input, execution_id, priority), False
        except ExecutionExistsError:
            return await self.existing_run(execution_id, name, key), True

    async def existing_run(self, execution_id: str, name: str, key: str) -> RunRow:
        """The run an idempotency key started, checked to be of workflow `name`."""
        run = await self._read(execution_id, False)
        if run.execution.workflow_name != name:
            raise IdempotencyConflictError(key, execution_id, run.execution.workflow_name)
        return run

    async def start(
        self,
        name: str,
        input: Any,
        execution_id: str | None = None,
        requests: dict[str, Any] | None = None,
    ) -> RunRow:
        """A run of catalog workflow or built-in `name` (`flux.job`, ...), queued now."""
        return await self.enqueue(await self.prepare_run(name, input, execution_id, requests))

    async def prepare_run(
        self,
        name: str,
        input: Any,
        execution_id: str | None = None,
        requests: dict[str, Any] | None = None,
    ) -> ExecutionRow:
        """The SCHEDULED execution (with its first event) of a run of catalog workflow or
        built-in `name`, not stored yet: `enqueue` stores one, the scheduler stores its
        runs in the same transaction as the schedule they advance. A catalog workflow's
        latest version runs, with its `requests=` unless `requests` is given; a built-in
        has none unless given. WorkflowNotFoundError."""
        if is_builtin(name):
            return self._new_run(name, BUILTIN_VERSION, requests, input, execution_id)
        wf = await self._workflow_row(name)
        meta = json.loads(wf.metadata)
        if requests is None:
            requests = meta.get("requests")
        options = queue_options(name, meta, input, None)
        return self._new_run(name, wf.version, requests, input, execution_id, options)

    async def enqueue(self, row: ExecutionRow) -> RunRow:
        """Store a prepared run and offer it to the dispatchers."""
        await self.store.create_execution(row, row.events)
        self.announce_run(row)
        return RunRow(row, Lease())

    def announce_run(self, row: ExecutionRow) -> None:
        """Offer a stored SCHEDULED run to the dispatchers (of every replica)."""
        self.core.announce_queued(_queued(row))

    def _new_run(
        self,
        name: str,
        version: str,
        requests: dict[str, Any] | None,
        input: Any,
        execution_id: str | None,
        queue: tuple[int, RunLimits | None] = (0, None),
    ) -> ExecutionRow:
        now = utcnow()
        row = ExecutionRow(
            execution_id=execution_id or uuid.uuid4().hex,
            workflow_name=name,
            state=_S.SCHEDULED,
            input=self.core.codec.dumps(input, "the workflow input"),
            created_at=now,
            updated_at=now,
            workflow_version=version,
            requests=json.dumps(requests) if requests else None,
        )
        row.priority, row.limits = queue
        row.events = [server_event(row.execution_id, 0, _E.WORKFLOW_SCHEDULED, name, None, now)]
        return row

    async def run(
        self,
        name: str,
        input: Any,
        *,
        wait: bool,
        detailed: bool,
        idempotency_key: str | None = None,
        priority: int | None = None,
    ) -> Outcome:
        """Start a run (or, with an idempotency key it has seen, take the run that key
        started) and answer at once or when it settles. `priority` overrides the
        workflow's for this run."""
        execution_id = derived_id(idempotency_key) if idempotency_key else uuid.uuid4().hex
        # Watch before submitting: a fast worker may finish before the submit returns.
        with self.core.waiters.watch(execution_id) as watch:
            if idempotency_key:
                run, replayed = await self.submit_once(name, input, idempotency_key, priority)
            else:
                run, replayed = await self.submit(name, input, execution_id, priority), False
            if not wait:
                return Outcome(await self.view(run, detailed), replayed=replayed)
            outcome = await self._wait(run, watch, SETTLED, detailed)
            return dataclasses.replace(outcome, replayed=replayed)

    async def resume(
        self, name: str, execution_id: str, input: Any, *, wait: bool, detailed: bool
    ) -> Outcome:
        run = await self._run_of(name, execution_id, detailed=False)
        value = self.core.codec.dumps(input, "the resume input")
        with self.core.waiters.watch(execution_id) as watch:
            moved = await self._guard(self.store.resume(execution_id, value, utcnow()), "resume")
            self.core.announce([moved], requeue=False)
            self.core.announce_queued(_queued(run.execution))
            run = await self._read(execution_id, detailed)
            if not wait:
                return Outcome(await self.view(run, detailed))
            return await self._wait(run, watch, SETTLED, detailed)

    async def cancel(self, name: str, execution_id: str, *, wait: bool) -> Outcome:
        await self._run_of(name, execution_id, detailed=False)
        with self.core.waiters.watch(execution_id) as watch:
            moved = await self._guard(self.store.cancel(execution_id, utcnow()), "cancel")
            self.core.announce([moved])
            if moved.state is _S.CANCELLING and moved.worker_name:
                message = {"kind": "cancel", "execution_id": execution_id}
                self.core.tell_worker(moved.worker_name, message)
            run = await self._read(execution_id, False)
            if not wait:
                return Outcome(await self.view(run))
            return await self._wait(run, watch, TERMINAL, False)

    async def stream(
        self,
        name: str,
        input: Any,
        resume_of: str | None = None,
        idempotency_key: str | None = None,
        priority: int | None = None,
    ) -> RunStream:
        """SSE events (name, data) of a new run (or of the run `idempotency_key` started), or
        of resuming `resume_of`, until it settles. The run is submitted (or resumed) here, so
        errors surface before any event."""
        if resume_of is not None:
            execution_id = resume_of
        else:
            execution_id = derived_id(idempotency_key) if idempotency_key else uuid.uuid4().hex
        waiters = self.core.waiters
        watch = waiters.open(execution_id)
        try:
            if resume_of is None and idempotency_key:
                await self.submit_once(name, input, idempotency_key, priority)
            elif resume_of is None:
                await self.submit(name, input, execution_id, priority)
            else:
                await self.resume(name, resume_of, input, wait=False, detailed=False)
        except BaseException:
            waiters.close(execution_id, watch)
            raise
        return RunStream(execution_id, self._stream_events(execution_id, watch))

    async def _stream_events(
        self, execution_id: str, watch: Watch
    ) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        try:
            shown: str | None = None
            state: ExecutionState | None = RECHECK
            while True:
                if state is RECHECK or state in SETTLED:
                    state = (await self._read(execution_id, False)).execution.state
                event = STREAM_EVENTS.get(state)
                if event is not None and event != shown:
                    shown = event
                    yield event, await self._stream_data(execution_id, state)
                if state in SETTLED:
                    return
                state = await watch.next(None)
        finally:
            self.core.waiters.close(execution_id, watch)

    async def _stream_data(self, execution_id: str, state: ExecutionState) -> dict[str, Any]:
        data: dict[str, Any] = {"execution_id": execution_id, "state": state.value}
        if state in (_S.CLAIMED, _S.RUNNING):
            data["state"] = _S.RUNNING.value
        if state in SETTLED:
            view = await self.view(await self._read(execution_id, False))
            data["state"] = view.state.value
            data["output"] = view.output
            if view.error is not None:
                data["error"] = view.error
        data["timestamp"] = utcnow().isoformat()
        return data

    # Admin secrets

    async def secret_names(self) -> list[str]:
        return await self.secrets.all()

    async def secret(self, name: str) -> Any:
        return (await self.secrets.get([name]))[name]

    async def set_secret(self, name: str, value: Any) -> None:
        await self.secrets.save(name, value)

    async def delete_secret(self, name: str) -> bool:
        return await self.secrets.remove(name)

    async def _wait(
        self, run: RunRow, watch: Watch, until: frozenset[ExecutionState], detailed: bool
    ) -> Outcome:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.core.settings.server.sync_timeout
        execution_id = run.execution.execution_id
        while run.execution.state not in until:
            try:
                state = await watch.next(deadline - loop.time())
            except TimeoutError:
                run = await self._read(execution_id, detailed)
                return Outcome(await self.view(run, detailed), settled=run.execution.state in until)
            if state is RECHECK or state in until:
                run = await self._read(execution_id, detailed)
        return Outcome(await self.view(run, detailed))

    # Reading

    async def status(self, name: str, execution_id: str, detailed: bool) -> ExecutionView:
        return await self.view(await self._run_of(name, execution_id, detailed), detailed)

    async def execution(self, execution_id: str, detailed: bool) -> ExecutionView:
        run = await self._read(execution_id, detailed)
        return await self.view(run, detailed)

    async def executions(
        self,
        workflow_name: str | None,
        state: ExecutionState | None,
        limit: int,
        offset: int,
    ) -> ExecutionList:
        runs = await self.store.list_runs(
            workflow_name=workflow_name, state=state, limit=limit, offset=offset
        )
        count = await self.store.count_runs(workflow_name=workflow_name, state=state)
        shown = [await self.view(run) for run in runs]
        return ExecutionList(count=count, limit=limit, offset=offset, executions=shown)

    async def view(self, run: RunRow, detailed: bool = False) -> ExecutionView:
        reason = None
        if run.execution.state is _S.SCHEDULED:
            limits = run.execution.limits
            if limits is not None:
                reason = await waiting_reason(self.store, limits)
            if reason is None:
                stale_after = 3 * self.core.lease_ttl
                reason = views.pending_reason(
                    run.execution.requests, await self.core.workers(), stale_after
                )
        return views.execution_view(
            run, self.core.decoder, detailed=detailed, pending_reason=reason
        )

    async def _read(self, execution_id: str, detailed: bool) -> RunRow:
        run = await self.store.get_run(execution_id, with_events=detailed)
        if run is not None and run.execution.state is _S.PAUSED and not detailed:
            # A paused run's view shows the pause output, which lives in its events.
            run = await self.store.get_run(execution_id, with_events=True)
        if run is None:
            raise ExecutionNotFoundError(execution_id)
        return run

    async def _run_of(self, name: str, execution_id: str, detailed: bool) -> RunRow:
        await self._workflow_row(name)
        run = await self._read(execution_id, detailed)
        if run.execution.workflow_name != name:
            raise ExecutionNotFoundError(execution_id)
        return run

    @staticmethod
    async def _guard(write: Awaitable[Transition], action: str) -> Transition:
        try:
            return await write
        except KeyError as exc:
            raise ExecutionNotFoundError(str(exc.args[0])) from None
        except StateConflictError as exc:
            raise ExecutionStateError(exc.execution_id, exc.state.value, action) from None


def _queued(row: ExecutionRow) -> QueuedRun:
    return QueuedRun(
        row.execution_id,
        row.workflow_name,
        row.workflow_version,
        row.requests,
        row.created_at,
        row.priority,
        row.limits is not None,
    )
