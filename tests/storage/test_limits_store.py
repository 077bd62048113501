"""Queues and limits in every `OrchestratorStore` (in-memory, SQLite, PostgreSQL): priority
order, admission with the claim, and every way a run gives its concurrency slot back."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from typing import cast

import pytest

from flux.domain.events import ExecutionState, utcnow
from flux.domain.limits import RunLimits
from flux.engine.store import EventRow, ExecutionStore
from flux.orchestrator.store import (
    CheckpointWrite,
    NotAdmittedError,
    OrchestratorStore,
    ReleasePolicy,
    WorkerRow,
)

from .conftest import T0, execution

S = ExecutionState
LATER = utcnow() + timedelta(minutes=5)
POLICY = ReleasePolicy(max_attempts=5, fail=lambda worker, n: (f"lost {worker} x{n}", b"Jfail"))
TWO_AT_ONCE = RunLimits(concurrency_key="sync[customer=1]", concurrency=2)


@pytest.fixture
def ostore(store: ExecutionStore) -> OrchestratorStore:
    return cast(OrchestratorStore, store)


def ev(execution_id: str, seq: int, type: str = "TASK_COMPLETED") -> EventRow:
    return EventRow(execution_id, seq, f"e{seq}", type, f"{seq}", "t", b"Jv", T0)


async def submit(
    store: OrchestratorStore,
    execution_id: str,
    minutes: int = 0,
    *,
    limits: RunLimits | None = TWO_AT_ONCE,
    priority: int = 0,
) -> None:
    row = execution(execution_id, state=S.SCHEDULED, created_at=T0 + timedelta(minutes=minutes))
    row = replace(row, limits=limits, priority=priority)
    await store.create_execution(row, [ev(execution_id, 0, "WORKFLOW_SCHEDULED")])


async def holders(store: OrchestratorStore, key: str = "sync[customer=1]") -> list[str]:
    return [slot.execution_id for slot in await store.limit_slots("concurrency", key, utcnow())]


def end(execution_id: str, epoch: int, seq: int, state: ExecutionState) -> CheckpointWrite:
    kind = "WORKFLOW_PAUSED" if state is S.PAUSED else "TASK_COMPLETED"
    return CheckpointWrite(execution_id, "w1", epoch, [ev(execution_id, seq, kind)], state)


async def test_a_full_limit_refuses_the_claim_and_leaves_the_run_queued(
    ostore: OrchestratorStore,
) -> None:
    for i, name in enumerate("abc"):
        await submit(ostore, name, i)

    await ostore.claim("a", "w1", b"J", LATER)
    await ostore.claim("b", "w2", b"J", LATER)
    with pytest.raises(NotAdmittedError, match=r"'sync\[customer=1\]' is full \(2 of 2"):
        await ostore.claim("c", "w1", b"J", LATER)

    run = await ostore.get_run("c")
    assert run is not None and run.execution.state is S.SCHEDULED
    assert [e.type for e in run.execution.events] == ["WORKFLOW_SCHEDULED"]
    assert (run.execution.priority, run.execution.limits) == (0, TWO_AT_ONCE)
    assert await holders(ostore) == ["a", "b"]
    # The queue leaves out runs whose limit is full.
    assert await ostore.queued(10) == []


async def test_an_end_a_pause_and_a_release_each_free_the_slot(
    ostore: OrchestratorStore,
) -> None:
    limits = RunLimits(concurrency_key="k", concurrency=1)
    for i in range(5):
        await submit(ostore, f"r{i}", i, limits=limits)

    await ostore.claim("r0", "w1", b"J", LATER)
    done = await ostore.checkpoint(end("r0", 1, 2, S.COMPLETED), LATER)
    assert done.freed
    await ostore.claim("r1", "w1", b"J", LATER)
    running = await ostore.checkpoint(end("r1", 1, 2, S.RUNNING), LATER)
    assert not running.freed
    paused = await ostore.checkpoint(end("r1", 1, 3, S.PAUSED), LATER)
    assert paused.freed
    await ostore.claim("r2", "w1", b"J", LATER)
    released = await ostore.release("r2", "w1", 1)
    assert released.freed and released.state is S.SCHEDULED
    await ostore.claim("r3", "w1", b"J", LATER)
    with pytest.raises(NotAdmittedError):
        await ostore.claim("r2", "w1", b"J", LATER)
    failed = await ostore.checkpoint(end("r3", 1, 2, S.FAILED), LATER)
    assert failed.freed
    # A resumed run waits for a slot like any other.
    await ostore.resume("r1", None, T0)
    await ostore.claim("r1", "w1", b"J", LATER)
    assert await holders(ostore, "k") == ["r1"]


async def test_a_cancel_frees_the_slot_once_the_holder_stops(ostore: OrchestratorStore) -> None:
    limits = RunLimits(concurrency_key="k", concurrency=1)
    await submit(ostore, "held", 0, limits=limits)
    await submit(ostore, "next", 1, limits=limits)
    await ostore.claim("held", "w1", b"J", LATER)

    cancelling = await ostore.cancel("held", T0)

    assert cancelling.state is S.CANCELLING and not cancelling.freed
    assert await holders(ostore, "k") == ["held"]
    cancelled = await ostore.checkpoint(end("held", 1, 2, S.CANCELLED), LATER)
    assert cancelled.freed
    queued_cancel = await ostore.cancel("next", T0)  # never held one
    assert queued_cancel.state is S.CANCELLED
    assert await holders(ostore, "k") == []


async def test_a_lost_worker_frees_its_slots(ostore: OrchestratorStore) -> None:
    limits = RunLimits(concurrency_key="k", concurrency=3)
    for i in range(3):
        await submit(ostore, f"r{i}", i, limits=limits)
    await ostore.save_worker(
        WorkerRow("w1", "h", "{}", "[]", "3.11", "linux", 4, "connected", T0, T0, "c1")
    )
    await ostore.claim("r0", "w1", b"J", LATER)
    await ostore.claim("r1", "w1", b"J", LATER)
    await ostore.claim("r2", "w2", b"J", utcnow() - timedelta(seconds=1))

    gone = await ostore.release_worker("w1", "c1", POLICY, utcnow())
    expired = await ostore.release_expired(utcnow(), POLICY, 10)

    assert sorted((t.execution_id, t.freed) for t in gone) == [("r0", True), ("r1", True)]
    assert [(t.execution_id, t.freed) for t in expired] == [("r2", True)]
    assert await holders(ostore, "k") == []
    assert [q.execution_id for q in await ostore.queued(10)] == ["r0", "r1", "r2"]


async def test_claim_next_skips_runs_their_limits_refuse(ostore: OrchestratorStore) -> None:
    await submit(ostore, "a", 0)
    await submit(ostore, "b", 1)
    await submit(ostore, "c", 2)
    await submit(ostore, "free", 3, limits=None)
    await submit(ostore, "other", 4, limits=RunLimits(concurrency_key="k2", concurrency=1))

    claimed = await ostore.claim_next("w1", b"J", LATER, 10, lambda _: True)

    assert [run.execution.execution_id for run in claimed] == ["a", "b", "free", "other"]
    assert [q.execution_id for q in await ostore.queued(10)] == []
    again = await ostore.claim_next("w1", b"J", LATER, 10, lambda _: True)
    assert again == []


async def test_queue_order_is_priority_then_age_with_rooms(ostore: OrchestratorStore) -> None:
    await submit(ostore, "old", 0, limits=None)
    await submit(ostore, "urgent", 3, limits=None, priority=10)
    await submit(ostore, "low", 1, limits=None, priority=-5)
    await submit(ostore, "limited", 2)
    await submit(ostore, "urgent2", 4, limits=None, priority=10)

    queued = await ostore.queued(10)

    assert [q.execution_id for q in queued] == ["urgent", "urgent2", "old", "limited", "low"]
    assert [q.priority for q in queued] == [10, 10, 0, 0, -5]
    limited = queued[3]
    assert limited.limited and limited.rooms == (("concurrency:sync[customer=1]", 2),)
    assert not queued[0].limited and queued[0].rooms == ()
    assert [q.execution_id for q in await ostore.queued(2, 2)] == ["old", "limited"]
    claimed = await ostore.claim_next("w1", b"J", LATER, 2, lambda _: True)
    assert [run.execution.execution_id for run in claimed] == ["urgent", "urgent2"]
    rest = await ostore.claim_next("w1", b"J", LATER, 10, lambda _: True)
    assert [run.execution.execution_id for run in rest] == ["old", "limited", "low"]


async def test_a_rate_limit_admits_n_starts_per_period(ostore: OrchestratorStore) -> None:
    limits = RunLimits(rate_key="api", rate=2, period=0.5)
    for i in range(4):
        await submit(ostore, f"r{i}", i, limits=limits)

    first = await ostore.claim_next("w1", b"J", LATER, 10, lambda _: True)
    assert [run.execution.execution_id for run in first] == ["r0", "r1"]
    # Ending a run does not give a start back: only time does.
    await ostore.checkpoint(end("r0", 1, 2, S.COMPLETED), LATER)
    with pytest.raises(NotAdmittedError, match="rate limit 'api' is used up"):
        await ostore.claim("r2", "w1", b"J", LATER)
    assert await ostore.queued(10) == []
    frees = await ostore.next_slot_free(utcnow())
    assert frees is not None and frees <= utcnow() + timedelta(seconds=0.5)

    await asyncio.sleep(max(0.0, (frees - utcnow()).total_seconds()) + 0.05)

    assert [q.rooms for q in await ostore.queued(10)] == [(("rate:api", 2),)] * 2
    second = await ostore.claim_next("w1", b"J", LATER, 10, lambda _: True)
    assert [run.execution.execution_id for run in second] == ["r2", "r3"]


async def test_a_refused_limit_gives_back_the_slots_of_the_others(
    ostore: OrchestratorStore,
) -> None:
    both = RunLimits(concurrency_key="k", concurrency=5, rate_key="api", rate=1, period=60)
    await submit(ostore, "a", 0, limits=both)
    await submit(ostore, "b", 1, limits=both)
    await ostore.claim("a", "w1", b"J", LATER)

    with pytest.raises(NotAdmittedError, match="rate limit"):
        await ostore.claim("b", "w1", b"J", LATER)

    assert await holders(ostore, "k") == ["a"]
    rate = await ostore.limit_slots("rate", "api", utcnow())
    assert [(s.execution_id, s.slot, s.capacity) for s in rate] == [("a", 0, 1)]
    assert rate[0].free_at is not None


async def test_limit_usage_shows_holders_and_waiting_runs(ostore: OrchestratorStore) -> None:
    for i in range(4):
        await submit(ostore, f"r{i}", i)
    await submit(ostore, "r9", 9, limits=RunLimits(rate_key="api", rate=3, period=60))
    await ostore.claim("r0", "w1", b"J", LATER)
    await ostore.claim("r1", "w1", b"J", LATER)
    await ostore.claim("r9", "w1", b"J", LATER)

    usage = await ostore.limit_usage(utcnow())

    assert [(s.kind, s.key, s.slot, s.execution_id, s.state) for s in usage.slots] == [
        ("concurrency", "sync[customer=1]", 0, "r0", S.CLAIMED),
        ("concurrency", "sync[customer=1]", 1, "r1", S.CLAIMED),
        ("rate", "api", 0, "r9", S.CLAIMED),
    ]
    assert all(s.workflow_name == "greet" for s in usage.slots)
    waiting = [(w.kind, w.key, w.workflow_name, w.capacity, w.count) for w in usage.waiting]
    assert waiting == [("concurrency", "sync[customer=1]", "greet", 2, 2)]


async def test_slots_left_behind_are_released_by_the_safety_net(
    ostore: OrchestratorStore,
) -> None:
    await submit(ostore, "a", 0)
    await submit(ostore, "b", 1)
    await ostore.claim("a", "w1", b"J", LATER)
    await ostore.claim("b", "w1", b"J", LATER)
    # The engine's own write path (local mode) knows nothing of slots.
    await ostore.append_events("a", [ev("a", 2)], state=S.COMPLETED)

    assert await ostore.release_orphan_slots() == 1

    assert await holders(ostore) == ["b"]
    assert await ostore.release_orphan_slots() == 0


async def test_runs_without_limits_read_back_without_them(ostore: OrchestratorStore) -> None:
    await submit(ostore, "plain", 0, limits=None)

    run = await ostore.get_run("plain", with_events=False)
    claimed = await ostore.claim("plain", "w1", b"J", LATER)
    done = await ostore.checkpoint(end("plain", 1, 2, S.COMPLETED), LATER)

    assert run is not None and (run.execution.priority, run.execution.limits) == (0, None)
    assert claimed.execution.limits is None
    assert not done.freed
    assert (await ostore.limit_usage(utcnow())).slots == []
    assert await ostore.next_slot_free(utcnow()) is None
