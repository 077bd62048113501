"""What every `OrchestratorStore` promises for the dashboard's reads (filtered lists, counts,
lookups by id, finished runs per minute), run against the in-memory, SQLite and PostgreSQL
stores (see `conftest.store`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import cast

import pytest

from flux.domain.events import ExecutionState
from flux.engine.store import ExecutionStore
from flux.orchestrator.store import MinuteCount, OrchestratorStore, RunQuery, WorkflowRow

from .conftest import T0, execution

S = ExecutionState
DAG_FILE = "workflow.dag.json"


@pytest.fixture
def sstore(store: ExecutionStore) -> OrchestratorStore:
    return cast(OrchestratorStore, store)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


async def add(
    store: OrchestratorStore,
    execution_id: str,
    *,
    workflow: str = "greet",
    version: str | None = "v1",
    state: ExecutionState = S.COMPLETED,
    minutes: float = 0,
    updated: float | None = None,
    parent: str | None = None,
) -> None:
    row = replace(
        execution(execution_id, workflow_name=workflow, state=state, created_at=at(minutes)),
        workflow_version=version,
        parent_execution_id=parent,
        updated_at=at(minutes if updated is None else updated),
    )
    await store.create_execution(row, [])


async def catalog(store: OrchestratorStore) -> None:
    await store.save_workflows(
        [
            WorkflowRow("greet", "v1", "greet.py", "src", "{}", T0),
            WorkflowRow("etl", "v1", DAG_FILE, "{}", "{}", T0),
        ]
    )


async def ids(
    store: OrchestratorStore, query: RunQuery, limit: int = 50, offset: int = 0
) -> list[str]:
    return [r.execution.execution_id for r in await store.search_runs(query, limit, offset)]


async def test_search_without_filters_is_newest_first_and_pages(sstore: OrchestratorStore) -> None:
    for n in range(5):
        await add(sstore, f"r{n}", minutes=n)
    await add(sstore, "r4b", minutes=4)  # same time as r4: the id breaks the tie

    first = await ids(sstore, RunQuery(), limit=3)
    rest = await ids(sstore, RunQuery(), limit=3, offset=3)

    assert first == ["r4b", "r4", "r3"]
    assert rest == ["r2", "r1", "r0"]
    assert await sstore.count_search(RunQuery()) == 6


async def test_search_by_states_workflow_and_time(sstore: OrchestratorStore) -> None:
    await add(sstore, "done", minutes=0)
    await add(sstore, "failed", state=S.FAILED, minutes=1)
    await add(sstore, "running", state=S.RUNNING, minutes=2)
    await add(sstore, "other", workflow="other", state=S.FAILED, minutes=3)

    both = RunQuery(states=(S.FAILED, S.RUNNING))
    named = RunQuery(workflow_name="greet", states=(S.FAILED,))
    window = RunQuery(created_after=at(1), created_before=at(3))

    assert await ids(sstore, both) == ["other", "running", "failed"]
    assert await ids(sstore, named) == ["failed"]
    assert await ids(sstore, window) == ["running", "failed"]
    assert await sstore.count_search(both) == 3
    assert await sstore.count_search(window) == 2


async def test_search_by_parent_and_top_level(sstore: OrchestratorStore) -> None:
    await add(sstore, "parent")
    await add(sstore, "parent-0", parent="parent", minutes=1)
    await add(sstore, "parent-1", parent="parent", minutes=2)

    assert await ids(sstore, RunQuery(parent_execution_id="parent")) == ["parent-1", "parent-0"]
    assert await ids(sstore, RunQuery(top_level=True)) == ["parent"]
    assert await sstore.count_search(RunQuery(top_level=True)) == 1


async def test_search_by_catalog_file_tells_dags_from_uploads_and_builtins(
    sstore: OrchestratorStore,
) -> None:
    await catalog(sstore)
    await add(sstore, "python-run", workflow="greet", minutes=0)
    await add(sstore, "dag-run", workflow="etl", minutes=1)
    await add(sstore, "job-run", workflow="flux.job", version="builtin", minutes=2)
    await add(sstore, "unknown-version", workflow="greet", version="v9", minutes=3)

    dags = RunQuery(catalog_file=DAG_FILE)
    others = RunQuery(catalog_file=DAG_FILE, other_file=True)
    python = RunQuery(catalog_file=DAG_FILE, other_file=True, excluded_workflow="flux.job")

    assert await ids(sstore, dags) == ["dag-run"]
    assert await ids(sstore, others) == ["unknown-version", "job-run", "python-run"]
    assert await ids(sstore, python) == ["unknown-version", "python-run"]
    assert await sstore.count_search(python) == 2


async def test_get_runs_returns_those_that_exist(sstore: OrchestratorStore) -> None:
    await add(sstore, "a", state=S.RUNNING)
    await add(sstore, "b")

    found = await sstore.get_runs(["a", "missing", "b", "a"])

    assert sorted((r.execution.execution_id, r.execution.state) for r in found) == [
        ("a", S.RUNNING),
        ("b", S.COMPLETED),
    ]
    assert all(r.execution.events == [] for r in found)
    assert await sstore.get_runs([]) == []


async def test_finished_by_minute_counts_ended_runs_per_minute_and_state(
    sstore: OrchestratorStore,
) -> None:
    minute = T0.replace(second=0, microsecond=0)
    await add(sstore, "old", updated=-10)  # before `since`
    await add(sstore, "a", updated=0.1)
    await add(sstore, "b", updated=0.5)
    await add(sstore, "c", state=S.FAILED, updated=0.7)
    await add(sstore, "d", updated=1.2)
    await add(sstore, "e", state=S.CANCELLED, updated=2)
    await add(sstore, "running", state=S.RUNNING, updated=1)

    found = await sstore.finished_by_minute(at(-1))

    assert sorted(found, key=lambda m: (m.minute, m.state)) == [
        MinuteCount(minute, S.COMPLETED, 2),
        MinuteCount(minute, S.FAILED, 1),
        MinuteCount(minute + timedelta(minutes=1), S.COMPLETED, 1),
        MinuteCount(minute + timedelta(minutes=2), S.CANCELLED, 1),
    ]
    assert all(m.minute.utcoffset() == timedelta(0) for m in found)


async def test_keyset_pages_follow_each_other_without_gaps(sstore: OrchestratorStore) -> None:
    for n in range(4):
        await add(sstore, f"r{n}", minutes=n)
    await add(sstore, "r2b", minutes=2)  # ties with r2 on created_at
    await add(sstore, "x", state=S.FAILED, minutes=5)

    pages, query = [], RunQuery(states=(S.COMPLETED,))
    while page := await sstore.search_runs(query, 2, 0):
        pages.append([r.execution.execution_id for r in page])
        last = page[-1].execution
        query = replace(query, after_run=(last.created_at, last.execution_id))

    assert pages == [["r3", "r2b"], ["r2", "r1"], ["r0"]]
    assert await sstore.count_search(replace(query, after_run=(at(2), "r2b"))) == 3
