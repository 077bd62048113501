"""`ApiKeyService` on a real SQLite store: keys verify by their secret only, revocation is
immediate where it happens and reaches another replica when its cache expires, `last_used_at`
is written at most once a minute; and the role rule of `flux.domain.access`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from flux.domain.access import Principal, Role, allows
from flux.orchestrator.api_keys import ApiKeyService, InvalidApiKeyError
from flux.orchestrator.store import OrchestratorStore
from flux.storage.factory import create_orchestrator_store


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[OrchestratorStore]:
    opened = create_orchestrator_store(f"sqlite:///{tmp_path / 'flux.db'}")
    try:
        yield opened
    finally:
        await opened.close()


@pytest.mark.parametrize(
    ("held", "needed", "allowed"),
    [
        (Role.ADMIN, Role.VIEWER, True),
        (Role.OPERATOR, Role.OPERATOR, True),
        (Role.VIEWER, Role.OPERATOR, False),
        (Role.OPERATOR, Role.ADMIN, False),
        (Role.ADMIN, Role.WORKER, False),
        (Role.WORKER, Role.VIEWER, False),
        (Role.WORKER, Role.WORKER, True),
    ],
)
def test_roles_include_the_ones_below_and_worker_stands_apart(
    held: Role, needed: Role, allowed: bool
) -> None:
    assert allows(held, needed) is allowed


def test_labels_name_the_caller() -> None:
    assert Principal("key", Role.VIEWER, "alice", "ab12cd34ef56").label == (
        "key ab12cd34ef56 (alice)"
    )
    assert Principal("anonymous", Role.ADMIN, "loopback").label == "anonymous (loopback)"


async def test_a_key_verifies_by_its_secret_only(store: OrchestratorStore) -> None:
    service = ApiKeyService(store)
    issued = await service.create("ci", "operator", "key 000000000000 (root)")
    key_id, secret = issued.key.removeprefix("flux_").split("_", 1)
    tampered = f"flux_{key_id}_{secret[:-1]}{'A' if secret[-1] != 'A' else 'B'}"

    principal = await service.verify(issued.key)

    assert principal == Principal("key", Role.OPERATOR, "ci", key_id)
    assert secret not in repr(await store.get_api_key(key_id))  # only its hash is stored
    with pytest.raises(InvalidApiKeyError, match="invalid API key"):
        await service.verify(tampered)
    with pytest.raises(InvalidApiKeyError, match="malformed"):
        await service.verify("flux_nothex_xyz")


async def test_revocation_is_immediate_here_and_within_the_cache_time_elsewhere(
    store: OrchestratorStore,
) -> None:
    clock = Clock()
    here = ApiKeyService(store, cache_seconds=5.0, clock=clock)
    elsewhere = ApiKeyService(store, cache_seconds=5.0, clock=clock)  # another replica
    issued = await here.create("alice", "viewer", None)
    await here.verify(issued.key)
    await elsewhere.verify(issued.key)

    await here.revoke(issued.row.id)

    with pytest.raises(InvalidApiKeyError, match="revoked"):
        await here.verify(issued.key)
    await elsewhere.verify(issued.key)  # still in its cache
    clock.now += 5.1
    with pytest.raises(InvalidApiKeyError, match="revoked"):
        await elsewhere.verify(issued.key)


async def test_last_use_is_recorded_at_most_once_a_minute(store: OrchestratorStore) -> None:
    clock = Clock()
    service = ApiKeyService(store, clock=clock)
    issued = await service.create("alice", "viewer", None)

    await service.verify(issued.key)
    await service.close()  # lets the background write finish
    first = (await store.get_api_key(issued.row.id)).last_used_at  # type: ignore[union-attr]
    clock.now += 30
    await service.verify(issued.key)
    await service.close()
    same = (await store.get_api_key(issued.row.id)).last_used_at  # type: ignore[union-attr]
    clock.now += 31
    await service.verify(issued.key)
    await service.close()
    later = (await store.get_api_key(issued.row.id)).last_used_at  # type: ignore[union-attr]

    assert first is not None and same == first
    assert later is not None and later > first
