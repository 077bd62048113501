"""`/auth`: API keys (admin) and who the caller is; `POST /workers/{name}/revoke` ends a
worker's session. Which role each needs is in `access_policy`, enforced by `auth`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from flux.api.auth import ApiKeyCreate, ApiKeyCreated, ApiKeyView, WhoAmI
from flux.domain.access import Principal
from flux.orchestrator.api_keys import ApiKeyInputError, ApiKeyNotFoundError, ApiKeyService
from flux.orchestrator.store import ApiKeyRow
from flux.server import audit
from flux.server.errors import documented
from flux.server.state import Gateway, ServerState

router = APIRouter(tags=["auth"])


async def _keys(request: Request) -> ApiKeyService:
    state: ServerState = request.app.state.flux
    return state.api_keys


Keys = Annotated[ApiKeyService, Depends(_keys)]


def _view(row: ApiKeyRow) -> ApiKeyView:
    return ApiKeyView(
        id=row.id,
        name=row.name,
        role=row.role,
        created_at=row.created_at,
        created_by=row.created_by,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
    )


def principal(request: Request) -> Principal:
    """The caller, as `flux.server.auth` found it (always set on routes that need a role)."""
    found = getattr(request.state, "principal", None)
    assert isinstance(found, Principal), "route reached without authentication"
    return found


@router.get("/auth/whoami", response_model=WhoAmI)
async def whoami(request: Request) -> WhoAmI:
    """The caller: its key (or why it is served without one) and its role."""
    caller = principal(request)
    return WhoAmI(
        kind=caller.kind,
        name=caller.name,
        role=caller.role.value,
        key_id=caller.key_id,
        label=caller.label,
    )


@router.post("/auth/keys", response_model=ApiKeyCreated, status_code=201, responses=documented(400))
async def create_key(body: ApiKeyCreate, request: Request, keys: Keys) -> ApiKeyCreated:
    """A new key with a role. The answer holds the key itself, this once only."""
    try:
        issued = await keys.create(body.name, body.role, created_by=principal(request).label)
    except ApiKeyInputError as exc:
        raise HTTPException(400, str(exc)) from None
    audit.note(request, issued.row.id, name=issued.row.name, role=issued.row.role)
    return ApiKeyCreated(**_view(issued.row).model_dump(), key=issued.key)


@router.get("/auth/keys", response_model=list[ApiKeyView])
async def list_keys(keys: Keys) -> list[ApiKeyView]:
    """Every key, revoked ones too; never a secret."""
    return [_view(row) for row in await keys.list()]


@router.delete("/auth/keys/{key_id}", response_model=ApiKeyView, responses=documented(404))
async def revoke_key(key_id: str, keys: Keys) -> ApiKeyView:
    """Revoke a key: refused at once on this replica, within seconds on others."""
    try:
        return _view(await keys.revoke(key_id))
    except ApiKeyNotFoundError as exc:
        raise HTTPException(404, str(exc)) from None


@router.post("/workers/{name}/revoke", status_code=204, responses=documented(404))
async def revoke_worker(name: str, gateway: Gateway) -> Response:
    """End a worker's session: its token stops working, its stream closes (its runs go
    back to the queue) and it exits; it can only join again with the bootstrap token."""
    if not await gateway.revoke(name):
        raise HTTPException(404, f"worker '{name}' is not registered")
    return Response(status_code=204)
