"""`/health`, `/ready`, `/metrics`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from flux.server.state import State

router = APIRouter(tags=["operations"])


@router.get("/health")
async def health() -> dict[str, Any]:
    """The process answers (says nothing about the database: see /ready)."""
    return {"status": "ok"}


@router.get("/ready", responses={503: {"description": "the database does not answer"}})
async def ready(state: State) -> Response:
    """Ready when the database answers."""
    try:
        await state.core.store.ping()
    except Exception as exc:
        # The type only: a driver message may name hosts or users.
        detail = f"database unreachable ({type(exc).__name__})"
        return JSONResponse({"status": "unavailable", "detail": detail}, status_code=503)
    return JSONResponse({"status": "ready", "workers": len(state.core.dispatcher.sessions)})


@router.get("/metrics", response_class=PlainTextResponse)  # documents text/plain
async def metrics(state: State) -> Response:
    return Response(await state.metrics.render(state.core), media_type=CONTENT_TYPE_LATEST)
