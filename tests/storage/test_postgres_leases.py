"""Leases under concurrency on PostgreSQL: row locks and SKIP LOCKED between store instances
(as between server replicas and their workers)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from flux.domain.events import ExecutionState, utcnow
from flux.orchestrator.store import StateConflictError
from flux.storage.postgres import PostgresStore

from .conftest import PostgresSchemas, event, execution

pytestmark = pytest.mark.postgres
LATER = utcnow() + timedelta(minutes=5)


@pytest.fixture
async def two_stores(postgres_schemas: PostgresSchemas):  # type: ignore[no-untyped-def]
    url = postgres_schemas.new()
    first, second = PostgresStore(url), PostgresStore(url)
    yield first, second
    await first.close()
    await second.close()


async def test_two_claimers_racing_for_one_execution_one_wins(two_stores) -> None:  # type: ignore[no-untyped-def]
    first, second = two_stores
    for round_ in range(20):
        execution_id = f"x{round_}"
        row = execution(execution_id, state=ExecutionState.SCHEDULED)
        await first.create_execution(row, [event(execution_id, 0)])

        results = await asyncio.gather(
            first.claim(execution_id, "w1", b"J1", LATER),
            second.claim(execution_id, "w2", b"J2", LATER),
            return_exceptions=True,
        )

        assert sorted(type(r).__name__ for r in results) == ["RunRow", "StateConflictError"]
        assert any(isinstance(r, StateConflictError) for r in results)
        run = await second.get_run(execution_id)
        assert run is not None and run.lease.epoch == 1
        assert [e.type for e in run.execution.events].count("WORKFLOW_CLAIMED") == 1


async def test_concurrent_claim_next_takes_disjoint_runs(two_stores) -> None:  # type: ignore[no-untyped-def]
    first, second = two_stores
    for i in range(40):
        row = execution(f"q{i:02}", state=ExecutionState.SCHEDULED)
        await first.create_execution(row, [event(f"q{i:02}", 0)])

    batches = await asyncio.gather(
        *(
            store.claim_next(f"w{i}", b"J", LATER, 5, lambda _: True)
            for i, store in enumerate([first, second] * 4)
        )
    )

    claimed = [run.execution.execution_id for batch in batches for run in batch]
    assert len(claimed) == 40 and len(set(claimed)) == 40
