"""Each transport of `flux start mcp` with the SDK's own client: stdio (how Claude Desktop
and IDEs launch it), streamable HTTP and SSE; the tool list and the schemas an assistant
reads; where the server URL comes from; a Flux server that cannot be reached."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.mcp.conftest import (
    McpProcess,
    call,
    call_error,
    sse_session,
    start_mcp,
    stdio_session,
    stop_mcp,
    streamable_http_session,
)

pytestmark = pytest.mark.slow

TOOLS = {
    "list_workflows",
    "get_workflow_details",
    "upload_workflow",
    "execute_workflow_sync",
    "execute_workflow_async",
    "get_execution_status",
    "cancel_execution",
    "resume_workflow_sync",
    "resume_workflow_async",
    "list_executions",
    "submit_job",
    "get_job",
    "list_jobs",
    "cancel_job",
    "submit_dag",
    "get_dag_run",
    "list_workers",
    "list_schedules",
    "create_schedule",
    "pause_schedule",
    "resume_schedule",
    "delete_schedule",
    "preview_schedule",
}


async def test_stdio_lists_every_tool_with_a_described_input_schema(
    tmp_path: Path, server_url: str
) -> None:
    async with stdio_session(tmp_path, "--server-url", server_url) as session:
        assert session.server_info is not None and session.server_info.name == "flux-workflows"
        assert "upload_workflow" in (session.instructions or "")
        tools = {tool.name: tool for tool in (await session.list_tools()).tools}
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert tool.description and len(tool.description) > 40, tool.name
        schema = tool.input_schema
        assert schema["type"] == "object", tool.name
        for name, prop in schema.get("properties", {}).items():
            assert prop.get("description"), f"{tool.name}.{name} has no description"
    run = tools["execute_workflow_sync"].input_schema
    assert run["required"] == ["workflow_name"]
    assert run["properties"]["workflow_name"]["type"] == "string"
    job = tools["submit_job"].input_schema
    assert set(job["required"]) == {"script", "runtime"}
    assert {"payload", "dependencies", "run_at", "max_retries", "name"} <= set(job["properties"])
    dag = tools["submit_dag"].input_schema
    assert dag["required"] == ["nodes"]
    node = dag["$defs"]["DagNode"]["properties"]
    assert {"id", "runtime", "handler", "dependencies", "jobName", "codeDependencies"} <= set(node)
    schedule = tools["create_schedule"].input_schema["properties"]
    assert schedule["overlap"]["enum"] == ["skip", "allow"]
    assert tools["list_workflows"].annotations is not None
    assert tools["list_workflows"].annotations.read_only_hint is True
    assert tools["delete_schedule"].annotations is not None
    assert tools["delete_schedule"].annotations.destructive_hint is True


async def test_stdio_runs_a_workflow_with_the_url_from_the_environment(
    tmp_path: Path, server_url: str
) -> None:
    async with stdio_session(tmp_path, FLUX_MCP__SERVER_URL=server_url) as session:
        view = await call(
            session, "execute_workflow_sync", workflow_name="hello_world", input="MCP"
        )
    assert (view["state"], view["output"]) == ("COMPLETED", "Hello, MCP")


async def test_an_unreachable_flux_server_is_a_tool_error_naming_its_url(
    tmp_path: Path, dead_server_url: str
) -> None:
    async with stdio_session(tmp_path, "--server-url", dead_server_url) as session:
        message = await call_error(session, "list_workflows")
        also = await call_error(session, "execute_workflow_sync", workflow_name="hello_world")
    assert f"cannot reach the Flux server at {dead_server_url}" in message
    assert "connection refused" in message and "flux start server" in message
    assert dead_server_url in also


async def test_streamable_http_serves_the_tools(mcp_url: str) -> None:
    async with streamable_http_session(mcp_url) as session:
        tools = {tool.name for tool in (await session.list_tools()).tools}
        listed = await call(session, "list_workflows")
    assert tools == TOOLS
    assert {"hello_world", "approval", "slow", "broken"} <= {w["name"] for w in listed["workflows"]}


async def test_sse_serves_the_tools(tmp_path: Path, server_url: str) -> None:
    mcp: McpProcess = start_mcp(tmp_path, "sse", server_url, "/sse")
    try:
        async with sse_session(mcp.url) as session:
            assert {t.name for t in (await session.list_tools()).tools} == TOOLS
            view = await call(
                session, "execute_workflow_sync", workflow_name="hello_world", input="SSE"
            )
    finally:
        stop_mcp(mcp)
    assert view["output"] == "Hello, SSE"
