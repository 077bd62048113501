"""`/admin/secrets`: list names, read, set, delete (as flux-core's API)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response

from flux.api.models import SecretValue
from flux.secret_managers import validate_secret_name
from flux.server import audit
from flux.server.errors import documented
from flux.server.state import Service

router = APIRouter(prefix="/admin", tags=["admin"])
_ERRORS = documented(400, 404)


def _name(name: str) -> str:
    try:
        return validate_secret_name(name)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None


@router.get("/secrets", response_model=list[str])
async def list_secrets(service: Service) -> list[str]:
    """Names only, never values."""
    return await service.secret_names()


@router.get("/secrets/{name}", response_model=SecretValue, responses=_ERRORS)
async def get_secret(name: str, service: Service) -> SecretValue:
    return SecretValue(name=name, value=await service.secret(_name(name)))


@router.post("/secrets", status_code=204, responses=_ERRORS)
async def set_secret(secret: SecretValue, request: Request, service: Service) -> Response:
    audit.note(request, secret.name)  # the name only: the value is never recorded
    try:
        await service.set_secret(_name(secret.name), secret.value)
    except TypeError as exc:
        raise HTTPException(400, str(exc)) from None
    return Response(status_code=204)


@router.delete("/secrets/{name}", status_code=204, responses=_ERRORS)
async def delete_secret(name: str, service: Service) -> Response:
    if not await service.delete_secret(_name(name)):
        raise HTTPException(404, f"secret '{name}' not found")
    return Response(status_code=204)
