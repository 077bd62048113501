"""`/limits`: each concurrency and rate limit, who holds its slots, how many runs wait."""

from __future__ import annotations

from fastapi import APIRouter

from flux.api.limits import LimitList
from flux.orchestrator.limits import LimitService
from flux.server.state import State

router = APIRouter(tags=["limits"])


@router.get("/limits", response_model=LimitList)
async def list_limits(state: State, workflow: str | None = None) -> LimitList:
    """Limits in use or declared (of one workflow with `workflow=`): capacity, the runs
    holding a slot (rate limits: the starts still counting), and the queued runs waiting.
    `workflows` lists what each workflow's latest upload declares."""
    return await LimitService(state.core.store).list(workflow)
