"""`/workflows`: upload, list, show, run, resume, status, cancel (the flux-core API)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response
from starlette.datastructures import UploadFile

from flux.api.models import ExecutionView, WorkflowDetail, WorkflowInfo
from flux.domain.limits import MAX_PRIORITY, MIN_PRIORITY
from flux.orchestrator.service import Outcome, RunStream
from flux.server import audit
from flux.server.errors import documented
from flux.server.idempotency import IDEMPOTENCY_PARAMETER, REPLAYED_HEADER, idempotency_key
from flux.server.sse import STREAM_CONTENT, json_frame, sse_response
from flux.server.state import Service, State

router = APIRouter(tags=["workflows"])

_UPLOAD_SLACK = 64 * 1024  # multipart framing around the file itself
_JSON_TYPES = ("application/json", "text/plain")
_ERRORS = documented(400, 404, 409, 415)
_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}
_INPUT_BODY = {
    "requestBody": {
        "required": False,
        "description": "the input: any JSON value (an empty body means null)",
        "content": {"application/json": {"schema": {}}},
    }
}


class Mode(StrEnum):
    sync = "sync"
    async_ = "async"
    stream = "stream"


class CancelMode(StrEnum):
    sync = "sync"
    async_ = "async"


@router.post(
    "/workflows",
    response_model=list[WorkflowInfo],
    responses=documented(400, 413, 415),
    openapi_extra=_UPLOAD_BODY,
)
async def upload_workflows(request: Request, service: Service, state: State) -> list[WorkflowInfo]:
    """Register the workflows of an uploaded `.py` file (parsed, never executed here)."""
    limit = state.core.settings.server.max_upload_bytes
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise HTTPException(415, "upload the file as multipart/form-data in a field named 'file'")
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit + _UPLOAD_SLACK:
        raise HTTPException(413, f"the upload is larger than the limit of {limit} bytes")
    # The context closes the spooled temporary files of the parts.
    async with request.form(max_files=1, max_fields=8) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise HTTPException(400, "missing multipart file field 'file'")
        content = await upload.read(limit + 1)
        filename = upload.filename
    if len(content) > limit:
        raise HTTPException(413, f"{filename} is larger than the limit of {limit} bytes")
    registered = await service.register(filename, content)
    audit.note(request, file=filename, workflows=[info.name for info in registered])
    return registered


@router.get("/workflows", response_model=list[WorkflowInfo])
async def list_workflows(service: Service) -> list[WorkflowInfo]:
    return await service.workflows()


@router.get("/workflows/{name}", response_model=WorkflowDetail, responses=_ERRORS)
async def show_workflow(name: str, service: Service) -> WorkflowDetail:
    return await service.workflow(name)


async def read_input(request: Request) -> Any:
    """The request body as a JSON value; an empty body is null."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if content_type and content_type not in _JSON_TYPES and not content_type.endswith("+json"):
        raise HTTPException(
            415, f"send the input as JSON (Content-Type: application/json), not {content_type}"
        )
    if not body.strip():
        return None
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise HTTPException(400, f"the request body is not valid JSON: {exc}") from None


def _answer(outcome: Outcome) -> Response:
    # 202: the run has not settled within server.sync_timeout; the view says where it is.
    status = 200 if outcome.settled else 202
    headers = {REPLAYED_HEADER: "true"} if outcome.replayed else None
    return Response(
        outcome.view.model_dump_json(),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


async def _events(stream: RunStream) -> AsyncIterator[bytes]:
    async for event, data in stream:
        yield json_frame(event, data)


@router.post(
    "/workflows/{name}/run/{mode}",
    response_model=ExecutionView,
    responses={**_ERRORS, 200: {"content": STREAM_CONTENT}, 202: {"model": ExecutionView}},
    openapi_extra={**_INPUT_BODY, "parameters": [IDEMPOTENCY_PARAMETER]},
)
async def run_workflow(
    name: str,
    mode: Mode,
    request: Request,
    service: Service,
    detailed: bool = False,
    priority: Annotated[int | None, Query(ge=MIN_PRIORITY, le=MAX_PRIORITY)] = None,
) -> Response:
    """Start a run: `sync` waits for its end (202 after server.sync_timeout), `async`
    returns at once, `stream` sends server-sent events until it settles. `priority`
    overrides the workflow's: queued runs with a higher one start first."""
    input = await read_input(request)
    key = idempotency_key(request)
    if mode is Mode.stream:
        events = await service.stream(name, input, idempotency_key=key, priority=priority)
        audit.note(request, execution_id=events.execution_id)
        return sse_response(_events(events))
    outcome = await service.run(
        name,
        input,
        wait=mode is Mode.sync,
        detailed=detailed,
        idempotency_key=key,
        priority=priority,
    )
    audit.note(request, execution_id=outcome.view.execution_id)
    return _answer(outcome)


@router.post(
    "/workflows/{name}/resume/{execution_id}/{mode}",
    response_model=ExecutionView,
    responses={**_ERRORS, 200: {"content": STREAM_CONTENT}, 202: {"model": ExecutionView}},
    openapi_extra=_INPUT_BODY,
)
async def resume_workflow(
    name: str,
    execution_id: str,
    mode: Mode,
    request: Request,
    service: Service,
    detailed: bool = False,
) -> Response:
    """Resume a paused run with the body as its pause point's answer (409 if not paused)."""
    input = await read_input(request)
    if mode is Mode.stream:
        return sse_response(_events(await service.stream(name, input, resume_of=execution_id)))
    outcome = await service.resume(
        name, execution_id, input, wait=mode is Mode.sync, detailed=detailed
    )
    return _answer(outcome)


@router.get(
    "/workflows/{name}/status/{execution_id}", response_model=ExecutionView, responses=_ERRORS
)
async def execution_status(
    name: str, execution_id: str, service: Service, detailed: bool = False
) -> ExecutionView:
    return await service.status(name, execution_id, detailed)


@router.get(
    "/workflows/{name}/cancel/{execution_id}",
    response_model=ExecutionView,
    responses={**_ERRORS, 202: {"model": ExecutionView}},
)
async def cancel_execution(
    name: str, execution_id: str, service: Service, mode: CancelMode = CancelMode.async_
) -> Response:
    """Cancel a run (409 if it already ended); `mode=sync` waits until it is cancelled."""
    return _answer(await service.cancel(name, execution_id, wait=mode is CancelMode.sync))
