"""`GET /audit`: who did what (docs/audit.md), newest first, filtered, in pages. Admin only
(flux.server.access_policy)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from flux.api.audit import AuditPage
from flux.orchestrator.audit import decode_cursor
from flux.orchestrator.store import AuditQuery
from flux.server.errors import documented
from flux.server.state import State

router = APIRouter(tags=["audit"])
_TEXT = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL: refused here, not a 500 there


def _utc(moment: datetime | None, name: str) -> datetime | None:
    """In UTC, the zone of every recorded time; a time without a zone is read as UTC."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:00-14:00
        raise HTTPException(400, f"'{name}' is out of range in UTC") from None


@router.get("/audit", response_model=AuditPage, responses=documented(400))
async def list_audit(
    state: State,
    actor: Annotated[
        str | None,
        Query(max_length=200, pattern=_TEXT, description="contained in the actor, any case"),
    ] = None,
    action: Annotated[
        str | None,
        Query(
            max_length=100, pattern=_TEXT, description="exact, or a family: 'secret' is secret.*"
        ),
    ] = None,
    target: Annotated[str | None, Query(max_length=500, pattern=_TEXT)] = None,
    since: Annotated[datetime | None, Query(description="inclusive, ISO 8601")] = None,
    until: Annotated[datetime | None, Query(description="exclusive, ISO 8601")] = None,
    cursor: Annotated[str | None, Query(max_length=64, description="a page's next_cursor")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AuditPage:
    """Recorded actions, newest first. A record is written within about 0.2 s of its
    action; this replica's pending records are written before the list is read."""
    try:
        before = None if cursor is None else decode_cursor(cursor)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    query = AuditQuery(actor, action, target, _utc(since, "since"), _utc(until, "until"), before)
    return await state.audit.page(query, limit)
