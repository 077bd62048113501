"""Tools for Python workflows and their runs: upload, list, show, run, status, resume,
cancel, and the list of executions."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from flux.mcp.calls import CHANGES, DESTRUCTIVE, READ_ONLY, FluxCalls, data, run_data

WorkflowName = Annotated[
    str, Field(description="Name of a registered workflow (see list_workflows).")
]
ExecutionId = Annotated[
    str, Field(description="Id of an execution, as returned when the run was started.")
]
OptionalWorkflowName = Annotated[
    str | None,
    Field(description="Name of the execution's workflow; looked up from the execution if omitted."),
]
RunInput = Annotated[
    Any,
    Field(
        description="Input of the run, any JSON value (string, number, object, list or "
        "null); the workflow reads it as ctx.input."
    ),
]
ResumeInput = Annotated[
    Any,
    Field(description="Any JSON value; it becomes the return value of the pause(...) call."),
]
Detailed = Annotated[
    bool, Field(description="Also return the run's event log (every task started/finished).")
]


def register(server: MCPServer[Any], flux: FluxCalls) -> None:
    _catalog_tools(server, flux)
    _run_tools(server, flux)
    _control_tools(server, flux)


def _catalog_tools(server: MCPServer[Any], flux: FluxCalls) -> None:
    client = flux.client

    @server.tool(annotations=READ_ONLY)
    async def list_workflows() -> dict[str, Any]:
        """List the workflows registered on the Flux server: name, version (sha256 of the
        uploaded file), file name, registration time, the secrets they request and their
        schedule, if any. Names are what the other workflow tools take."""
        workflows = await flux(client.list_workflows)
        return {"workflows": [data(w) for w in workflows]}

    @server.tool(annotations=READ_ONLY)
    async def get_workflow_details(
        workflow_name: WorkflowName,
        include_source: Annotated[
            bool, Field(description="Also return the Python source of the latest version.")
        ] = False,
    ) -> dict[str, Any]:
        """Show one workflow: its latest version, every version (newest first), file name,
        requested secrets, resource requests and schedule; with include_source, its code."""
        detail = data(await flux(client.get_workflow, workflow_name))
        if not include_source:
            detail.pop("source", None)
        return detail

    @server.tool(annotations=CHANGES)
    async def upload_workflow(
        source: Annotated[
            str,
            Field(
                description="Full text of a Python file defining one or more workflows with "
                "`from flux import workflow, task, ExecutionContext` and `@workflow async def "
                "name(ctx: ExecutionContext): ...`."
            ),
        ],
        filename: Annotated[
            str, Field(description="File name shown in the catalog, ending in .py.")
        ] = "workflow.py",
    ) -> dict[str, Any]:
        """Upload Python source and register every workflow it defines (uploading the same
        name again adds a new version; new runs use the latest). The server only parses the
        file, so a syntax error is reported with its line; workers import it when a run
        starts. Returns the registered workflows."""
        workflows = await flux(client.upload_workflow_source, source, filename)
        return {"workflows": [data(w) for w in workflows]}


def _run_tools(server: MCPServer[Any], flux: FluxCalls) -> None:
    client = flux.client

    @server.tool(annotations=CHANGES)
    async def execute_workflow_sync(
        workflow_name: WorkflowName, input: RunInput = None
    ) -> dict[str, Any]:
        """Start a run and wait until it completes, fails, is cancelled or pauses (at most
        the server's sync timeout, 60 s by default). Returns the execution: execution_id,
        state, output (COMPLETED), error (FAILED). A run that ends FAILED is a result, not a
        tool error. If it is still running when the wait ends, poll get_execution_status."""
        view = await flux(client.run, workflow_name, input, mode="sync")
        return run_data(view, waited=True)

    @server.tool(annotations=CHANGES)
    async def execute_workflow_async(
        workflow_name: WorkflowName, input: RunInput = None
    ) -> dict[str, Any]:
        """Start a run and return at once with its execution_id and first state; follow it
        with get_execution_status. Use this for long runs."""
        view = await flux(client.run, workflow_name, input, mode="async")
        return run_data(view, waited=False)


def _control_tools(server: MCPServer[Any], flux: FluxCalls) -> None:
    client = flux.client

    async def workflow_of(execution_id: str, workflow_name: str | None) -> str:
        if workflow_name:
            return workflow_name
        return (await flux(client.get_execution, execution_id)).workflow_name

    @server.tool(annotations=READ_ONLY)
    async def get_execution_status(
        execution_id: ExecutionId,
        workflow_name: OptionalWorkflowName = None,
        detailed: Detailed = False,
    ) -> dict[str, Any]:
        """The current state of a run (CREATED, SCHEDULED, CLAIMED, RUNNING, PAUSED,
        RESUMING, CANCELLING, COMPLETED, FAILED, CANCELLED), its input, output or error, the
        worker running it and, with detailed, its event log."""
        if workflow_name:
            view = await flux(client.status, workflow_name, execution_id, detailed)
        else:
            view = await flux(client.get_execution, execution_id, detailed)
        return run_data(view, waited=False)

    @server.tool(annotations=DESTRUCTIVE)
    async def cancel_execution(
        execution_id: ExecutionId,
        workflow_name: OptionalWorkflowName = None,
        wait: Annotated[
            bool,
            Field(
                description="Wait until the run has stopped (its rollbacks included) instead "
                "of returning once the cancel is recorded."
            ),
        ] = False,
    ) -> dict[str, Any]:
        """Cancel a run that has not finished (running, queued or paused). A running task is
        interrupted and task rollbacks run. Cancelling a finished run is refused."""
        name = await workflow_of(execution_id, workflow_name)
        view = await flux(client.cancel, name, execution_id, mode="sync" if wait else "async")
        return run_data(view, waited=wait)

    @server.tool(annotations=CHANGES)
    async def resume_workflow_sync(
        execution_id: ExecutionId,
        input: ResumeInput = None,
        workflow_name: OptionalWorkflowName = None,
    ) -> dict[str, Any]:
        """Resume a PAUSED run and wait until it completes, fails or pauses again (at most
        the server's sync timeout). Resuming a run that is not paused is refused."""
        name = await workflow_of(execution_id, workflow_name)
        view = await flux(client.resume, name, execution_id, input, mode="sync")
        return run_data(view, waited=True)

    @server.tool(annotations=CHANGES)
    async def resume_workflow_async(
        execution_id: ExecutionId,
        input: ResumeInput = None,
        workflow_name: OptionalWorkflowName = None,
    ) -> dict[str, Any]:
        """Resume a PAUSED run and return at once; follow it with get_execution_status."""
        name = await workflow_of(execution_id, workflow_name)
        view = await flux(client.resume, name, execution_id, input, mode="async")
        return run_data(view, waited=False)

    @server.tool(annotations=READ_ONLY)
    async def list_executions(
        workflow_name: Annotated[
            str | None, Field(description="Only runs of this workflow.")
        ] = None,
        state: Annotated[
            str | None,
            Field(description="Only runs in this state, e.g. RUNNING, PAUSED, FAILED."),
        ] = None,
        limit: Annotated[int, Field(ge=1, le=1000, description="Page size.")] = 50,
        offset: Annotated[int, Field(ge=0, description="Runs to skip (paging).")] = 0,
    ) -> dict[str, Any]:
        """List runs of every workflow (script jobs and DAG runs included), newest first.
        `count` is the number of all matching runs; fetch the next page with
        offset = offset + limit while offset + limit < count."""
        found = await flux(
            client.list_executions,
            workflow=workflow_name,
            state=state.upper() if state else None,
            limit=limit,
            offset=offset,
        )
        page = data(found)
        page["executions"] = [data(e, drop=("events",)) for e in found.executions]
        return page
