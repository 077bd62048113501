"""The MCP server of `flux start mcp`: an `MCPServer` (the official `mcp` SDK) whose tools
call one Flux server through `flux.client.FluxClient`, served over stdio, SSE or streamable
HTTP."""

from __future__ import annotations

import functools
from importlib import metadata
from typing import Any, Literal

import anyio
from mcp.server.mcpserver import MCPServer

from flux.client import FluxClient
from flux.mcp import jobs, schedules, workflows
from flux.mcp.calls import FluxCalls

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]

INSTRUCTIONS = """\
Tools of a Flux server: durable Python workflows, sandboxed script jobs, JSON DAGs and
schedules.

- A Python workflow must be registered before it runs: upload_workflow takes the source of
  a .py file; list_workflows shows what is registered.
- execute_workflow_sync waits for the result (bounded by the server); for long runs use
  execute_workflow_async, then get_execution_status with the execution_id.
- A run in state PAUSED waits at `await pause(...)`: resume_workflow_sync/async continue it,
  and their input becomes the value of the pause call. cancel_execution stops a run.
- Scripts (Python, Node.js, Bash) run with submit_job, then get_job for logs and output;
  submit_dag runs several scripts wired by dependencies.
- Schedules start a workflow by cron, interval or once; preview_schedule shows fire times
  without storing anything.
- A failed call returns an error whose text says what was wrong (unknown name, invalid
  input, a state that does not allow the action, an unreachable server).
"""


def build_server(
    client: FluxClient, name: str = "flux-workflows", log_level: LogLevel = "INFO"
) -> MCPServer[Any]:
    server: MCPServer[Any] = MCPServer(
        name,
        title="Flux",
        description="Durable workflows, script jobs, DAGs and schedules on a Flux server",
        instructions=INSTRUCTIONS,
        version=_version(),
        log_level=log_level,
    )
    calls = FluxCalls(client)
    workflows.register(server, calls)
    jobs.register(server, calls)
    schedules.register(server, calls)
    return server


def serve(
    transport: str,
    *,
    server_url: str,
    host: str = "localhost",
    port: int = 8080,
    name: str = "flux-workflows",
    log_level: str = "INFO",
) -> None:
    """Serve until stdin closes (stdio) or the process is stopped (SIGINT/SIGTERM)."""
    with FluxClient(server_url) as client:
        # Flux's NOTSET has no MCP counterpart: it means everything, as DEBUG does.
        server = build_server(client, name, _LEVELS.get(log_level.upper(), "DEBUG"))
        if transport == "stdio":
            anyio.run(server.run_stdio_async)
        elif transport == "sse":
            anyio.run(functools.partial(server.run_sse_async, host=host, port=port))
        elif transport == "streamable-http":
            anyio.run(functools.partial(server.run_streamable_http_async, host=host, port=port))
        else:
            raise ValueError(f"unknown MCP transport {transport!r}")


_LEVELS: dict[str, LogLevel] = {
    "DEBUG": "DEBUG",
    "INFO": "INFO",
    "WARNING": "WARNING",
    "ERROR": "ERROR",
    "CRITICAL": "CRITICAL",
}


def _version() -> str:
    try:
        return metadata.version("flux-orchestrator")
    except metadata.PackageNotFoundError:
        return ""
