"""The live feed and the throughput counter behind the dashboard, on the in-memory store with
one replica's `Core`: what subscribers receive for announced changes, and how a burst is
read once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from flux.codec import Codec
from flux.config import FluxSettings
from flux.domain.events import ExecutionState, utcnow
from flux.engine.store import ExecutionRow
from flux.keyring import signing_key
from flux.orchestrator.core import Core
from flux.orchestrator.live import LiveFeed, Subscription
from flux.orchestrator.notify import LocalNotifier
from flux.orchestrator.stats import Throughput
from flux.orchestrator.store import QueuedRun, RunRow, Transition
from flux.orchestrator.values import DisplayDecoder
from flux.storage.memory import InMemoryStore

S = ExecutionState


class CountingStore(InMemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.lookups: list[list[str]] = []

    async def get_runs(self, execution_ids: Sequence[str]) -> list[RunRow]:
        self.lookups.append(list(execution_ids))
        return await super().get_runs(execution_ids)


@pytest.fixture
async def core(tmp_path: Path) -> AsyncIterator[Core]:
    settings = FluxSettings(
        database_url="memory://", home=str(tmp_path), security={"encryption_key": "k" * 32}
    )
    key = signing_key(settings)
    core = Core(
        store=CountingStore(),
        notifier=LocalNotifier(),
        settings=settings,
        codec=Codec(settings.serializer, key),
        decoder=DisplayDecoder(key),
    )
    await core.start()
    try:
        yield core
    finally:
        await core.stop()


async def add(core: Core, execution_id: str, workflow: str, state: ExecutionState) -> None:
    now = utcnow()
    row = ExecutionRow(execution_id, workflow, state, None, now, now, workflow_version="v1")
    await core.store.create_execution(row, [])


async def drain(subscription: Subscription, wait: float = 0.5) -> list[tuple[str, dict[str, Any]]]:
    await asyncio.sleep(wait)
    found = []
    while not subscription.queue.empty():
        found.append(subscription.queue.get_nowait())
    return found


async def test_a_burst_is_read_once_and_sent_as_it_is_now(core: Core) -> None:
    feed = LiveFeed(core)
    everyone = feed.subscribe()
    reports = feed.subscribe(workflow="report")
    for n in range(200):
        await add(core, f"r{n}", "report" if n % 2 else "ingest", S.SCHEDULED)
        core.announce_queued(QueuedRun(f"r{n}", "report", "v1", None, utcnow()))
    await core.store.append_events("r1", [], state=S.COMPLETED)
    core.announce([Transition("r1", "report", S.COMPLETED)])

    sent = await drain(everyone)
    only_reports = await drain(reports, 0)

    store = core.store
    assert isinstance(store, CountingStore)
    assert len(store.lookups) == 1 and len(store.lookups[0]) == 200
    assert sorted(d["execution_id"] for _, d in sent) == sorted(f"r{n}" for n in range(200))
    assert next(d for _, d in sent if d["execution_id"] == "r1")["state"] == "COMPLETED"
    assert len(only_reports) == 100
    assert {d["workflow"] for _, d in only_reports} == {"report"}


async def test_output_goes_to_the_watchers_of_that_run_only(core: Core) -> None:
    feed = LiveFeed(core)
    watcher = feed.subscribe(execution_id="job-1")
    everyone = feed.subscribe()
    await add(core, "job-1", "flux.job", S.RUNNING)
    core.announce_output("job-1")

    assert await drain(watcher) == [("output", {"execution_id": "job-1"})]
    assert await drain(everyone, 0) == []


async def test_nothing_is_read_while_nobody_watches(core: Core) -> None:
    feed = LiveFeed(core)
    subscription = feed.subscribe()
    feed.unsubscribe(subscription)
    await add(core, "x", "report", S.SCHEDULED)
    core.announce([Transition("x", "report", S.COMPLETED)])
    await asyncio.sleep(0.3)

    store = core.store
    assert isinstance(store, CountingStore)
    assert store.lookups == [] and len(feed) == 0


async def test_a_client_far_behind_is_told_to_read_again() -> None:
    subscription = Subscription(None, None)
    for n in range(Subscription.MAX_BACKLOG + 5):
        subscription.put("execution", {"n": n})

    first = subscription.queue.get_nowait()
    assert first[0] == "resync"
    assert subscription.queue.qsize() == 5


async def test_throughput_reads_the_window_then_counts_announcements(core: Core) -> None:
    now = utcnow()
    earlier = now - timedelta(minutes=3)
    for n, state in enumerate([S.COMPLETED, S.COMPLETED, S.FAILED]):
        row = ExecutionRow(f"old{n}", "report", state, None, earlier, earlier)
        await core.store.create_execution(row, [])
    throughput = Throughput(core)

    first = await throughput.buckets(10)
    core.announce([Transition("new", "report", S.FAILED), Transition("run", "report", S.RUNNING)])
    await asyncio.sleep(0.05)
    second = await throughput.buckets(10)

    assert len(first) == 10 and first[-1].minute.second == 0
    assert sum(b.completed for b in first) == 2 and sum(b.failed for b in first) == 1
    assert sum(b.failed for b in second) == 2  # the new failure, counted without a read
    assert second[-1].failed >= 1
