"""Two server replicas on one PostgreSQL database, each with its own store (pool) and
scheduler, on the same fake clock, firing at the same moments: every fire time starts
exactly one run."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from storage.conftest import PostgresSchemas, _require_postgres

from flux.orchestrator.scheduler import FireResult
from flux.storage.postgres import PostgresStore

from .scheduling import REPORT, FakeClock, Replica, replica

pytestmark = pytest.mark.postgres
T0 = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def postgres_schemas() -> Iterator[PostgresSchemas]:
    _require_postgres()
    schemas = PostgresSchemas()
    yield schemas
    schemas.drop_all()


@pytest.fixture
async def replicas(
    postgres_schemas: PostgresSchemas, tmp_path: Path
) -> AsyncIterator[tuple[Replica, Replica]]:
    url = postgres_schemas.new()
    clock = FakeClock(T0)
    async with AsyncExitStack() as stack:
        made = []
        for name in ("a", "b"):
            store = PostgresStore(url)
            stack.push_async_callback(store.close)
            made.append(
                await stack.enter_async_context(replica(store, clock, tmp_path / name, url))
            )
        await made[0].orchestrator.register("report.py", REPORT)
        yield made[0], made[1]


async def _fire_together(a: Replica, b: Replica) -> list[FireResult]:
    # Both replicas read the due schedules at once, so both hold the same revision of each
    # and race to write it.
    results = await asyncio.gather(a.scheduler.fire_due(), b.scheduler.fire_due())
    return [*results[0], *results[1]]


async def test_two_replicas_start_one_run_per_fire_time(replicas: tuple[Replica, Replica]) -> None:
    a, b = replicas
    keys = [
        await a.create(name=f"every-15-{i}", cron="*/15 * * * *", overlap="allow") for i in range(5)
    ]

    results = []
    for quarter in range(1, 9):  # 2 hours of punctual fires
        a.clock.set(T0 + timedelta(minutes=15 * quarter))
        results += await _fire_together(a, b)

    for key in keys:
        fired = [t for t, _ in await a.fire_times(key)]
        assert fired == [T0 + timedelta(minutes=15 * q) for q in range(1, 9)]
    runs = await a.store.list_runs(workflow_name="report", limit=1000)
    assert len(runs) == 5 * 8
    assert sum(len(r.started) for r in results) == 5 * 8
    assert any(r.lost for r in results)  # the race was run: a loser wrote nothing


async def test_two_replicas_catch_up_once_after_an_outage(
    replicas: tuple[Replica, Replica],
) -> None:
    a, b = replicas
    key = await b.create(cron="*/15 * * * *", overlap="allow", catchup="all")
    a.clock.set(T0 + timedelta(hours=3, minutes=5))  # both replicas were down

    await _fire_together(a, b)
    await _fire_together(a, b)

    fired = [t for t, _ in await a.fire_times(key)]
    assert fired == [T0 + timedelta(minutes=15 * q) for q in range(1, 13)]
    assert len(await a.store.list_runs(workflow_name="report", limit=1000)) == 12
