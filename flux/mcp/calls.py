"""How tools reach the Flux server: `FluxClient` calls run in a worker thread, and the
client's errors become MCP tool errors with a message an assistant can act on.

The client is synchronous; a thread per call keeps the MCP event loop free while a sync run
is waited for (the server bounds that wait with `server.sync_timeout`), and reuses the one
HTTP client the CLI is tested with instead of a second implementation of the API.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import anyio.to_thread
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import BaseModel

from flux.client import (
    AuthenticationError,
    ConflictError,
    FluxClient,
    FluxClientError,
    InvalidRequestError,
    NotFoundError,
    ServerUnavailableError,
)

P = ParamSpec("P")
T = TypeVar("T")

# Hints for clients that ask before running tools with side effects. Every tool acts on the
# one Flux server only (closed world).
READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)
CHANGES = ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=False)
DESTRUCTIVE = ToolAnnotations(read_only_hint=False, destructive_hint=True, open_world_hint=False)

# Runs in these states will not change until someone acts (or never again).
SETTLED_STATES = frozenset({"COMPLETED", "FAILED", "CANCELLED", "PAUSED"})


class FluxCalls:
    """The tools' single way to the Flux server."""

    def __init__(self, client: FluxClient):
        self.client = client

    @property
    def server_url(self) -> str:
        return self.client.server_url

    async def __call__(self, method: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        call = functools.partial(method, *args, **kwargs)
        try:
            # A cancelled MCP request must not hold its session until the HTTP call ends;
            # the thread finishes the call on its own and its answer is dropped.
            return await anyio.to_thread.run_sync(call, abandon_on_cancel=True)
        except FluxClientError as error:
            raise ToolError(describe(error)) from None


def describe(error: FluxClientError) -> str:
    """The server's own message, prefixed with what kind of refusal it was."""
    if isinstance(error, ServerUnavailableError):
        return (
            f"{error.message}. Start the server (`flux start server`) or point the MCP server "
            "at the right one (`flux start mcp --server-url URL`, or FLUX_MCP__SERVER_URL)."
        )
    if isinstance(error, NotFoundError):
        # The server's 404 details already read "workflow 'x' not found".
        return error.message if "not found" in error.message else f"not found: {error.message}"
    if isinstance(error, InvalidRequestError):
        return f"invalid request: {error.message}"
    if isinstance(error, ConflictError):
        return f"not allowed now: {error.message}"
    if isinstance(error, AuthenticationError):
        return f"the Flux server refused the credentials: {error.message}"
    status = f" (HTTP {error.status_code})" if error.status_code else ""
    return f"the Flux server failed{status}: {error.message}"


def data(model: BaseModel, *, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    """A model as the JSON object the HTTP API answers with (camelCase where it is).

    The job platform's `success` flag is dropped: a tool that answers at all succeeded, and
    failures are tool errors.
    """
    dumped: dict[str, Any] = model.model_dump(mode="json", by_alias=True)
    for key in ("success", *drop):
        dumped.pop(key, None)
    return dumped


def run_data(model: BaseModel, *, waited: bool) -> dict[str, Any]:
    """An execution view, with a `note` telling the assistant what to do next when the run
    is paused or, after a sync call, still going."""
    view = data(model)
    if view.get("events") is None:
        view.pop("events", None)
    state, execution_id = view.get("state"), view.get("execution_id")
    if state == "PAUSED":
        view["note"] = (
            f"paused: continue it with resume_workflow_sync or resume_workflow_async "
            f"(execution_id {execution_id}); their input becomes the value of the pause call"
        )
    elif waited and state not in SETTLED_STATES:
        view["note"] = (
            "still running when the server's sync wait ended; follow it with "
            f"get_execution_status (execution_id {execution_id})"
        )
    return view
