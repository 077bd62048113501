"""Flux errors as HTTP answers: 404 unknown, 400 invalid, 409 conflicting state, 401/403."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from flux.api.models import ErrorResponse
from flux.catalog import CatalogError
from flux.errors import (
    ExecutionNotFoundError,
    ExecutionStateError,
    IdempotencyConflictError,
    IdempotencyKeyError,
    ScheduleError,
    ScheduleExistsError,
    ScheduleNotFoundError,
    SecretNotFoundError,
    SerializationError,
    WorkflowNotFoundError,
)
from flux.jobs.spec import JobSpecError
from flux.orchestrator.rerun import RerunError, RerunRefusedError
from flux.orchestrator.workers import AuthError, NotHeldError, UnknownExecutionError

logger = logging.getLogger(__name__)
_STATUS: list[tuple[type[Exception], int]] = [
    (WorkflowNotFoundError, 404),
    (ExecutionNotFoundError, 404),
    (UnknownExecutionError, 404),
    (SecretNotFoundError, 404),
    (ScheduleNotFoundError, 404),
    (ScheduleExistsError, 409),
    (ScheduleError, 400),
    (ExecutionStateError, 409),
    (IdempotencyConflictError, 409),
    (IdempotencyKeyError, 400),
    (NotHeldError, 409),
    (CatalogError, 400),
    (SerializationError, 400),
    (JobSpecError, 400),
    (RerunError, 400),
    (RerunRefusedError, 409),
]


def _detail(exc: Exception) -> JSONResponse:
    for kind, status in _STATUS:
        if isinstance(exc, kind):
            return JSONResponse({"detail": str(exc)}, status_code=status)
    raise exc


async def _flux_error(request: Request, exc: Exception) -> JSONResponse:
    return _detail(exc)


async def _auth_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AuthError)
    if exc.forbidden:
        return JSONResponse({"detail": str(exc)}, status_code=403)
    return JSONResponse(
        {"detail": str(exc)}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
    )


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    logger.warning("database unavailable during %s %s: %s", request.method, request.url.path, exc)
    return JSONResponse(
        {"detail": f"the database is unavailable ({type(exc).__name__}); retry shortly"},
        status_code=503,
        headers={"Retry-After": "1"},
    )


def install(app: FastAPI, unavailable: tuple[type[Exception], ...]) -> None:
    for kind, _ in _STATUS:
        app.add_exception_handler(kind, _flux_error)
    app.add_exception_handler(AuthError, _auth_error)
    for kind in unavailable:
        app.add_exception_handler(kind, _unavailable)


def documented(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for error answers with a `detail`."""
    return {code: {"model": ErrorResponse} for code in codes}
