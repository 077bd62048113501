"""Offering queued runs to connected workers: fit, capacity, backlog, offer expiry."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from flux.domain.events import ExecutionState
from flux.engine.store import ExecutionRow
from flux.orchestrator.dispatch import Dispatcher, WorkerSession
from flux.orchestrator.fit import Capacity
from flux.orchestrator.store import QueuedRun
from flux.storage.memory import InMemoryStore

T0 = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture
async def setup() -> AsyncIterator[tuple[InMemoryStore, Dispatcher]]:
    store = InMemoryStore()
    dispatcher = Dispatcher(store, offer_timeout=0.2)
    dispatcher.start()
    yield store, dispatcher
    await dispatcher.stop()


async def queue(
    store: InMemoryStore, execution_id: str, minute: int, requests: str | None = None
) -> QueuedRun:
    at = T0 + timedelta(minutes=minute)
    row = ExecutionRow(
        execution_id, "wf", ExecutionState.SCHEDULED, None, at, at, requests=requests
    )
    await store.create_execution(row, [])
    return QueuedRun(execution_id, "wf", None, requests, at)


def session(name: str, cpu: int = 2, slots: int = 10) -> WorkerSession:
    return WorkerSession(name, f"c-{name}", Capacity(cpu=cpu), slots)


async def offers(worker: WorkerSession, count: int) -> list[str]:
    got = []
    for _ in range(count):
        message = await asyncio.wait_for(worker.queue.get(), 2)
        assert message is not None and message[0] == "execution_scheduled"
        got.append(json.loads(message[1])["execution_id"])
    return got


async def test_backlog_is_offered_oldest_first_up_to_capacity(
    setup: tuple[InMemoryStore, Dispatcher],
) -> None:
    store, dispatcher = setup
    for i, minute in enumerate([3, 1, 2]):
        await queue(store, f"x{i}", minute)
    worker = session("w", slots=2)

    dispatcher.connect(worker)

    assert await offers(worker, 2) == ["x1", "x2"]
    await asyncio.sleep(0.05)
    assert worker.queue.empty()
    await store.claim("x1", "w", b"J", datetime.now(UTC) + timedelta(minutes=1))
    dispatcher.claimed("w", "x1")
    dispatcher.let_go("w", "x1")  # finished: a slot frees and the backlog is read again
    assert await offers(worker, 1) == ["x0"]


async def test_runs_go_to_a_worker_that_fits(setup: tuple[InMemoryStore, Dispatcher]) -> None:
    store, dispatcher = setup
    small, big = session("small", cpu=2), session("big", cpu=16)
    dispatcher.connect(small)
    dispatcher.connect(big)

    dispatcher.queued(await queue(store, "heavy", 0, json.dumps({"cpu": 8})))

    assert await offers(big, 1) == ["heavy"]
    await asyncio.sleep(0.05)
    assert small.queue.empty()


async def test_an_unclaimed_offer_is_made_again(setup: tuple[InMemoryStore, Dispatcher]) -> None:
    store, dispatcher = setup
    worker = session("w")
    dispatcher.connect(worker)

    dispatcher.queued(await queue(store, "x", 0))

    assert await offers(worker, 1) == ["x"]
    assert await offers(worker, 1) == ["x"]  # after offer_timeout, still queued


async def test_a_replaced_session_is_not_disconnected_twice(
    setup: tuple[InMemoryStore, Dispatcher],
) -> None:
    _, dispatcher = setup
    old, new = session("w"), session("w")
    dispatcher.connect(old)

    assert dispatcher.connect(new) is old
    assert dispatcher.disconnect(old) is False
    assert dispatcher.disconnect(new) is True
