"""HTTP models of API keys and of who a caller is (docs/security.md)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class ApiKeyCreate(BaseModel):
    name: str = Field(description="who or what uses the key, e.g. 'ci' or 'alice'")
    role: str = Field(description="admin, operator, viewer or worker")


class ApiKeyView(BaseModel):
    id: str = Field(description="the key's public id (12 hex), as in logs and the audit")
    name: str
    role: str
    created_at: datetime
    created_by: str | None = Field(
        default=None, description="who created it; null for the key of the first start"
    )
    revoked_at: datetime | None = None
    last_used_at: datetime | None = Field(
        default=None, description="last request with it, to the minute"
    )


class ApiKeyCreated(ApiKeyView):
    key: str = Field(description="the key itself: shown this once, never stored")


class WhoAmI(BaseModel):
    kind: str = Field(description="key, anonymous or worker")
    name: str
    role: str
    key_id: str | None = None
    label: str = Field(description="how logs and the audit name this caller")
