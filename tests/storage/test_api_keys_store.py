"""What every `OrchestratorStore` promises for API keys, on the in-memory, SQLite and
PostgreSQL stores (see `conftest.store`): keys stored and listed without change, revocation
that keeps its first time, last use that only moves forward, and a first admin key made
once however many callers race for it."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import cast

import pytest

from flux.engine.store import ExecutionStore
from flux.orchestrator.store import ApiKeyRow, OrchestratorStore

from .conftest import T0


@pytest.fixture
def kstore(store: ExecutionStore) -> OrchestratorStore:
    return cast(OrchestratorStore, store)


def key(key_id: str, role: str = "viewer", minutes: int = 0) -> ApiKeyRow:
    return ApiKeyRow(
        id=key_id,
        name=f"name-{key_id}",
        role=role,
        secret_hash="ab" * 32,
        created_at=T0 + timedelta(minutes=minutes),
        created_by="key 000000000000 (root)",
    )


async def test_keys_are_stored_and_listed_oldest_first(kstore: OrchestratorStore) -> None:
    assert await kstore.create_api_key(key("bbbbbbbbbbbb", minutes=1))
    assert await kstore.create_api_key(key("aaaaaaaaaaaa", "admin", minutes=2))

    assert await kstore.get_api_key("bbbbbbbbbbbb") == key("bbbbbbbbbbbb", minutes=1)
    assert await kstore.get_api_key("cccccccccccc") is None
    assert [k.id for k in await kstore.list_api_keys()] == ["bbbbbbbbbbbb", "aaaaaaaaaaaa"]


async def test_revoking_keeps_the_first_time(kstore: OrchestratorStore) -> None:
    await kstore.create_api_key(key("aaaaaaaaaaaa"))

    first = await kstore.revoke_api_key("aaaaaaaaaaaa", T0 + timedelta(hours=1))
    again = await kstore.revoke_api_key("aaaaaaaaaaaa", T0 + timedelta(hours=2))

    assert first is not None and first.revoked_at == T0 + timedelta(hours=1)
    assert again is not None and again.revoked_at == T0 + timedelta(hours=1)
    assert await kstore.revoke_api_key("nothere00000", T0) is None


async def test_last_use_only_moves_forward(kstore: OrchestratorStore) -> None:
    await kstore.create_api_key(key("aaaaaaaaaaaa"))
    await kstore.create_api_key(key("bbbbbbbbbbbb"))

    await kstore.touch_api_keys([("aaaaaaaaaaaa", T0 + timedelta(minutes=5))])
    await kstore.touch_api_keys([("aaaaaaaaaaaa", T0 + timedelta(minutes=3)), ("unknown00000", T0)])

    found = {k.id: k.last_used_at for k in await kstore.list_api_keys()}
    assert found == {"aaaaaaaaaaaa": T0 + timedelta(minutes=5), "bbbbbbbbbbbb": None}


async def test_a_first_admin_key_is_made_once(kstore: OrchestratorStore) -> None:
    await kstore.create_api_key(key("vvvvvvvvvvvv", "viewer"))
    candidates = [key(f"{i:012x}", "admin") for i in range(5)]

    made = await asyncio.gather(
        *(kstore.create_api_key(c, unless_admin_exists=True) for c in candidates)
    )

    assert sum(made) == 1
    admins = [k for k in await kstore.list_api_keys() if k.role == "admin"]
    assert len(admins) == 1


async def test_a_revoked_admin_key_lets_a_new_first_key_be_made(
    kstore: OrchestratorStore,
) -> None:
    await kstore.create_api_key(key("aaaaaaaaaaaa", "admin"))
    assert not await kstore.create_api_key(key("bbbbbbbbbbbb", "admin"), unless_admin_exists=True)

    await kstore.revoke_api_key("aaaaaaaaaaaa", T0)

    assert await kstore.create_api_key(key("cccccccccccc", "admin"), unless_admin_exists=True)
