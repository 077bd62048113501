"""What every `OrchestratorStore` promises for retention, run against the in-memory, SQLite
and PostgreSQL stores: only finished executions of the given workflow created and updated
before the cutoff are deleted, oldest first, at most `limit` per call, with their events,
logs and job rows; nothing else is touched."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import cast

import pytest

from flux.domain.events import ExecutionState
from flux.engine.store import ExecutionStore
from flux.orchestrator.store import JobRow, LogChunk, OrchestratorStore

from .conftest import T0, event, execution

S = ExecutionState


@pytest.fixture
def rstore(store: ExecutionStore) -> OrchestratorStore:
    return cast(OrchestratorStore, store)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


async def add(
    store: OrchestratorStore,
    execution_id: str,
    state: ExecutionState,
    created: float,
    updated: float | None = None,
    workflow: str = "etl",
) -> None:
    row = replace(
        execution(execution_id, workflow_name=workflow, state=state, created_at=day(created)),
        updated_at=day(created if updated is None else updated),
    )
    await store.create_execution(row, [event(execution_id, 0, at=day(created))])


async def ids(store: OrchestratorStore) -> set[str]:
    return {run.execution_id for run in await store.list_executions(limit=1000)}


async def test_only_old_finished_runs_of_the_workflow_go(rstore: OrchestratorStore) -> None:
    await add(rstore, "done-old", S.COMPLETED, 0)
    await add(rstore, "failed-old", S.FAILED, 1)
    await add(rstore, "cancelled-old", S.CANCELLED, 2)
    await add(rstore, "done-new", S.COMPLETED, 20)
    await add(rstore, "finished-late", S.COMPLETED, 0, updated=15)  # updated after cutoff
    await add(rstore, "paused-old", S.PAUSED, 0)
    await add(rstore, "running-old", S.RUNNING, 0)
    await add(rstore, "queued-old", S.SCHEDULED, 0)
    await add(rstore, "other-old", S.COMPLETED, 0, workflow="report")

    assert await rstore.execution_workflow_names() == ["etl", "report"]
    assert await rstore.count_prunable("etl", day(10)) == 3
    assert await rstore.prune_executions("etl", day(10), 1000) == 3

    assert await ids(rstore) == {
        "done-new",
        "finished-late",
        "paused-old",
        "running-old",
        "queued-old",
        "other-old",
    }
    assert await rstore.get_events("done-old") == []
    assert len(await rstore.get_events("done-new")) == 1
    assert await rstore.count_prunable("etl", day(10)) == 0


async def test_a_limit_takes_the_oldest_first(rstore: OrchestratorStore) -> None:
    for n in range(5):
        await add(rstore, f"run-{n}", S.COMPLETED, n)
    assert await rstore.prune_executions("etl", day(10), 2) == 2
    assert await ids(rstore) == {"run-2", "run-3", "run-4"}
    assert await rstore.prune_executions("etl", day(10), 2) == 2
    assert await rstore.prune_executions("etl", day(10), 2) == 1
    assert await rstore.prune_executions("etl", day(10), 2) == 0


async def test_a_jobs_row_and_its_logs_go_with_it(rstore: OrchestratorStore) -> None:
    row = replace(
        execution("job-1", workflow_name="flux.job", state=S.SCHEDULED, created_at=day(0)),
        updated_at=day(0),
    )
    await rstore.create_job(
        row, [event("job-1", 0, at=day(0))], JobRow("job-1", "n", "T", "bash", day(0))
    )
    await rstore.append_logs([LogChunk("job-1", "0.1", 0, "hello\n", day(0))])
    await rstore.append_events("job-1", [], state=S.COMPLETED)  # now
    # Finished just now: kept until its updated_at passes the cutoff too.
    assert await rstore.prune_executions("flux.job", day(10), 10) == 0
    assert (
        await rstore.prune_executions("flux.job", datetime.now(T0.tzinfo) + timedelta(days=1), 10)
        == 1
    )
    assert await rstore.get_job("job-1") is None
    assert await rstore.read_logs("job-1", "0.1") == []
    assert await rstore.count_jobs() == 0
