"""Driving workflow code against its event log: start, replay, resume, cancel, subworkflows."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import threading
from typing import Any, Protocol, runtime_checkable

from flux.domain.events import ExecutionEvent, ExecutionEventType, ExecutionState
from flux.domain.execution_context import ExecutionContext, set_current
from flux.domain.resource_request import ResourceRequest
from flux.engine.checkpoint import Checkpointer, CheckpointError
from flux.engine.replay import History
from flux.engine.runtime import ActiveRun, Services, current_run, require_run
from flux.engine.steps import Scope, current_scope
from flux.engine.store import EventRow, ExecutionExistsError, ExecutionRow
from flux.errors import (
    ExecutionError,
    ExecutionNotFoundError,
    ExecutionStateError,
    NondeterminismError,
    PauseRequested,
    SerializationError,
    TamperedDataError,
    WorkflowMismatchError,
)

_E = ExecutionEventType
_S = ExecutionState
# Errors that mean "this process cannot trust or write the log": the run is left untouched.
_ABORTS = (NondeterminismError, TamperedDataError, CheckpointError)


class WorkflowDefinition(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str | None: ...

    @property
    def requests(self) -> ResourceRequest | None: ...

    async def func(self, ctx: ExecutionContext[Any]) -> Any: ...


@runtime_checkable
class VersionedLoader(Protocol):
    """A `Services.workflows` resolver that can also load a given version of a workflow."""

    async def load(self, name: str, version: str | None) -> Any: ...


class _LiveRuns:
    """Runs being driven in this process, across threads: local mode keeps one event loop
    per thread, and a cancel may come from a thread other than the one running the run."""

    def __init__(self) -> None:
        self._runs: dict[str, tuple[asyncio.AbstractEventLoop, asyncio.Task[None]]] = {}
        self._lock = threading.Lock()

    def add(self, execution_id: str, task: asyncio.Task[None]) -> None:
        with self._lock:
            self._runs[execution_id] = (task.get_loop(), task)

    def remove(self, execution_id: str) -> None:
        with self._lock:
            self._runs.pop(execution_id, None)

    async def cancel(self, execution_id: str) -> bool:
        """Cancel the run if it is live here; return once it has stopped."""
        with self._lock:
            entry = self._runs.get(execution_id)
        if entry is None:
            return False
        loop, task = entry
        stopped: concurrent.futures.Future[None] = concurrent.futures.Future()

        def cancel() -> None:
            task.add_done_callback(lambda _: stopped.set_result(None))
            task.cancel()

        loop.call_soon_threadsafe(cancel)
        await asyncio.wrap_future(stopped)
        return True


live_runs = _LiveRuns()


class Engine:
    def __init__(self, services: Services):
        self.services = services

    async def start(
        self,
        wf: WorkflowDefinition,
        input: Any,
        *,
        execution_id: str | None = None,
        parent_execution_id: str | None = None,
    ) -> ExecutionContext[Any]:
        ctx = await self.create(
            wf.name,
            input,
            version=wf.version,
            requests=wf.requests,
            execution_id=execution_id,
            parent_execution_id=parent_execution_id,
            state=_S.RUNNING,
        )
        seq = len(ctx.events)
        return await self._drive(wf, ctx, self._checkpointer(ctx, seq))

    async def create(
        self,
        workflow_name: str,
        input: Any,
        *,
        version: str | None = None,
        requests: ResourceRequest | None = None,
        execution_id: str | None = None,
        parent_execution_id: str | None = None,
        state: ExecutionState = _S.CREATED,
    ) -> ExecutionContext[Any]:
        """Store a new execution. Created RUNNING, it is stored with its WORKFLOW_STARTED
        event in the same transaction (local runs); otherwise it waits to be run (a server
        queues it for a worker)."""
        ctx: ExecutionContext[Any] = ExecutionContext(
            workflow_name,
            input,
            execution_id,
            state,
            requests=requests,
            parent_execution_id=parent_execution_id,
            workflow_version=version,
        )
        now = self.services.clock.utcnow()
        row = ExecutionRow(
            ctx.execution_id,
            workflow_name,
            state,
            self.services.codec.dumps(input, "the workflow input"),
            now,
            now,
            workflow_version=version,
            parent_execution_id=parent_execution_id,
            requests=json.dumps(requests.to_dict()) if requests else None,
        )
        cp = self._checkpointer(ctx, 0)
        if state is _S.RUNNING:
            cp.add(_E.WORKFLOW_STARTED, ctx.execution_id, workflow_name, input, state=state)
        await self.services.store.create_execution(row, cp.take_pending())
        return ctx

    async def run_existing(
        self, wf: WorkflowDefinition, execution_id: str
    ) -> ExecutionContext[Any]:
        """Run a created or interrupted execution to its end (replaying what is recorded).
        A finished or paused one is returned as recorded."""
        ctx, seq = await self._load(wf, execution_id)
        if ctx.state.is_terminal or ctx.state is _S.PAUSED:
            return ctx
        wf = await self._code_of(wf, ctx.workflow_version)
        cp = self._checkpointer(ctx, seq)
        if not ctx.has_started:
            cp.add(
                _E.WORKFLOW_STARTED,
                ctx.execution_id,
                wf.name,
                ctx.input,
                state=_S.RUNNING,
                what="the workflow input",
            )
            await cp.flush()
        return await self._drive(wf, ctx, cp)

    async def resume(
        self, wf: WorkflowDefinition, execution_id: str, input: Any = None
    ) -> ExecutionContext[Any]:
        ctx, seq = await self._load(wf, execution_id)
        if ctx.state is not _S.PAUSED:
            raise ExecutionStateError(execution_id, ctx.state.value, "resume")
        pause_step = next(e for e in reversed(ctx.events) if e.type is _E.WORKFLOW_PAUSED)
        cp = self._checkpointer(ctx, seq)
        cp.add(
            _E.WORKFLOW_RESUMED,
            pause_step.source_id,
            wf.name,
            input,
            state=_S.RUNNING,
            what="the resume input",
        )
        return await self._drive(wf, ctx, cp)

    async def cancel(self, wf: WorkflowDefinition, execution_id: str) -> ExecutionContext[Any]:
        """Cancel a run: a live one in this process gets CancelledError at its current await
        (rollbacks run); a paused or interrupted one is marked cancelled directly."""
        if await live_runs.cancel(execution_id):
            return await self._load_ctx(wf, execution_id)
        ctx, seq = await self._load(wf, execution_id)
        if ctx.state.is_terminal:
            raise ExecutionStateError(execution_id, ctx.state.value, "cancel")
        cp = self._checkpointer(ctx, seq)
        cp.add(_E.WORKFLOW_CANCELLED, execution_id, wf.name, state=_S.CANCELLED)
        await cp.flush()
        return ctx

    def _checkpointer(self, ctx: ExecutionContext[Any], seq: int) -> Checkpointer:
        services = self.services
        return Checkpointer(services.store, services.codec, ctx, seq, services.clock)

    async def _code_of(self, wf: WorkflowDefinition, version: str | None) -> WorkflowDefinition:
        """The code of the version a run was started on. A subworkflow called by name is
        resolved again on every replay of its parent, possibly to a newer upload; its
        execution records the version it started on, and where the edge can load versions
        (a worker), that version's code finishes it, as it would have without the upload."""
        loader = self.services.workflows
        if version is None or version == wf.version or not isinstance(loader, VersionedLoader):
            return wf
        found: WorkflowDefinition = await loader.load(wf.name, version)
        return found

    async def load(self, wf: WorkflowDefinition, execution_id: str) -> ExecutionContext[Any]:
        return await self._load_ctx(wf, execution_id)

    async def call_subworkflow(self, wf: WorkflowDefinition, input: Any) -> Any:
        """Run `wf` as one durable step of the current run. The child's execution id derives
        from the parent's and the step's, so a replayed parent finds (and does not repeat)
        a child that already ran."""
        run = require_run("call()")
        step_id = current_scope.get().next_step_id()
        name = f"call:{wf.name}"
        recorded = run.history.visit(step_id, name)
        if recorded is not None and recorded.completed:
            return recorded.value
        if recorded is not None and recorded.failed:
            raise recorded.value
        cp = run.checkpointer
        cp.add(_E.TASK_STARTED, step_id, name, input, what=f"the input of workflow '{wf.name}'")
        child_id = f"{run.ctx.execution_id}-{step_id}"
        try:
            child = await self.run_existing(wf, child_id)
        except ExecutionNotFoundError:
            child = await self.start(
                wf, input, execution_id=child_id, parent_execution_id=run.ctx.execution_id
            )
        return await self._child_outcome(run, step_id, name, child)

    async def _child_outcome(
        self, run: ActiveRun, step_id: str, name: str, child: ExecutionContext[Any]
    ) -> Any:
        cp = run.checkpointer
        if child.has_succeeded:
            cp.add(_E.TASK_COMPLETED, step_id, name, child.output)
            await cp.commit()
            return child.output
        error = child.output if child.has_failed else None
        if not isinstance(error, BaseException):
            error = ExecutionError(
                message=f"subworkflow '{child.workflow_name}' ({child.execution_id}) "
                f"ended {child.state.value}"
            )
        cp.add(_E.TASK_FAILED, step_id, name, error, what="an exception")
        await cp.commit()
        raise error

    # Driving

    async def _drive(
        self, wf: WorkflowDefinition, ctx: ExecutionContext[Any], cp: Checkpointer
    ) -> ExecutionContext[Any]:
        run = ActiveRun(ctx, cp, History(ctx.execution_id, ctx.events), self.services, self)
        task = asyncio.create_task(self._body(wf, run), name=f"flux:{ctx.execution_id}")
        live_runs.add(ctx.execution_id, task)
        try:
            await task
        finally:
            live_runs.remove(ctx.execution_id)
        return ctx

    async def _body(self, wf: WorkflowDefinition, run: ActiveRun) -> None:
        # This coroutine runs in its own asyncio Task, so these context variables are
        # private to the run and need no reset.
        current_run.set(run)
        current_scope.set(Scope())
        set_current(run.ctx)
        ctx, cp = run.ctx, run.checkpointer
        try:
            output = await wf.func(ctx)
            run.history.check_all_visited()
        except PauseRequested as pause:
            value = {"name": pause.name, "output": pause.output}
            cp.add(_E.WORKFLOW_PAUSED, pause.step_id, wf.name, value, state=_S.PAUSED)
        except asyncio.CancelledError:
            _uncancel()
            cp.add(_E.WORKFLOW_CANCELLED, ctx.execution_id, wf.name, state=_S.CANCELLED)
        except _ABORTS:
            raise
        except Exception as exc:
            cp.add(_E.WORKFLOW_FAILED, ctx.execution_id, wf.name, exc, state=_S.FAILED)
        else:
            self._complete(wf, ctx, cp, output)
        await cp.flush()

    @staticmethod
    def _complete(
        wf: WorkflowDefinition, ctx: ExecutionContext[Any], cp: Checkpointer, output: Any
    ) -> None:
        try:
            cp.add(
                _E.WORKFLOW_COMPLETED,
                ctx.execution_id,
                wf.name,
                output,
                state=_S.COMPLETED,
                what="the workflow output",
            )
        except SerializationError as exc:
            cp.add(_E.WORKFLOW_FAILED, ctx.execution_id, wf.name, exc, state=_S.FAILED)

    # Loading

    async def _load(
        self, wf: WorkflowDefinition, execution_id: str
    ) -> tuple[ExecutionContext[Any], int]:
        row = await self.services.store.get_execution(execution_id)
        if row is None:
            raise ExecutionNotFoundError(execution_id)
        if row.workflow_name != wf.name:
            raise WorkflowMismatchError(execution_id, row.workflow_name, wf.name)
        return self._to_context(row), (row.events[-1].seq + 1 if row.events else 0)

    async def _load_ctx(self, wf: WorkflowDefinition, execution_id: str) -> ExecutionContext[Any]:
        return (await self._load(wf, execution_id))[0]

    def _to_context(self, row: ExecutionRow) -> ExecutionContext[Any]:
        codec = self.services.codec
        events = [self._to_event(e) for e in row.events]
        return ExecutionContext(
            row.workflow_name,
            codec.loads(row.input) if row.input is not None else None,
            row.execution_id,
            row.state,
            events,
            requests=ResourceRequest.from_dict(json.loads(row.requests)) if row.requests else None,
            parent_execution_id=row.parent_execution_id,
            workflow_version=row.workflow_version,
        )

    def _to_event(self, row: EventRow) -> ExecutionEvent:
        value = self.services.codec.loads(row.value) if row.value is not None else None
        return ExecutionEvent(_E(row.type), row.source_id, row.name, value, row.time, row.id)


def _uncancel() -> None:
    task = asyncio.current_task()
    if task is not None:
        task.uncancel()


__all__ = ["Engine", "ExecutionExistsError", "WorkflowDefinition"]
