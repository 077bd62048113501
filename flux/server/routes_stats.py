"""The dashboard's read endpoints: `/stats/overview`, `/stats/workers`, `/executions/search`,
`/executions/{id}/logs`, and the server-sent events of `/executions/live`.

They are registered before `/executions/{execution_id}`, which would otherwise take "live"
and "search" for execution ids.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response

from flux.api.dashboard import ExecutionLogs, ExecutionPage, Overview, RunKind, WorkerStatus
from flux.domain.events import ExecutionState, utcnow
from flux.orchestrator.core import Core
from flux.orchestrator.live import LiveFeed, Subscription
from flux.orchestrator.stats import MAX_WINDOW_MINUTES, DashboardStats, ExecutionFilters
from flux.server.errors import documented
from flux.server.sse import frame, json_frame, sse_response
from flux.server.state import ServerState

router = APIRouter(tags=["dashboard"])
_KEEPALIVE_S = 15.0
_STOP_CHECK_S = 1.0  # how soon an open stream notices the server is stopping


@dataclass
class Dashboard:
    core: Core
    stats: DashboardStats
    feed: LiveFeed


async def _dashboard(request: Request) -> Dashboard:
    # Made on first use, for the app's current lifespan (a restarted lifespan has a new core).
    state: ServerState = request.app.state.flux
    found: Dashboard | None = getattr(request.app.state, "dashboard", None)
    if found is None or found.core is not state.core:
        found = Dashboard(state.core, DashboardStats(state.core), LiveFeed(state.core))
        request.app.state.dashboard = found
    return found


Board = Annotated[Dashboard, Depends(_dashboard)]


@router.get("/stats/overview", response_model=Overview)
async def overview(
    board: Board,
    minutes: Annotated[int, Query(ge=1, le=MAX_WINDOW_MINUTES)] = 60,
) -> Overview:
    """Executions per state, runs ended per minute over the last `minutes`, the queue, the
    worker fleet and the next schedule fires."""
    return await board.stats.overview(minutes)


@router.get("/stats/workers", response_model=list[WorkerStatus])
async def workers(board: Board) -> list[WorkerStatus]:
    """Registered workers with their health and the runs each holds now."""
    return await board.stats.workers()


@router.get("/executions/search", response_model=ExecutionPage, responses=documented(400))
async def search_executions(
    board: Board,
    workflow: str | None = None,
    state: Annotated[list[ExecutionState] | None, Query()] = None,
    kind: RunKind | None = None,
    since: Annotated[datetime | None, Query(description="created at or after")] = None,
    until: Annotated[datetime | None, Query(description="created before")] = None,
    top_level: Annotated[bool, Query(description="leave out subworkflow runs")] = False,
    parent: Annotated[str | None, Query(description="only this run's subworkflow runs")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(description="the previous page's next_cursor")] = None,
) -> ExecutionPage:
    """Python workflow runs, script jobs and DAG runs together, newest first, filtered;
    pages follow each other by cursor, so a deep page costs what the first one does."""
    for moment in (since, until):
        if moment is not None and moment.tzinfo is None:
            raise HTTPException(400, "give times with an offset, e.g. 2025-01-01T00:00:00Z")
    filters = ExecutionFilters(
        workflow=workflow,
        states=tuple(state or ()),
        kind=kind,
        since=since,
        until=until,
        top_level=top_level,
        parent=parent,
    )
    try:
        return await board.stats.search(filters, limit, cursor)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None


@router.get("/executions/live")
async def live_executions(
    request: Request,
    board: Board,
    workflow: Annotated[str | None, Query(description="only runs of this workflow")] = None,
    execution_id: Annotated[
        str | None, Query(description="only this run; adds `output` events when it prints")
    ] = None,
) -> Response:
    """Server-sent events: `ready` once, then `execution` {execution_id, workflow, state,
    updated_at, created_at, parent_execution_id, worker} whenever a run is queued or
    changes state, `output` {execution_id} (with `execution_id`), `resync` when the client
    fell too far behind and should read again, and `keepalive` every 15 s."""
    state: ServerState = request.app.state.flux
    subscription = board.feed.subscribe(workflow, execution_id)
    return sse_response(_frames(board.feed, subscription, state))


async def _frames(
    feed: LiveFeed, subscription: Subscription, state: ServerState
) -> AsyncIterator[bytes]:
    try:
        yield json_frame("ready", {"time": utcnow().isoformat()})
        quiet = 0.0
        while not state.stopping:
            try:
                event, data = await asyncio.wait_for(subscription.queue.get(), _STOP_CHECK_S)
            except TimeoutError:
                quiet += _STOP_CHECK_S
                if quiet >= _KEEPALIVE_S:
                    quiet = 0.0
                    yield frame("keepalive", "{}")
                continue
            quiet = 0.0
            yield json_frame(event, data)
    finally:
        feed.unsubscribe(subscription)


@router.get(
    "/executions/{execution_id}/logs", response_model=ExecutionLogs, responses=documented(404)
)
async def execution_logs(execution_id: str, board: Board) -> ExecutionLogs:
    """What each step of a run printed while it ran (script steps ship their output as it
    comes; a finished attempt's whole output is also in its recorded value)."""
    return await board.stats.logs(execution_id)
