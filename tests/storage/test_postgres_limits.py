"""Limits under real concurrency on PostgreSQL: several store instances (as several server
replicas and their workers) claiming at once never admit more runs than a limit has
slots, never wait on each other's slots (no deadlock), and see freed slots at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest

from flux.domain.events import ExecutionState, utcnow
from flux.domain.limits import RunLimits
from flux.orchestrator.store import CheckpointWrite, NotAdmittedError, RunRow
from flux.storage.postgres import PostgresStore

from .conftest import T0, PostgresSchemas, event, execution

pytestmark = pytest.mark.postgres
S = ExecutionState
LATER = utcnow() + timedelta(minutes=5)
STORES = 6


@pytest.fixture
async def stores(postgres_schemas: PostgresSchemas) -> AsyncIterator[list[PostgresStore]]:
    url = postgres_schemas.new()
    opened = [PostgresStore(url, max_size=4) for _ in range(STORES)]
    for store in opened:
        await store.ping()
    yield opened
    for store in opened:
        await store.close()


async def submit(store: PostgresStore, execution_id: str, minute: int, limits: RunLimits) -> None:
    row = execution(execution_id, state=S.SCHEDULED, created_at=T0 + timedelta(minutes=minute))
    await store.create_execution(replace(row, limits=limits), [event(execution_id, 0)])


async def held(store: PostgresStore, key: str) -> list[str]:
    slots = await store.limit_slots("concurrency", key, utcnow())
    return [slot.execution_id for slot in slots]


async def test_racing_claim_next_admits_exactly_the_capacity(
    stores: list[PostgresStore],
) -> None:
    limits = RunLimits(concurrency_key="k", concurrency=2)
    for i in range(30):
        await submit(stores[0], f"r{i:02}", i, limits)

    batches = await asyncio.gather(
        *(
            store.claim_next(f"w{i}", b"J", LATER, 5, lambda _: True)
            for i, store in enumerate(stores * 3)
        )
    )

    claimed = [run.execution.execution_id for batch in batches for run in batch]
    assert len(claimed) == 2
    assert sorted(await held(stores[0], "k")) == sorted(claimed)


async def test_racing_claims_of_different_runs_admit_exactly_the_capacity(
    stores: list[PostgresStore],
) -> None:
    limits = RunLimits(concurrency_key="k", concurrency=3)
    for round_ in range(5):
        key = f"k{round_}"
        for i in range(12):
            await submit(stores[0], f"{key}-{i:02}", i, replace(limits, concurrency_key=key))

        results = await asyncio.gather(
            *(stores[i % STORES].claim(f"{key}-{i:02}", f"w{i}", b"J", LATER) for i in range(12)),
            return_exceptions=True,
        )

        won = [r for r in results if isinstance(r, RunRow)]
        refused = [r for r in results if isinstance(r, NotAdmittedError)]
        assert (len(won), len(refused)) == (3, 9), results
        assert len(await held(stores[0], key)) == 3


async def test_slots_freed_while_others_claim_never_over_admit(
    stores: list[PostgresStore],
) -> None:
    limits = RunLimits(concurrency_key="k", concurrency=2)
    for i in range(40):
        await submit(stores[0], f"r{i:02}", i, limits)
    holding: dict[str, int] = {}
    for run in await stores[0].claim_next("w0", b"J", LATER, 5, lambda _: True):
        holding[run.execution.execution_id] = run.lease.epoch

    for round_ in range(12):
        # One holder ends while every store tries to claim: the freed slot goes to one.
        ending = sorted(holding)[0]
        write = CheckpointWrite(ending, "w0", holding.pop(ending), [event(ending, 9)], S.COMPLETED)
        claims = [store.claim_next("w0", b"J", LATER, 3, lambda _: True) for store in stores[1:]]
        results = await asyncio.gather(stores[0].checkpoint(write, LATER), *claims)
        for batch in results[1:]:
            for run in batch:  # type: ignore[union-attr]
                holding[run.execution.execution_id] = run.lease.epoch
        running = await stores[0].list_runs(state=S.CLAIMED, limit=100)
        assert len(running) <= 2, f"round {round_}: {[r.execution.execution_id for r in running]}"
        assert sorted(await held(stores[0], "k")) == sorted(holding)
        if len(holding) < 2:  # the freed slot was taken after this round's claims
            for run in await stores[0].claim_next("w0", b"J", LATER, 1, lambda _: True):
                holding[run.execution.execution_id] = run.lease.epoch
        assert len(holding) == 2


async def test_batches_taking_slots_of_two_limits_in_opposite_orders_do_not_deadlock(
    stores: list[PostgresStore],
) -> None:
    # Runs alternate between two limits, and claimers take them in batches: without the
    # never-wait rule, one batch holding k1's slot and waiting for k2's while another holds
    # k2's and waits for k1's would deadlock.
    for i in range(60):
        key = f"k{i % 2}"
        await submit(stores[0], f"r{i:02}", i, RunLimits(concurrency_key=key, concurrency=10))

    batches = await asyncio.wait_for(
        asyncio.gather(
            *(
                store.claim_next(f"w{i}", b"J", LATER, 4, lambda _: True)
                for i, store in enumerate(stores * 4)
            )
        ),
        timeout=30,
    )

    claimed = [run.execution.execution_id for batch in batches for run in batch]
    assert len(claimed) == len(set(claimed)) == 20
    assert len(await held(stores[0], "k0")) == len(await held(stores[0], "k1")) == 10
