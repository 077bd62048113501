"""The MCP server tested as a user's assistant meets it: the official `mcp` SDK as the
client, `flux start mcp` as a real subprocess (over stdio, or listening for streamable HTTP
or SSE), and a real `flux start server` with its embedded worker behind it."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult, TextContent

from flux.client import FluxClient
from tests.conftest import FluxServer, clean_env, free_port, start_server, stop_server

WORKFLOWS = Path(__file__).resolve().parents[1] / "fixtures" / "server_workflows.py"

# Short job backoff, so that a failing script does not keep a test waiting.
SERVER_ENV = {"FLUX_JOBS__RETRY_DELAY": "0.05", "FLUX_JOBS__TIMEOUT": "60"}


@dataclass(frozen=True)
class McpProcess:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


@pytest.fixture(scope="package")
def flux_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FluxServer]:
    """One Flux server for the package, with fixtures/server_workflows.py registered and its
    embedded worker connected."""
    server = start_server(tmp_path_factory.mktemp("mcp-flux-server"), **SERVER_ENV)
    try:
        _wait_for_worker(server.url)
        with FluxClient(server.url) as client:
            client.upload_workflow(WORKFLOWS)
        yield server
    finally:
        stop_server(server)


@pytest.fixture(scope="package")
def server_url(flux_server: FluxServer) -> str:
    return flux_server.url


def _wait_for_worker(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        workers = httpx.get(f"{url}/workers", timeout=5).json()
        if any(w["status"] == "connected" for w in workers):
            return
        time.sleep(0.05)
    raise AssertionError("the embedded worker did not connect")


def mcp_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "flux.cli.main", "start", "mcp", *args]


def start_mcp(cwd: Path, transport: str, server_url: str, path: str) -> McpProcess:
    """`flux start mcp` listening on a free loopback port, configured by environment as a
    deployment would be (FLUX_MCP__*)."""
    port = free_port()
    log = cwd / f"mcp-{transport}.log"
    env = clean_env(
        FLUX_MCP__SERVER_URL=server_url,
        FLUX_MCP__HOST="127.0.0.1",
        FLUX_MCP__PORT=str(port),
        FLUX_MCP__TRANSPORT=transport,
    )
    with log.open("wb") as out:
        process = subprocess.Popen(
            mcp_command(), cwd=cwd, env=env, stdout=out, stderr=out, start_new_session=True
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"flux start mcp exited with {process.returncode}:\n{log.read_text()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return McpProcess(f"http://127.0.0.1:{port}{path}", process, log)
        time.sleep(0.05)
    process.kill()
    pytest.fail(f"flux start mcp did not listen within 30 s:\n{log.read_text()}")


def stop_mcp(mcp: McpProcess) -> None:
    mcp.process.terminate()
    try:
        mcp.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        mcp.process.kill()
        mcp.process.wait()


@pytest.fixture(scope="package")
def http_mcp(tmp_path_factory: pytest.TempPathFactory, server_url: str) -> Iterator[McpProcess]:
    mcp = start_mcp(tmp_path_factory.mktemp("mcp-http"), "streamable-http", server_url, "/mcp")
    try:
        yield mcp
    finally:
        stop_mcp(mcp)


@pytest.fixture
def mcp_url(http_mcp: McpProcess) -> str:
    """The shared streamable-HTTP MCP server. Tests open their session with
    `async with streamable_http_session(mcp_url)` themselves: an async fixture would enter
    the SDK's task groups in one task and leave them in another, which anyio refuses."""
    return http_mcp.url


@contextlib.asynccontextmanager
async def streamable_http_session(url: str) -> AsyncIterator[ClientSession]:
    async with (
        streamable_http_client(url) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


@contextlib.asynccontextmanager
async def sse_session(url: str) -> AsyncIterator[ClientSession]:
    async with sse_client(url) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


@contextlib.asynccontextmanager
async def stdio_session(cwd: Path, *args: str, **env: str) -> AsyncIterator[ClientSession]:
    """`flux start mcp --transport stdio ...` launched by the SDK, as Claude Desktop or an
    IDE does; its stderr goes to cwd/mcp-stdio.log."""
    params = StdioServerParameters(
        command=sys.executable,
        args=mcp_command("--transport", "stdio", *args)[1:],
        env=clean_env(**env),
        cwd=cwd,
    )
    with (cwd / "mcp-stdio.log").open("w") as errlog:
        async with (
            stdio_client(params, errlog=errlog) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            yield session


async def call(session: ClientSession, tool: str, **arguments: Any) -> dict[str, Any]:
    """A tool call that must succeed; its structured result."""
    result = await session.call_tool(tool, arguments)
    assert not result.is_error, f"{tool} failed: {text_of(result)}"
    assert isinstance(result.structured_content, dict), result
    # The text block carries the same JSON, for clients that read text only.
    assert json.loads(text_of(result)) == result.structured_content
    return result.structured_content


async def call_error(session: ClientSession, tool: str, **arguments: Any) -> str:
    """A tool call that must fail as a tool error (not a protocol error); its message."""
    result = await session.call_tool(tool, arguments)
    assert result.is_error, f"{tool} succeeded: {result.structured_content}"
    return text_of(result)


def text_of(result: CallToolResult) -> str:
    return "".join(block.text for block in result.content if isinstance(block, TextContent))


async def wait_state(
    session: ClientSession, execution_id: str, *states: str, timeout: float = 30
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        view = await call(session, "get_execution_status", execution_id=execution_id)
        if view["state"] in states:
            return view
        assert time.monotonic() < deadline, f"still {view['state']}, expected {states}"
        await anyio.sleep(0.05)
