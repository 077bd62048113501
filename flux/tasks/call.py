"""Subworkflows: `await call(other_workflow, input)`."""

from __future__ import annotations

from typing import Any

from flux.engine.runtime import active_run
from flux.errors import ExecutionError, WorkflowNotFoundError
from flux.local_runtime import local_engine
from flux.workflow import get_workflow, workflow


async def call(target: workflow | str, *args: Any) -> Any:
    """Run another workflow and return its output (raise its error).

    Inside a workflow it is one durable step of the caller; a replay of the caller does not
    run a child that already finished. Outside any workflow it simply runs the workflow.
    """
    wf = await _by_name(target) if isinstance(target, str) else target
    input = args[0] if len(args) == 1 else (list(args) if args else None)
    run = active_run()
    if run is not None:
        return await run.engine.call_subworkflow(wf, input)
    ctx = await (await local_engine()).start(wf, input)
    if ctx.has_succeeded:
        return ctx.output
    error = ctx.output
    raise (
        error
        if isinstance(error, BaseException)
        else ExecutionError(message=f"workflow '{wf.name}' ended {ctx.state.value}")
    )


async def _by_name(name: str) -> workflow:
    run = active_run()
    resolver = run.services.workflows if run is not None else None
    if resolver is None:
        return get_workflow(name)
    found = await resolver.resolve(name)
    if not isinstance(found, workflow):
        raise WorkflowNotFoundError(name)
    return found
