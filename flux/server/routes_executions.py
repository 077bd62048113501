"""`/executions`: every run, filtered and paged, and one run by id."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from flux.api.models import ExecutionList, ExecutionView
from flux.domain.events import ExecutionState
from flux.server.errors import documented
from flux.server.state import Service

router = APIRouter(tags=["executions"])


@router.get("/executions", response_model=ExecutionList)
async def list_executions(
    service: Service,
    workflow: str | None = None,
    state: ExecutionState | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ExecutionList:
    """Newest first."""
    return await service.executions(workflow, state, limit, offset)


@router.get(
    "/executions/{execution_id}",
    response_model=ExecutionView,
    responses=documented(404),
)
async def show_execution(
    execution_id: str, service: Service, detailed: bool = False
) -> ExecutionView:
    return await service.execution(execution_id, detailed)
