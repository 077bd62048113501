"""API keys on `InMemoryStore`, with the rules of the SQL adapters (`api_key_statements.py`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from flux.domain.access import Role
from flux.orchestrator.store import ApiKeyRow
from flux.storage.rows import as_utc


class MemoryApiKeys:
    _api_keys: dict[str, ApiKeyRow]

    async def create_api_key(self, key: ApiKeyRow, *, unless_admin_exists: bool = False) -> bool:
        if key.id in self._api_keys:
            raise ValueError(f"API key '{key.id}' exists")
        if unless_admin_exists and any(
            k.role == Role.ADMIN.value and k.revoked_at is None for k in self._api_keys.values()
        ):
            return False
        self._api_keys[key.id] = replace(key, created_at=as_utc(key.created_at))
        return True

    async def get_api_key(self, key_id: str) -> ApiKeyRow | None:
        found = self._api_keys.get(key_id)
        return None if found is None else replace(found)

    async def list_api_keys(self) -> list[ApiKeyRow]:
        keys = sorted(self._api_keys.values(), key=lambda k: (k.created_at, k.id))
        return [replace(k) for k in keys]

    async def revoke_api_key(self, key_id: str, at: datetime) -> ApiKeyRow | None:
        found = self._api_keys.get(key_id)
        if found is None:
            return None
        if found.revoked_at is None:
            found.revoked_at = as_utc(at)
        return replace(found)

    async def touch_api_keys(self, used: Sequence[tuple[str, datetime]]) -> None:
        for key_id, at in used:
            found = self._api_keys.get(key_id)
            if found is not None and (found.last_used_at is None or found.last_used_at < at):
                found.last_used_at = as_utc(at)
