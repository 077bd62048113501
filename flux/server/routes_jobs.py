"""`/jobs`: submit a script (Python, Node.js, Bash), follow it, list, cancel.

`POST /jobs/submit` takes the job platform's multipart form (`script` file, `runtime`,
`name`, `payload`, `dependencies`, `runAt`, `maxRetries`, `type`) or the same fields as a
JSON object with `script` as text. Everything is validated before anything is stored.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request, Response

from flux.api.jobs import JobEnvelope, JobList, JobState, JobSubmitted
from flux.server import audit
from flux.server.errors import documented
from flux.server.idempotency import IDEMPOTENCY_PARAMETER, REPLAYED_HEADER, idempotency_key
from flux.server.small_form import FormError, parse_form
from flux.server.sse import STREAM_CONTENT, json_frame, sse_response
from flux.server.state import Jobs, ServerState

router = APIRouter(prefix="/jobs", tags=["jobs"])
_TEXT_CONTENT = {"text/plain": {"schema": {"type": "string"}}}

_FORM_SLACK = 64 * 1024  # multipart framing and the other fields around the script
_FIELDS = (
    "runtime",
    "name",
    "payload",
    "dependencies",
    "runAt",
    "maxRetries",
    "type",
    "timeout",
    "memory",
    "cpuSeconds",
    "maxProcesses",
    "network",
    "priority",
    "concurrencyKey",
    "concurrency",
    "secrets",
)
_SUBMIT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["script", "runtime"],
                    "properties": {
                        "script": {"type": "string", "format": "binary"},
                        "runtime": {"type": "string", "example": "node:18"},
                        "name": {"type": "string"},
                        "payload": {"type": "string", "description": "JSON"},
                        "dependencies": {"type": "string", "description": "JSON array"},
                        "runAt": {"type": "string", "format": "date-time"},
                        "maxRetries": {"type": "integer", "minimum": 0},
                        "type": {"type": "string"},
                        "timeout": {"type": "number"},
                        "memory": {"type": "string", "example": "256Mi"},
                        "cpuSeconds": {"type": "number"},
                        "maxProcesses": {"type": "integer"},
                        "network": {"type": "boolean"},
                        "priority": {"type": "integer", "minimum": -1000, "maximum": 1000},
                        "concurrencyKey": {
                            "type": "string",
                            "description": "jobs with the same key run `concurrency` at once",
                        },
                        "concurrency": {"type": "integer", "minimum": 1, "default": 1},
                        "secrets": {
                            "type": "string",
                            "description": "JSON array of secret names, passed as env vars",
                        },
                    },
                }
            },
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["script", "runtime"],
                    "properties": {
                        "script": {"type": "string"},
                        "filename": {"type": "string"},
                        "runtime": {"type": "string"},
                        "payload": {},
                        "dependencies": {"type": "array", "items": {"type": "string"}},
                        "secrets": {"type": "array", "items": {"type": "string"}},
                    },
                }
            },
        },
    }
}


@router.post(
    "/submit",
    status_code=201,
    response_model=JobSubmitted,
    responses={**documented(400, 413, 415), 200: {"model": JobSubmitted}},
    openapi_extra={**_SUBMIT_BODY, "parameters": [IDEMPOTENCY_PARAMETER]},
)
async def submit_job(request: Request) -> Response:
    """Queue a script job (or schedule it for `runAt`); answers at once with its id (201),
    or with the job an earlier request with the same `Idempotency-Key` made (200)."""
    # The lean path: only `request` as parameter, so FastAPI resolves no dependencies, and
    # the form is split by `small_form`; the documentation comes from `_SUBMIT_BODY`.
    state: ServerState = request.app.state.flux
    jobs = state.jobs
    key = idempotency_key(request)
    limit = state.core.settings.jobs.max_script_bytes
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit + _FORM_SLACK:
        raise HTTPException(413, f"the request is larger than the limit of {limit} bytes")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        fields, script, filename = await _form(request, limit)
    elif content_type == "application/json":
        fields, script, filename = await _json_body(request, limit)
    else:
        raise HTTPException(
            415,
            "send the job as multipart/form-data (a 'script' file and form fields) "
            "or as application/json",
        )
    submitted = await jobs.submit(await jobs.check(fields, script, filename), key)
    audit.note(request, submitted.job_id)
    return Response(
        submitted.model_dump_json(by_alias=True),
        status_code=200 if submitted.replayed else 201,
        media_type="application/json",
        headers={REPLAYED_HEADER: "true"} if submitted.replayed else None,
    )


async def _body(request: Request, limit: int) -> bytes:
    """The whole body, refused (413) as soon as it passes the upload limit and the form's
    slack, also when it comes without a Content-Length."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit + _FORM_SLACK:
            raise HTTPException(413, f"the request is larger than the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def _form(request: Request, limit: int) -> tuple[dict[str, Any], bytes, str | None]:
    body = await _body(request, limit)
    try:
        form = parse_form(
            request.headers.get("content-type", ""),
            body,
            max_files=1,
            max_fields=len(_FIELDS) + 4,
        )
    except FormError as exc:
        raise HTTPException(400, str(exc)) from None
    if "script" in form.files:
        filename, script = form.files["script"]
    elif "script" in form.fields:
        script, filename = form.fields["script"].encode(), None
    else:
        raise HTTPException(400, "missing the 'script' file (e.g. -F script=@./worker.js)")
    fields = {key: form.fields[key] for key in _FIELDS if key in form.fields}
    if len(script) > limit:
        raise HTTPException(413, f"the script is larger than the limit of {limit} bytes")
    return fields, script, filename


async def _json_body(request: Request, limit: int) -> tuple[dict[str, Any], bytes, str | None]:
    try:
        body = json.loads(await _body(request, limit))
    except (ValueError, UnicodeDecodeError) as exc:
        raise HTTPException(400, f"the request body is not valid JSON: {exc}") from None
    if not isinstance(body, Mapping):
        raise HTTPException(400, "the request body must be a JSON object")
    script = body.get("script")
    if not isinstance(script, str):
        raise HTTPException(400, "'script' must be the script's source text")
    encoded = script.encode()
    if len(encoded) > limit:
        raise HTTPException(413, f"the script is larger than the limit of {limit} bytes")
    filename = body.get("filename")
    if filename is not None and not isinstance(filename, str):
        raise HTTPException(400, "'filename' must be a string")
    fields = {key: body[key] for key in _FIELDS if key in body}
    return fields, encoded, filename


@router.get("", response_model=JobList, response_model_by_alias=True)
async def list_jobs(
    jobs: Jobs,
    state: JobState | None = None,
    name: str | None = None,
    type: str | None = None,
    limit: int = Query(default=25, ge=1, le=1000),
    offset: int = Query(default=0, ge=0, le=2**62),  # databases hold 64-bit integers
) -> Response:
    """Newest first; `count` is the number of all jobs matching the filters."""
    found = await jobs.page(name=name, type=type, state=state, limit=limit, offset=offset)
    return Response(found.model_dump_json(by_alias=True), media_type="application/json")


@router.get("/{job_id}", response_model=JobEnvelope, responses=documented(404))
async def get_job(job_id: str, jobs: Jobs) -> Response:
    """State, exit code, logs, output and every attempt of a job."""
    envelope = JobEnvelope(job=await jobs.get(job_id))
    return Response(envelope.model_dump_json(by_alias=True), media_type="application/json")


@router.post("/{job_id}/cancel", response_model=JobEnvelope, responses=documented(404, 409))
async def cancel_job(job_id: str, jobs: Jobs) -> Response:
    """Cancel a job that has not finished (a running attempt is killed); 409 if it has."""
    envelope = JobEnvelope(job=await jobs.cancel(job_id))
    return Response(envelope.model_dump_json(by_alias=True), media_type="application/json")


@router.get(
    "/{job_id}/logs",
    responses={**documented(404), 200: {"content": {**_TEXT_CONTENT, **STREAM_CONTENT}}},
)
async def job_logs(job_id: str, jobs: Jobs, follow: bool = False) -> Response:
    """The last attempt's logs as text; `follow=true` streams server-sent events instead:
    `log` {attempt, text} as output arrives, `attempt` when one ends, `end` at the end."""
    if follow:
        return sse_response(_frames(await jobs.follow(job_id)))
    view = await jobs.get(job_id)
    return Response(view.logs, media_type="text/plain; charset=utf-8")


async def _frames(events: AsyncIterator[tuple[str, dict[str, Any]]]) -> AsyncIterator[bytes]:
    async for event, data in events:
        yield json_frame(event, data)
