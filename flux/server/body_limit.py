"""Request body caps, enforced while the body streams in (a pure ASGI middleware).

Every request body has a cap: `server.max_request_bytes`, or for the endpoints built to take
bigger ones, their own setting (workflow files, job scripts, a worker's large outputs). A
declared `Content-Length` over the cap is refused before a byte of the body is read; a
chunked body is counted as it arrives and refused at the chunk that passes the cap, so a
10 GB upload never sits in memory or on disk. Either way the answer is a 413 naming the
limit, and the route never ran to completion: nothing is stored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from flux.config import FluxSettings

# Multipart framing and the small form fields around an uploaded file.
FORM_SLACK = 64 * 1024


@dataclass(frozen=True, slots=True)
class BodyLimit:
    max_bytes: int
    setting: str  # named in the 413 answer, so that the operator knows what to raise

    def message(self) -> str:
        return (
            f"the request body is larger than the limit of {self.max_bytes} bytes ({self.setting})"
        )


LimitFor = Callable[[str, str], BodyLimit]  # (method, path) -> its cap

_OUTPUT_UPLOAD = re.compile(r"^/workers/[^/]+/outputs/[^/]+$")
_WORKER_PROTOCOL = re.compile(r"^/workers/[^/]+/")  # not /workers/register: no segment after


def settings_limits(settings: FluxSettings) -> LimitFor:
    """The caps of `settings`, per endpoint."""
    general = BodyLimit(settings.server.max_request_bytes, "server.max_request_bytes")
    workflow_file = BodyLimit(
        settings.server.max_upload_bytes + FORM_SLACK, "server.max_upload_bytes"
    )
    script = BodyLimit(settings.jobs.max_script_bytes + FORM_SLACK, "jobs.max_script_bytes")
    output = BodyLimit(settings.outputs.max_upload_bytes, "outputs.max_upload_bytes")
    worker = BodyLimit(
        max(settings.outputs.max_upload_bytes, settings.server.max_request_bytes),
        "outputs.max_upload_bytes",
    )

    def limit_for(method: str, path: str) -> BodyLimit:
        if method == "POST" and path == "/workflows":
            return workflow_file
        if method == "POST" and path == "/jobs/submit":
            return script
        if method == "PUT" and _OUTPUT_UPLOAD.match(path):
            return output
        if _WORKER_PROTOCOL.match(path):
            # Session-token calls of workers: a checkpoint batch of a wide fan-out can hold
            # many values just under `outputs.inline_limit`; refusing it would stall runs.
            return worker
        return general

    return limit_for


class BodyTooLarge(HTTPException):
    """Raised from `receive` when the body passes its cap. An HTTPException, so that a route
    reading the body (FastAPI's body parsing re-raises these) answers 413, not 400."""

    def __init__(self, limit: BodyLimit) -> None:
        super().__init__(413, limit.message())


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, limit_for: LimitFor) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["method"], scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit.max_bytes:
            await _refuse(limit, send)
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit.max_bytes:
                    raise BodyTooLarge(limit)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except BodyTooLarge:
            # A route that caught nothing lets it through; answer unless it already did.
            if started:
                raise
            await _refuse(limit, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


async def _refuse(limit: BodyLimit, send: Send) -> None:
    body = json.dumps({"detail": limit.message()}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                # The rest of the body is not read: the client must not reuse this connection.
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
