"""What only the PostgreSQL store has to show: concurrent writers, migration locking, URLs."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from flux.domain.events import ExecutionState
from flux.engine.store import EventConflictError
from flux.storage import migrate
from flux.storage.postgres import PostgresStore

from .conftest import PostgresSchemas, event, execution, with_options

pytestmark = pytest.mark.postgres


@pytest.fixture
def fresh_url(postgres_schemas: PostgresSchemas) -> str:
    return postgres_schemas.new()


async def test_two_stores_racing_for_one_seq_exactly_one_wins(fresh_url: str) -> None:
    first, second = PostgresStore(fresh_url), PostgresStore(fresh_url)
    try:
        for round_ in range(20):
            execution_id = f"exec-{round_}"
            await first.create_execution(execution(execution_id), [event(execution_id, 0)])

            results = await asyncio.gather(
                *(
                    store.append_events(
                        execution_id,
                        [event(execution_id, 1, value=name), event(execution_id, 2)],
                        state=ExecutionState.RUNNING,
                    )
                    for store, name in ((first, b"first"), (second, b"second"))
                ),
                return_exceptions=True,
            )

            assert sorted(type(result).__name__ for result in results) == [
                "EventConflictError",
                "NoneType",
            ]
            winner = b"first" if results[0] is None else b"second"
            events = await second.get_events(execution_id)
            assert [(e.seq, e.value) for e in events] == [(0, b"v"), (1, winner), (2, b"v")]
    finally:
        await first.close()
        await second.close()


async def test_concurrent_first_opens_migrate_once(
    fresh_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real_upgrade = migrate.upgrade

    def counting_upgrade(url: str, **options: Any) -> None:
        calls.append(url)
        real_upgrade(url, **options)

    monkeypatch.setattr(migrate, "upgrade", counting_upgrade)
    stores = [PostgresStore(fresh_url) for _ in range(3)]
    try:
        assert await asyncio.gather(*(s.secret_names() for s in stores)) == [[], [], []]
    finally:
        for store in stores:
            await store.close()

    assert len(calls) == 1


async def test_second_open_does_not_run_alembic(
    fresh_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = PostgresStore(fresh_url)
    await first.secret_set("token", b"enc")
    await first.close()

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("already migrated: Alembic must not run")

    monkeypatch.setattr(migrate, "upgrade", refuse)
    second = PostgresStore(fresh_url)
    try:
        assert await second.secret_get(["token"]) == {"token": b"enc"}
    finally:
        await second.close()


async def test_times_come_back_in_utc_whatever_the_session_zone(fresh_url: str) -> None:
    store = PostgresStore(with_options(fresh_url, "-cTimeZone=Asia/Tokyo"))
    try:
        await store.create_execution(execution(), [event("exec-1", 0)])
        got = await store.get_execution("exec-1")
    finally:
        await store.close()

    assert got is not None
    assert {got.created_at.utcoffset(), got.events[0].time.utcoffset()} == {
        execution().created_at.utcoffset()
    }


async def test_sqlalchemy_style_url_is_accepted(fresh_url: str) -> None:
    store = PostgresStore(fresh_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        await store.create_execution(execution(), [])
        with pytest.raises(EventConflictError):
            await store.append_events("exec-1", [event("exec-1", 0), event("exec-1", 0)])
    finally:
        await store.close()
