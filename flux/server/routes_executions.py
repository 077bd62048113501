"""`/executions`: every run, filtered and paged, one run by id, and reruns."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, Response

from flux.api.models import ExecutionList, ExecutionView
from flux.api.rerun import RerunRequest
from flux.domain.events import ExecutionState
from flux.orchestrator.rerun import rerun
from flux.server import audit
from flux.server.errors import documented
from flux.server.idempotency import IDEMPOTENCY_PARAMETER, idempotency_key
from flux.server.routes_workflows import _answer
from flux.server.state import Service

router = APIRouter(tags=["executions"])


class RerunMode(StrEnum):
    sync = "sync"
    async_ = "async"


@router.get("/executions", response_model=ExecutionList)
async def list_executions(
    service: Service,
    workflow: str | None = None,
    state: ExecutionState | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**62)] = 0,  # databases hold 64-bit integers
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


@router.post(
    "/executions/{execution_id}/rerun",
    response_model=ExecutionView,
    responses={**documented(400, 404, 409), 202: {"model": ExecutionView}},
    openapi_extra={"parameters": [IDEMPOTENCY_PARAMETER]},
)
async def rerun_execution(
    execution_id: str,
    request: Request,
    service: Service,
    body: Annotated[RerunRequest | None, Body()] = None,
    mode: RerunMode = RerunMode.async_,
    detailed: bool = False,
) -> Response:
    """Start a new run of a FAILED or CANCELLED execution that reuses the steps it finished
    and runs the rest (docs/production.md). The body is optional. `mode=sync` waits until
    the new run ends or pauses (202 after server.sync_timeout); its view has `rerun_of`."""
    outcome = await rerun(
        service,
        execution_id,
        body or RerunRequest(),
        wait=mode is RerunMode.sync,
        detailed=detailed,
        idempotency_key=idempotency_key(request),
    )
    audit.note(request, execution_id=outcome.view.execution_id)
    return _answer(outcome)
