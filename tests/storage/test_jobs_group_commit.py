"""Job submissions stored together: `create_jobs` (one transaction for several jobs) on the
in-memory, SQLite and PostgreSQL stores, and `GroupCommit`, which gathers concurrent
submissions into such batches, over a real store."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from typing import cast

import pytest

from flux.engine.store import ExecutionExistsError, ExecutionStore
from flux.orchestrator.group_commit import GroupCommit
from flux.orchestrator.store import JobRow, NewJob, OrchestratorStore

from .conftest import execution
from .test_jobs_store import JOB_WORKFLOW, S, at, scheduled_event

SQL_STORES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture
def jstore(store: ExecutionStore) -> OrchestratorStore:
    return cast(OrchestratorStore, store)


def new_job(execution_id: str, name: str = "report", *, bad_events: bool = False) -> NewJob:
    row = replace(
        execution(execution_id, workflow_name=JOB_WORKFLOW, state=S.SCHEDULED, created_at=at(0)),
        requests='{"runtime": "bash"}',
    )
    events = [scheduled_event(execution_id)]
    if bad_events:
        events.append(events[0])  # the same seq twice: the events' primary key refuses it
    return row, events, JobRow(execution_id, name, "shell", "bash", at(0))


async def names(store: OrchestratorStore) -> dict[str, str]:
    return {j.job.execution_id: j.job.name for j in await store.list_jobs(limit=100)}


async def test_create_jobs_stores_each_and_refuses_taken_ids_alone(
    jstore: OrchestratorStore,
) -> None:
    await jstore.create_job(*new_job("old", "first"))

    results = await jstore.create_jobs(
        [new_job("a"), new_job("old", "again"), new_job("b"), new_job("a", "twice")]
    )

    assert [type(r) if r else None for r in results] == [
        None,
        ExecutionExistsError,
        None,
        ExecutionExistsError,
    ]
    assert await names(jstore) == {"old": "first", "a": "report", "b": "report"}
    got = await jstore.get_job("b")
    assert got is not None and [e.type for e in got.run.execution.events] == ["WORKFLOW_SCHEDULED"]
    assert got.run.execution.state is S.SCHEDULED


@pytest.mark.parametrize("store", SQL_STORES, indirect=True)
async def test_a_failing_batch_stores_nothing_of_any_job(jstore: OrchestratorStore) -> None:
    with pytest.raises(Exception) as failed:
        await jstore.create_jobs([new_job("a"), new_job("b", bad_events=True), new_job("c")])

    assert not isinstance(failed.value, ExecutionExistsError)
    assert await names(jstore) == {}
    assert await jstore.get_execution("a") is None


async def test_concurrent_writes_share_one_transaction(jstore: OrchestratorStore) -> None:
    batches: list[int] = []
    announced: list[str] = []

    async def write_many(jobs: Sequence[NewJob]) -> list[Exception | None]:
        batches.append(len(jobs))
        return await jstore.create_jobs(jobs)

    commits = GroupCommit(write_many, lambda job: announced.append(job[0].execution_id))
    ids = [f"j{i}" for i in range(40)]

    await asyncio.gather(*(commits.write(new_job(i)) for i in ids))

    assert batches == [40]
    assert announced == ids
    assert len(await names(jstore)) == 40
    # A writer alone is a batch of one.
    await commits.write(new_job("alone"))
    assert batches == [40, 1]


async def test_each_writer_gets_its_own_outcome(jstore: OrchestratorStore) -> None:
    await jstore.create_job(*new_job("taken", "first"))
    announced: list[str] = []
    commits = GroupCommit(jstore.create_jobs, lambda job: announced.append(job[0].execution_id))

    results = await asyncio.gather(
        commits.write(new_job("a")),
        commits.write(new_job("taken", "again")),
        commits.write(new_job("b")),
        return_exceptions=True,
    )

    assert results[0] is None and results[2] is None
    assert isinstance(results[1], ExecutionExistsError)
    assert announced == ["a", "b"]
    assert await names(jstore) == {"taken": "first", "a": "report", "b": "report"}


@pytest.mark.parametrize("store", SQL_STORES, indirect=True)
async def test_one_bad_job_fails_alone_when_the_batch_fails(jstore: OrchestratorStore) -> None:
    announced: list[str] = []
    commits = GroupCommit(jstore.create_jobs, lambda job: announced.append(job[0].execution_id))

    results = await asyncio.gather(
        commits.write(new_job("a")),
        commits.write(new_job("bad", bad_events=True)),
        commits.write(new_job("c")),
        return_exceptions=True,
    )

    assert results[0] is None and results[2] is None
    assert isinstance(results[1], Exception)
    assert announced == ["a", "c"]
    assert await names(jstore) == {"a": "report", "c": "report"}
    assert await jstore.get_execution("bad") is None


async def test_a_writer_that_stops_waiting_still_has_its_job_stored_and_announced(
    jstore: OrchestratorStore,
) -> None:
    announced: list[str] = []
    commits = GroupCommit(jstore.create_jobs, lambda job: announced.append(job[0].execution_id))
    waiting = asyncio.ensure_future(commits.write(new_job("gone")))
    await asyncio.sleep(0)  # handed over; the drain runs on the next turn
    waiting.cancel()

    await commits.write(new_job("next"))

    assert announced == ["gone", "next"]
    assert set(await names(jstore)) == {"gone", "next"}
