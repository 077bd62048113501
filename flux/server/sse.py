"""Server-sent events over a plain `StreamingResponse` (no extra dependency needed)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.responses import StreamingResponse

HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
# OpenAPI `content` of a 200 that may be an event stream (merged with the route's JSON one).
STREAM_CONTENT: dict[str, Any] = {"text/event-stream": {}}


def frame(event: str, data: str) -> bytes:
    lines = "".join(f"data: {line}\n" for line in data.split("\n"))
    return f"event: {event}\n{lines}\n".encode()


def json_frame(event: str, data: Any) -> bytes:
    return frame(event, json.dumps(data, default=str))


def sse_response(body: AsyncIterator[bytes]) -> StreamingResponse:
    return StreamingResponse(body, media_type="text/event-stream", headers=HEADERS)
