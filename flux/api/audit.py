"""HTTP models of `GET /audit` (docs/audit.md): who did what, newest first, in pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class AuditEntry(BaseModel):
    id: int
    at: datetime = Field(description="when the request was answered (UTC)")
    actor: str = Field(
        description="the principal's label, e.g. 'key ab12cd34ef56 (alice)'; "
        "'unauthenticated' when no valid key was given"
    )
    role: str | None = Field(default=None, description="the principal's role, if known")
    action: str = Field(description="e.g. execution.start, secret.read, key.create")
    target: str | None = Field(
        default=None, description="what it acted on: a workflow, execution, secret, key..."
    )
    status: int | None = Field(default=None, description="the HTTP status of the answer")
    client: str | None = Field(default=None, description="the client's address")
    detail: dict[str, Any] | None = Field(
        default=None, description="a few ids, e.g. the execution a start created"
    )


class AuditPage(BaseModel):
    entries: list[AuditEntry]
    next_cursor: str | None = Field(
        default=None, description="pass as `cursor` for the next (older) page; None at the end"
    )
