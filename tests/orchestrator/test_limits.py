"""Queues and limits in the orchestrator: the options and the keys a run gets, the
dispatcher's use of a limit's room, and the view of `GET /limits`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from flux import workflow
from flux.domain.events import ExecutionState, utcnow
from flux.domain.limits import LimitError, Limits, RateLimit, RunLimits, run_limits
from flux.engine.store import ExecutionRow
from flux.orchestrator.dispatch import Dispatcher, WorkerSession
from flux.orchestrator.fit import Capacity
from flux.orchestrator.limits import LimitService, queue_options, split_key, waiting_reason
from flux.orchestrator.store import CheckpointWrite, QueuedRun, WorkflowRow
from flux.storage.memory import InMemoryStore

T0 = datetime(2025, 1, 1, tzinfo=UTC)
LATER = utcnow() + timedelta(minutes=5)
S = ExecutionState


# Options and keys


@pytest.mark.parametrize(
    ("text", "count", "period"),
    [("10/m", 10, 60), ("5/s", 5, 1), ("100/h", 100, 3600), ("2/30s", 2, 30), ("1/day", 1, 86400)],
)
def test_rate_limits_parse(text: str, count: int, period: float) -> None:
    assert RateLimit.parse(text) == RateLimit(count, period)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"concurrency": 0}, "between 1 and"),
        ({"concurrency": True}, "whole number"),
        ({"concurrency_key": "customer"}, "needs concurrency="),
        ({"concurrency": 2, "concurrency_key": "a b"}, "top-level field"),
        ({"rate_limit": "10/ms"}, "invalid rate_limit"),
        ({"rate_limit": "0/m"}, "between 1 and"),
        ({"rate_limit_key": "x"}, "needs rate_limit="),
    ],
)
def test_invalid_limits_are_refused_with_the_reason(
    options: dict[str, object], message: str
) -> None:
    with pytest.raises(LimitError, match=message):
        Limits(**options)  # type: ignore[arg-type]


def test_the_decorator_checks_its_queue_options() -> None:
    @workflow.with_options(concurrency=2, concurrency_key="customer", priority=7)
    async def sync(ctx: object) -> None:
        pass

    assert sync.limits == Limits(2, "customer") and sync.priority == 7
    with pytest.raises(LimitError, match="priority"):
        workflow.with_options(priority=10_000)


def test_a_run_gets_the_keys_of_its_input() -> None:
    limits = Limits(2, "customer", "10/m", None)

    keyed = run_limits("sync", limits, {"customer": "acme", "other": 1})
    missing = run_limits("sync", limits, {"other": 1})
    not_a_dict = run_limits("sync", limits, ["acme"])
    numeric = run_limits("sync", limits, {"customer": 42})
    huge = run_limits("sync", limits, {"customer": "x" * 500})

    assert keyed == RunLimits('sync[customer="acme"]', 2, "sync", 10, 60.0)
    # Runs without a key value share one key: limited together, never unlimited.
    assert missing is not None and not_a_dict is not None
    assert missing.concurrency_key == not_a_dict.concurrency_key == "sync[customer=null]"
    assert numeric is not None and numeric.concurrency_key == "sync[customer=42]"
    assert huge is not None and huge.concurrency_key is not None
    assert huge.concurrency_key.startswith("sync[customer=sha256:")
    assert run_limits("sync", None, {}) is None
    assert split_key('sync[customer="a[1]"]') == ("sync", "customer")
    assert split_key("sync") == ("sync", None)


def test_queue_options_take_the_workflows_priority_unless_given() -> None:
    meta = {"limits": {"concurrency": 1}, "priority": 4}

    assert queue_options("w", meta, None, None) == (4, RunLimits("w", 1))
    assert queue_options("w", meta, None, -2)[0] == -2
    assert queue_options("w", {}, None, None) == (0, None)


# The dispatcher


@pytest.fixture
async def setup() -> AsyncIterator[tuple[InMemoryStore, Dispatcher]]:
    store = InMemoryStore()
    dispatcher = Dispatcher(store, offer_timeout=5)
    dispatcher.start()
    yield store, dispatcher
    await dispatcher.stop()


async def queue(
    store: InMemoryStore,
    execution_id: str,
    minute: int,
    limits: RunLimits | None = None,
    priority: int = 0,
    name: str = "wf",
) -> QueuedRun:
    at = T0 + timedelta(minutes=minute)
    row = ExecutionRow(execution_id, name, S.SCHEDULED, None, at, at)
    await store.create_execution(replace(row, limits=limits, priority=priority), [])
    return QueuedRun(execution_id, name, None, None, at, priority, limits is not None)


async def offers(worker: WorkerSession, count: int) -> list[str]:
    got = []
    for _ in range(count):
        message = await asyncio.wait_for(worker.queue.get(), 2)
        assert message is not None
        got.append(json.loads(message[1])["execution_id"])
    return got


async def nothing_more(worker: WorkerSession) -> None:
    await asyncio.sleep(0.1)
    assert worker.queue.empty()


async def test_no_more_runs_of_a_limit_are_offered_than_it_has_room_for(
    setup: tuple[InMemoryStore, Dispatcher],
) -> None:
    store, dispatcher = setup
    two = RunLimits("k", 2)
    worker = WorkerSession("w", "c", Capacity(cpu=2), 10)
    dispatcher.connect(worker)
    for i in range(5):
        dispatcher.queued(await queue(store, f"r{i}", i, two))

    assert await offers(worker, 2) == ["r0", "r1"]
    await nothing_more(worker)
    # One is claimed and ends: its slot frees, the next one is offered.
    await store.claim("r0", "w", b"J", LATER)
    dispatcher.claimed("w", "r0")
    await store.checkpoint(CheckpointWrite("r0", "w", 1, [], S.COMPLETED), LATER)
    dispatcher.let_go("w", "r0")
    dispatcher.rescan()
    assert await offers(worker, 1) == ["r2"]
    await nothing_more(worker)


async def test_runs_waiting_for_a_limit_do_not_hold_back_the_ones_behind(
    setup: tuple[InMemoryStore, Dispatcher],
) -> None:
    store, dispatcher = setup
    one = RunLimits("k", 1)
    for i in range(12):
        await queue(store, f"limited{i:02}", i, one)
    await queue(store, "free", 20)
    await queue(store, "urgent", 30, priority=5)
    worker = WorkerSession("w", "c", Capacity(cpu=2), 3)

    dispatcher.connect(worker)

    assert sorted(await offers(worker, 3)) == ["free", "limited00", "urgent"]
    await nothing_more(worker)


async def test_a_refused_claim_is_not_offered_again_while_the_limit_is_full(
    setup: tuple[InMemoryStore, Dispatcher],
) -> None:
    store, dispatcher = setup
    one = RunLimits("k", 1)
    await queue(store, "a", 0, one)
    await queue(store, "b", 1, one)
    worker = WorkerSession("w", "c", Capacity(cpu=2), 10)
    dispatcher.connect(worker)
    assert await offers(worker, 1) == ["a"]
    # Another replica's worker took the slot with "b" meanwhile.
    await store.claim("b", "elsewhere", b"J", LATER)

    dispatcher.not_admitted("w", "a")

    await nothing_more(worker)
    await asyncio.sleep(0.1)
    assert worker.queue.empty()


# Reading


async def test_the_view_of_limits_shows_holders_waiting_and_declarations() -> None:
    store = InMemoryStore()
    meta = {
        "secret_requests": [],
        "limits": {"concurrency": 2, "concurrency_key": "c", "rate_limit": "5/m"},
        "priority": 1,
    }
    await store.save_workflows([WorkflowRow("sync", "v1", "s.py", "", json.dumps(meta), T0)])
    keyed = RunLimits('sync[c="x"]', 2, "sync", 5, 60.0)
    for i in range(3):
        await queue(store, f"r{i}", i, keyed, name="sync")
    await store.claim("r0", "w", b"J", LATER)
    await store.claim("r1", "w", b"J", LATER)

    found = await LimitService(store).list()
    reason = await waiting_reason(store, keyed)

    by_key = {(v.kind, v.key): v for v in found.limits}
    assert set(by_key) == {("concurrency", 'sync[c="x"]'), ("rate", "sync")}
    concurrency = by_key[("concurrency", 'sync[c="x"]')]
    assert (concurrency.capacity, concurrency.in_use, concurrency.available) == (2, 2, 0)
    assert [h.execution_id for h in concurrency.holders] == ["r0", "r1"]
    assert concurrency.waiting == 1 and concurrency.workflow_name == "sync"
    rate = by_key[("rate", "sync")]
    assert (rate.capacity, rate.rate, rate.in_use, rate.waiting) == (5, "5/m", 2, 1)
    assert [w.workflow_name for w in found.workflows] == ["sync"]
    assert found.workflows[0].priority == 1
    assert reason == (
        "waiting for a slot of concurrency limit 'sync[c=\"x\"]' (2 of 2 running: r0, r1)"
    )
    assert (await LimitService(store).list("other")).limits == []
