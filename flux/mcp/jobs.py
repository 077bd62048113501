"""Tools for script jobs, JSON DAGs and workers."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from flux.mcp.calls import CHANGES, DESTRUCTIVE, READ_ONLY, FluxCalls, data

Runtime = Annotated[
    str,
    Field(
        description="Runtime: 'python' or 'python:3.9' (and other versions), 'node' or "
        "'node:18', or 'bash'."
    ),
]
JobId = Annotated[str, Field(description="Id of a job, as returned by submit_job.")]
Payload = Annotated[
    Any,
    Field(
        description="JSON value given to the script: the PAYLOAD environment variable (JSON "
        "text) for Python and Bash, the exported function's argument for Node.js."
    ),
]
Packages = Annotated[
    list[str] | None,
    Field(description="PyPI packages (Python) or npm packages (Node.js), e.g. ['requests']."),
]


class DagNode(BaseModel):
    """One step of a DAG; keys as in the DAG JSON (camelCase), snake_case accepted too."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    id: str = Field(description="Unique id: letters, digits, '.', '_', '-'.")
    runtime: Runtime
    handler: str = Field(description="The script's source text.")
    job_name: str | None = Field(default=None, description="Label shown for the node.")
    dependencies: list[str] = Field(
        default_factory=list, description="Ids of the nodes that must complete first."
    )
    code_dependencies: list[str] | None = Field(
        default=None, description="PyPI or npm packages to install for this node."
    )
    max_retries: int | None = Field(default=None, ge=0, description="This node's retries.")


def register(server: MCPServer[Any], flux: FluxCalls) -> None:
    client = flux.client

    @server.tool(annotations=CHANGES)
    async def submit_job(
        script: Annotated[str, Field(description="The script's source text.")],
        runtime: Runtime,
        name: Annotated[str | None, Field(description="A label for the job.")] = None,
        payload: Payload = None,
        dependencies: Packages = None,
        run_at: Annotated[
            str | None,
            Field(description="ISO-8601 time to start it (the platform's runAt); default now."),
        ] = None,
        max_retries: Annotated[
            int | None,
            Field(ge=0, description="Retries after a failed attempt (maxRetries); default 3."),
        ] = None,
        timeout: Annotated[
            float | None,
            Field(gt=0, description="Seconds one attempt may run (at most the server's limit)."),
        ] = None,
        memory: Annotated[
            str | None, Field(description="Memory limit per attempt, e.g. '256Mi'.")
        ] = None,
        network: Annotated[
            bool | None, Field(description="Ask for network access (off by default).")
        ] = None,
    ) -> dict[str, Any]:
        """Run a Python, Node.js or Bash script as a sandboxed job and return its jobId at
        once (state PENDING). Read its state, logs and output with get_job. A Python or Bash
        script returns a result by writing JSON to the file named by $FLUX_OUTPUT; a Node.js
        script by returning it from `module.exports = async (payload) => ...`. Failed
        attempts are retried with backoff."""
        submitted = await flux(
            client.submit_job_source,
            script,
            runtime,
            name=name,
            payload=payload,
            dependencies=dependencies,
            run_at=run_at,
            max_retries=max_retries,
            timeout=timeout,
            memory=memory,
            network=network,
        )
        return data(submitted, drop=("replayed",))

    @server.tool(annotations=READ_ONLY)
    async def get_job(job_id: JobId) -> dict[str, Any]:
        """A job's state (PENDING, RUNNING, COMPLETED, FAILED, CANCELLED), exit code, output
        (once COMPLETED), error, the logs of its last attempt (stdout and stderr, live while
        it runs) and every attempt with its reason for failing."""
        return data(await flux(client.get_job, job_id))

    @server.tool(annotations=READ_ONLY)
    async def list_jobs(
        state: Annotated[
            str | None, Field(description="PENDING, RUNNING, COMPLETED, FAILED or CANCELLED.")
        ] = None,
        name: Annotated[str | None, Field(description="Only jobs with this name.")] = None,
        limit: Annotated[int, Field(ge=1, le=1000, description="Page size.")] = 25,
        offset: Annotated[int, Field(ge=0, description="Jobs to skip (paging).")] = 0,
    ) -> dict[str, Any]:
        """List script jobs, newest first; `count` is the number of all matching jobs."""
        found = await flux(
            client.list_jobs,
            state=state.upper() if state else None,
            name=name,
            limit=limit,
            offset=offset,
        )
        return data(found)

    @server.tool(annotations=DESTRUCTIVE)
    async def cancel_job(job_id: JobId) -> dict[str, Any]:
        """Cancel a job that has not finished; a running attempt is killed, so the answer
        may still say RUNNING for a moment (get_job shows CANCELLED once it stopped).
        Refused when the job already ended."""
        return data(await flux(client.cancel_job, job_id))

    @server.tool(annotations=CHANGES)
    async def submit_dag(
        nodes: Annotated[
            list[DagNode],
            Field(
                min_length=1,
                description="The steps; a node starts once its dependencies completed.",
            ),
        ],
        name: Annotated[
            str | None,
            Field(description="Catalog name; submitting the same name again adds a version."),
        ] = None,
        input: Annotated[
            Any, Field(description="JSON value every node gets as payload.input.")
        ] = None,
        cron: Annotated[
            str | None,
            Field(
                description="5-field cron, e.g. '0 9 * * 1-5': schedule the DAG instead of "
                "running it now."
            ),
        ] = None,
        timezone: Annotated[
            str | None,
            Field(description="IANA timezone of cron, e.g. 'Europe/Lisbon'; default UTC."),
        ] = None,
        max_retries: Annotated[
            int | None, Field(ge=0, description="Default retries of each node.")
        ] = None,
    ) -> dict[str, Any]:
        """Submit a workflow of script nodes wired by dependencies (a JSON DAG). Each node's
        payload is {"input": <input>, "upstream": {<dependency id>: <its output>}}; the
        run's output maps node ids to outputs. Without cron it runs now and the answer has
        runId (follow it with get_dag_run); with cron it gets a schedule (scheduleId,
        nextFireAt). The whole definition is validated first (ids, cycles, runtimes)."""
        body: dict[str, Any] = {
            "nodes": [node.model_dump(by_alias=True, exclude_none=True) for node in nodes]
        }
        optional = {
            "name": name,
            "input": input,
            "cron": cron,
            "timezone": timezone,
            "maxRetries": max_retries,
        }
        body.update({key: value for key, value in optional.items() if value is not None})
        return data(await flux(client.submit_dag, body))

    @server.tool(annotations=READ_ONLY)
    async def get_dag_run(
        run_id: Annotated[str, Field(description="runId returned by submit_dag.")],
    ) -> dict[str, Any]:
        """A DAG run's state, output and error, and for each node its state (PENDING,
        RUNNING, COMPLETED, FAILED, SKIPPED, CANCELLED), output, logs and attempts."""
        return data(await flux(client.get_dag_run, run_id))

    @server.tool(annotations=READ_ONLY)
    async def list_workers() -> dict[str, Any]:
        """The workers registered with the server: connected or not, CPU, memory, GPUs,
        concurrency, Python version and when they were last seen. Runs need a connected
        worker to start."""
        workers = await flux(client.list_workers)
        return {"workers": [data(w) for w in workers]}
