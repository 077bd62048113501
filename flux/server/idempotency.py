"""The `Idempotency-Key` header of the start endpoints (runs and jobs)."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from flux.orchestrator.idempotency import HEADER, MAX_KEY_LENGTH, check_key

REPLAYED_HEADER = "Idempotent-Replayed"

# OpenAPI: the header as an optional parameter of each endpoint that takes it.
IDEMPOTENCY_PARAMETER: dict[str, Any] = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
    "description": "a key this server has seen answers with what it started then "
    f"(marked `{REPLAYED_HEADER}: true`) instead of starting another",
}


def idempotency_key(request: Request) -> str | None:
    """The header's key, checked (IdempotencyKeyError: 400); None without the header."""
    key = request.headers.get(HEADER)
    return None if key is None else check_key(key)
