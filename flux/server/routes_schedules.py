"""Schedules: `/schedules` (docs/schedules.md)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request, Response

from flux.api.schedules import (
    ScheduleCreate,
    SchedulePreview,
    SchedulePreviewRequest,
    ScheduleView,
)
from flux.server import audit
from flux.server.errors import documented
from flux.server.state import Schedules

router = APIRouter(prefix="/schedules", tags=["schedules"])
_Count = Query(10, ge=1, le=1000, description="how many fire times")


def _body_of(model: type[ScheduleCreate] | type[SchedulePreviewRequest]) -> dict[str, Any]:
    """OpenAPI for a body the route reads itself (so that every bad field is a 400 with
    the service's message, not a 422 from request parsing)."""
    schema = {"application/json": {"schema": model.model_json_schema()}}
    return {"requestBody": {"required": True, "content": schema}}


async def _json(request: Request) -> Any:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise HTTPException(415, "send the schedule as JSON (Content-Type: application/json)")
    try:
        return json.loads(await request.body())
    except (ValueError, UnicodeDecodeError) as exc:
        raise HTTPException(400, f"the request body is not valid JSON: {exc}") from None


@router.get("", response_model=list[ScheduleView])
async def list_schedules(schedules: Schedules) -> list[ScheduleView]:
    """Every schedule, by name, with its next and last fire times and run counts."""
    return await schedules.all()


@router.post(
    "",
    status_code=201,
    response_model=ScheduleView,
    responses=documented(400, 404, 409, 415),
    openapi_extra=_body_of(ScheduleCreate),
)
async def create_schedule(request: Request, schedules: Schedules) -> ScheduleView:
    """Store a schedule (checked completely first: nothing is stored on a 400)."""
    created = await schedules.create(await _json(request))
    audit.note(request, created.name, schedule_id=created.id, workflow=created.workflow)
    return created


@router.post(
    "/preview",
    response_model=SchedulePreview,
    responses=documented(400, 415),
    openapi_extra=_body_of(SchedulePreviewRequest),
)
async def preview_spec(request: Request, schedules: Schedules) -> SchedulePreview:
    """The next fire times of a schedule that is not stored."""
    body = await _json(request)
    count = body.get("count", 10) if isinstance(body, dict) else 10
    if isinstance(count, bool) or not isinstance(count, int):
        raise HTTPException(400, "'count' must be an integer")
    return schedules.preview_spec(body, count)


@router.get("/{key}", response_model=ScheduleView, responses=documented(404))
async def get_schedule(
    key: str,
    schedules: Schedules,
    runs: int = Query(20, ge=0, le=1000, description="how many recent fires to show"),
) -> ScheduleView:
    """A schedule by id or name, with its recent fires (newest first)."""
    return await schedules.get(key, runs)


@router.post("/{key}/pause", response_model=ScheduleView, responses=documented(404))
async def pause_schedule(key: str, schedules: Schedules) -> ScheduleView:
    return await schedules.pause(key)


@router.post("/{key}/resume", response_model=ScheduleView, responses=documented(404))
async def resume_schedule(key: str, schedules: Schedules) -> ScheduleView:
    """Goes on from now: times that passed while paused are not caught up."""
    return await schedules.resume(key)


@router.delete("/{key}", status_code=204, responses=documented(404))
async def delete_schedule(key: str, schedules: Schedules) -> Response:
    """The runs it started stay."""
    await schedules.delete(key)
    return Response(status_code=204)


@router.get("/{key}/preview", response_model=SchedulePreview, responses=documented(404))
async def preview_schedule(key: str, schedules: Schedules, count: int = _Count) -> SchedulePreview:
    """The schedule's next `count` fire times."""
    return await schedules.preview(key, count)
