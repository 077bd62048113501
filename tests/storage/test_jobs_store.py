"""What every `OrchestratorStore` promises for script jobs, run-at timers and live step output,
run against the in-memory, SQLite and PostgreSQL stores (see `conftest.store`); then what only
the SQL stores show: replicas releasing at once, and the cascade of a deleted execution."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import cast

import psycopg
import pytest

from flux.domain.events import ExecutionState
from flux.engine.store import EventRow, ExecutionExistsError, ExecutionStore
from flux.orchestrator.store import JobRow, LogChunk, OrchestratorStore, StateConflictError
from flux.storage.postgres import PostgresStore
from flux.storage.sqlite import SqliteStore

from .conftest import T0, PostgresSchemas, execution

S = ExecutionState
JOB_WORKFLOW = "flux_job"


@pytest.fixture
def jstore(store: ExecutionStore) -> OrchestratorStore:
    return cast(OrchestratorStore, store)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def scheduled_event(execution_id: str) -> EventRow:
    return EventRow(
        execution_id, 0, "e0", "WORKFLOW_SCHEDULED", execution_id, JOB_WORKFLOW, None, T0
    )


async def add_job(
    store: OrchestratorStore,
    execution_id: str,
    *,
    name: str = "report",
    type: str = "shell",
    minutes: float = 0,
    run_at: datetime | None = None,
) -> JobRow:
    """A job submitted at T0 + `minutes`, waiting CREATED until `run_at` when given."""
    created = at(minutes)
    state = S.SCHEDULED if run_at is None else S.CREATED
    row = replace(
        execution(execution_id, workflow_name=JOB_WORKFLOW, state=state, created_at=created),
        requests='{"runtime": "node"}',
    )
    job = JobRow(execution_id, name, type, "node:18", created, run_at)
    await store.create_job(row, [scheduled_event(execution_id)], job)
    return job


def chunk(execution_id: str, step_id: str, offset: int, text: str) -> LogChunk:
    return LogChunk(execution_id, step_id, offset, text, at(offset / 1000))


# Jobs


async def test_create_then_get_job_round_trips(jstore: OrchestratorStore) -> None:
    now_job = await add_job(jstore, "now", minutes=1)
    later_job = await add_job(jstore, "later", minutes=2, run_at=at(30))

    now = await jstore.get_job("now")
    later = await jstore.get_job("later")

    assert now is not None and later is not None
    assert (now.job, later.job) == (now_job, later_job)
    assert now.job.run_at is None and later.job.run_at == at(30)
    assert (now.run.execution.state, later.run.execution.state) == (S.SCHEDULED, S.CREATED)
    assert later.run.execution.workflow_name == JOB_WORKFLOW
    assert later.run.execution.requests == '{"runtime": "node"}'
    assert [e.type for e in later.run.execution.events] == ["WORKFLOW_SCHEDULED"]
    assert (later.run.lease.epoch, later.run.lease.worker_name) == (0, None)
    # The job's execution is an ordinary run for everything else.
    run = await jstore.get_run("later")
    assert run is not None and run.execution.state is S.CREATED
    assert {r.execution.execution_id for r in await jstore.list_runs()} == {"now", "later"}


async def test_get_job_of_an_unknown_or_plain_execution(jstore: OrchestratorStore) -> None:
    await jstore.create_execution(execution("plain", state=S.SCHEDULED), [])

    assert await jstore.get_job("plain") is None
    assert await jstore.get_job("nope") is None
    assert await jstore.list_jobs() == []
    assert await jstore.count_jobs() == 0


async def test_duplicate_job_is_refused_and_changes_nothing(jstore: OrchestratorStore) -> None:
    await add_job(jstore, "j", name="first")

    with pytest.raises(ExecutionExistsError):
        await add_job(jstore, "j", name="second", run_at=at(5))

    got = await jstore.get_job("j")
    assert got is not None and (got.job.name, got.job.run_at) == ("first", None)
    assert await jstore.count_jobs() == 1


async def test_list_and_count_jobs_filter_newest_first_and_page(
    jstore: OrchestratorStore,
) -> None:
    await add_job(jstore, "a", name="report", type="shell", minutes=1)
    await add_job(jstore, "b", name="report", type="node", minutes=2)
    await add_job(jstore, "c", name="etl", type="shell", minutes=3, run_at=at(60))
    # Same submission time as "c": execution_id breaks the tie, descending.
    await add_job(jstore, "d", name="etl", type="shell", minutes=3)
    await jstore.claim("a", "w1", b"J", at(10))

    async def ids(**filters: object) -> list[str]:
        found = await jstore.list_jobs(**filters)  # type: ignore[arg-type]
        return [job.job.execution_id for job in found]

    assert await ids() == ["d", "c", "b", "a"]
    assert await ids(limit=2) == ["d", "c"]
    assert await ids(limit=2, offset=2) == ["b", "a"]
    assert await ids(offset=4) == []
    assert await ids(name="report") == ["b", "a"]
    assert await ids(type="shell") == ["d", "c", "a"]
    assert await ids(name="etl", type="node") == []
    assert await ids(states=[S.SCHEDULED]) == ["d", "b"]
    assert await ids(states=[S.CREATED, S.CLAIMED]) == ["c", "a"]
    assert await ids(states=[S.SCHEDULED, S.SCHEDULED], type="shell") == ["d"]
    assert await ids(states=[]) == []
    assert await jstore.count_jobs() == 4
    assert await jstore.count_jobs(name="etl") == 2
    assert await jstore.count_jobs(type="shell", states=[S.CREATED, S.CLAIMED]) == 2
    assert await jstore.count_jobs(name="report", type="node", states=[S.SCHEDULED]) == 1
    listed = await jstore.list_jobs(name="etl")
    assert [job.job.run_at for job in listed] == [None, at(60)]
    assert all(job.run.execution.events == [] for job in listed)
    claimed = (await jstore.list_jobs(states=[S.CLAIMED]))[0]
    assert (claimed.run.lease.worker_name, claimed.run.lease.epoch) == ("w1", 1)


# Timers


async def test_release_due_moves_due_rows_once_and_leaves_later_ones(
    jstore: OrchestratorStore,
) -> None:
    await add_job(jstore, "late", minutes=0, run_at=at(8))
    await add_job(jstore, "early", minutes=1, run_at=at(5))
    await add_job(jstore, "future", minutes=2, run_at=at(20))
    await add_job(jstore, "immediate", minutes=3)
    # CREATED without a run_at (local mode) is not the timer's.
    await jstore.create_execution(execution("local"), [])

    first = await jstore.release_due(at(10), 1)
    rest = await jstore.release_due(at(10), 10)
    again = await jstore.release_due(at(10), 10)

    assert [q.execution_id for q in first] == ["early"]
    assert [q.execution_id for q in rest] == ["late"]
    assert again == []
    released = first[0]
    assert (released.workflow_name, released.requests, released.created_at) == (
        JOB_WORKFLOW,
        '{"runtime": "node"}',
        at(1),
    )
    early = await jstore.get_job("early")
    assert early is not None
    assert (early.run.execution.state, early.run.execution.updated_at) == (S.SCHEDULED, at(10))
    # The job still says when it was due.
    assert early.job.run_at == at(5)
    future = await jstore.get_run("future")
    local = await jstore.get_run("local")
    assert future is not None and future.execution.state is S.CREATED
    assert local is not None and local.execution.state is S.CREATED
    queued = [q.execution_id for q in await jstore.queued(10)]
    assert sorted(queued) == ["early", "immediate", "late"]


async def test_release_due_includes_a_run_at_equal_to_now(jstore: OrchestratorStore) -> None:
    await add_job(jstore, "j", run_at=at(5))

    assert await jstore.release_due(at(5) - timedelta(microseconds=1), 10) == []
    assert [q.execution_id for q in await jstore.release_due(at(5), 10)] == ["j"]


async def test_next_due_is_the_earliest_waiting_run_at(jstore: OrchestratorStore) -> None:
    assert await jstore.next_due() is None
    await add_job(jstore, "b", run_at=at(20))
    await add_job(jstore, "a", run_at=at(5))
    await add_job(jstore, "now")

    assert await jstore.next_due() == at(5)
    await jstore.release_due(at(10), 10)
    assert await jstore.next_due() == at(20)
    await jstore.release_due(at(30), 10)
    assert await jstore.next_due() is None


async def test_a_cancelled_delayed_job_is_never_released(jstore: OrchestratorStore) -> None:
    await add_job(jstore, "j", run_at=at(5))

    moved = await jstore.cancel("j", at(1))

    assert (moved.state, moved.workflow_name) == (S.CANCELLED, JOB_WORKFLOW)
    got = await jstore.get_job("j")
    assert got is not None and got.run.execution.state is S.CANCELLED
    assert [e.type for e in got.run.execution.events] == [
        "WORKFLOW_SCHEDULED",
        "WORKFLOW_CANCELLED",
    ]
    assert await jstore.next_due() is None
    assert await jstore.release_due(at(10), 10) == []
    with pytest.raises(StateConflictError):
        await jstore.cancel("j", at(2))


# Live output


async def test_append_logs_is_idempotent_and_drops_unknown_executions(
    jstore: OrchestratorStore,
) -> None:
    await add_job(jstore, "j")
    shipment = [chunk("j", "1", 0, "hel"), chunk("nope", "1", 0, "lost"), chunk("j", "1", 3, "lo")]

    await jstore.append_logs(shipment)
    await jstore.append_logs(shipment)  # a retried shipment
    await jstore.append_logs([chunk("j", "1", 3, "LO"), chunk("j", "1", 5, "!")])
    await jstore.append_logs([])

    got = await jstore.read_logs("j")
    assert [(c.offset, c.text) for c in got] == [(0, "hel"), (3, "lo"), (5, "!")]
    assert got[0] == chunk("j", "1", 0, "hel")
    assert await jstore.read_logs("nope") == []


async def test_read_logs_by_step_then_offset_and_after(jstore: OrchestratorStore) -> None:
    await add_job(jstore, "j")
    await add_job(jstore, "other")
    await jstore.append_logs(
        [
            chunk("j", "2", 10, "c"),
            chunk("j", "10", 0, "x"),
            chunk("j", "2", 0, "a"),
            chunk("other", "2", 0, "o"),
            chunk("j", "2", 4, "b"),
        ]
    )

    every = await jstore.read_logs("j")
    step = await jstore.read_logs("j", "2")
    tail = await jstore.read_logs("j", "2", after=4)

    # Step ids order as text ("10" before "2"), offsets as numbers (4 before 10).
    assert [(c.step_id, c.offset) for c in every] == [("10", 0), ("2", 0), ("2", 4), ("2", 10)]
    assert [c.text for c in step] == ["a", "b", "c"]
    assert [c.text for c in tail] == ["b", "c"]
    assert await jstore.read_logs("j", "2", after=11) == []
    assert await jstore.read_logs("j", "3") == []


# Concurrency and cascades (SQL stores only)


async def _delayed_jobs(store: OrchestratorStore, count: int) -> set[str]:
    ids = {f"d{i:03}" for i in range(count)}
    for i, execution_id in enumerate(sorted(ids)):
        await add_job(store, execution_id, run_at=at(i / 100))
    return ids


@pytest.fixture
async def two_postgres_stores(
    postgres_schemas: PostgresSchemas,
) -> AsyncIterator[tuple[PostgresStore, PostgresStore]]:
    url = postgres_schemas.new()
    first, second = PostgresStore(url), PostgresStore(url)
    yield first, second
    await first.close()
    await second.close()


@pytest.mark.postgres
async def test_replicas_releasing_at_once_never_release_a_row_twice(
    two_postgres_stores: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = two_postgres_stores
    ids = await _delayed_jobs(first, 120)

    batches = await asyncio.gather(
        *(store.release_due(at(60), 10) for store in [first, second] * 8)
    )
    leftover = await first.release_due(at(60), 1000)

    released = [q.execution_id for batch in [*batches, leftover] for q in batch]
    assert len(released) == len(ids) and set(released) == ids
    assert await second.count_jobs(states=[S.SCHEDULED]) == len(ids)


@pytest.mark.postgres
async def test_two_replicas_racing_for_one_due_row_one_releases_it(
    two_postgres_stores: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = two_postgres_stores
    for round_ in range(20):
        execution_id = f"r{round_}"
        await add_job(first, execution_id, run_at=at(0))

        results = await asyncio.gather(first.release_due(at(1), 5), second.release_due(at(1), 5))

        assert sorted(len(found) for found in results) == [0, 1]


async def test_sqlite_stores_in_two_threads_never_release_a_row_twice(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'flux.db'}"
    stores = [SqliteStore(url), SqliteStore(url)]
    ids = await _delayed_jobs(stores[0], 60)
    released: list[list[str]] = [[], []]

    def drain(index: int) -> None:
        async def run() -> None:
            while found := await stores[index].release_due(at(60), 3):
                released[index].extend(q.execution_id for q in found)

        asyncio.run(run())

    threads = [threading.Thread(target=drain, args=(index,)) for index in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        everything = released[0] + released[1]
        assert len(everything) == len(ids) and set(everything) == ids
    finally:
        for store in stores:
            await store.close()


async def _job_with_logs(store: OrchestratorStore) -> None:
    await add_job(store, "j", run_at=at(5))
    await store.append_logs([chunk("j", "1", 0, "out")])


async def test_deleting_an_execution_takes_its_job_and_logs_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "flux.db"
    store = SqliteStore(f"sqlite:///{path}")
    await _job_with_logs(store)
    await store.close()

    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("DELETE FROM executions WHERE execution_id = 'j'")
        counts = [
            conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("jobs", "execution_logs", "events")
        ]
    conn.close()
    assert counts == [0, 0, 0]


@pytest.mark.postgres
async def test_deleting_an_execution_takes_its_job_and_logs_postgres(
    postgres_schemas: PostgresSchemas,
) -> None:
    url = postgres_schemas.new()
    store = PostgresStore(url)
    try:
        await _job_with_logs(store)
    finally:
        await store.close()

    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute("DELETE FROM executions WHERE execution_id = 'j'")
        counts = []
        for table in ("jobs", "execution_logs", "events"):
            found = await (await conn.execute(f"SELECT count(*) FROM {table}")).fetchone()
            counts.append(found[0] if found else None)
    assert counts == [0, 0, 0]
