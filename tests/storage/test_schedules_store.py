"""What every `OrchestratorStore` promises for schedules, run against the in-memory, SQLite
and PostgreSQL stores (see `conftest.store`): create/get/list/delete, the revision check of
`update_schedule` (the fence between replicas), a fire's runs and fire rows written with
the schedule or not at all, and the scheduler's queue."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta
from typing import cast

import pytest

from flux.domain.events import ExecutionState
from flux.engine.store import EventRow, ExecutionRow, ExecutionStore
from flux.errors import ScheduleExistsError
from flux.orchestrator.store import OrchestratorStore, ScheduleFire, ScheduleRow

from .conftest import T0, execution

S = ExecutionState


@pytest.fixture
def sstore(store: ExecutionStore) -> OrchestratorStore:
    return cast(OrchestratorStore, store)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def schedule(
    id: str = "sch-1", name: str = "nightly", *, next_fire_at: datetime | None = None
) -> ScheduleRow:
    return ScheduleRow(
        id=id,
        name=name,
        workflow_name="report",
        input='{"day": 1}',
        spec='{"type": "cron", "expression": "*/15 * * * *", "timezone": "UTC"}',
        overlap="skip",
        catchup="latest",
        catchup_limit=100,
        state="active",
        source="api",
        created_at=T0,
        updated_at=T0,
        next_fire_at=next_fire_at if next_fire_at is not None else at(15),
    )


def run(execution_id: str) -> ExecutionRow:
    row = execution(execution_id, workflow_name="report", state=S.SCHEDULED)
    row.events = [
        EventRow(execution_id, 0, "e0", "WORKFLOW_SCHEDULED", execution_id, "report", None, T0)
    ]
    return row


def fire(minutes: float, execution_id: str | None, schedule_id: str = "sch-1") -> ScheduleFire:
    return ScheduleFire(schedule_id, at(minutes), execution_id, at(minutes))


async def test_create_get_by_id_or_name_and_list(sstore: OrchestratorStore) -> None:
    await sstore.create_schedule(schedule("sch-2", "b-second"))
    await sstore.create_schedule(schedule("sch-1", "a-first"))

    by_id = await sstore.get_schedule("sch-2")
    by_name = await sstore.get_schedule("a-first")

    assert by_id == schedule("sch-2", "b-second")
    assert by_name is not None and by_name.id == "sch-1"
    assert await sstore.get_schedule("nope") is None
    assert [s.name for s in await sstore.list_schedules()] == ["a-first", "b-second"]


async def test_a_taken_name_or_id_is_refused(sstore: OrchestratorStore) -> None:
    await sstore.create_schedule(schedule("sch-1", "nightly"))

    with pytest.raises(ScheduleExistsError):
        await sstore.create_schedule(schedule("sch-2", "nightly"))
    with pytest.raises(ScheduleExistsError):
        await sstore.create_schedule(schedule("sch-1", "other"))
    assert len(await sstore.list_schedules()) == 1


async def test_update_needs_the_revision_it_read(sstore: OrchestratorStore) -> None:
    await sstore.create_schedule(schedule())
    first = await sstore.get_schedule("sch-1")
    second = await sstore.get_schedule("sch-1")
    assert first is not None and second is not None

    first.state = "paused"
    assert await sstore.update_schedule(first)
    second.next_fire_at = at(30)
    assert not await sstore.update_schedule(second)  # read before the first write

    stored = await sstore.get_schedule("sch-1")
    assert stored is not None
    assert (stored.state, stored.next_fire_at, stored.revision) == ("paused", at(15), 1)
    assert first.revision == 1


async def test_a_fire_writes_runs_fires_and_schedule_together(sstore: OrchestratorStore) -> None:
    await sstore.create_schedule(schedule())
    row = await sstore.get_schedule("sch-1")
    assert row is not None
    row.next_fire_at, row.last_fire_at = at(30), at(15)
    row.last_execution_id, row.fired, row.skipped = "run-1", 1, 1

    fired = await sstore.update_schedule(
        row, fires=[fire(0, None), fire(15, "run-1")], runs=[run("run-1")]
    )

    assert fired
    stored = await sstore.get_run("run-1")
    assert stored is not None and stored.execution.state is S.SCHEDULED
    assert [e.type for e in stored.execution.events] == ["WORKFLOW_SCHEDULED"]
    fires = await sstore.schedule_fires("sch-1", 10)
    assert [(f.fire_time, f.execution_id, f.state) for f in fires] == [
        (at(15), "run-1", S.SCHEDULED),
        (at(0), None, None),
    ]
    assert [f.fire_time for f in await sstore.schedule_fires("sch-1", 1)] == [at(15)]
    again = await sstore.get_schedule("sch-1")
    assert again == replace(row, updated_at=again.updated_at if again else T0)


async def test_a_fire_time_stored_already_writes_nothing(sstore: OrchestratorStore) -> None:
    await sstore.create_schedule(schedule())
    row = await sstore.get_schedule("sch-1")
    assert row is not None
    assert await sstore.update_schedule(row, fires=[fire(15, "run-1")], runs=[run("run-1")])

    # Same fire time again, at the current revision: refused on the fire's key.
    row.next_fire_at = at(45)
    refused = await sstore.update_schedule(row, fires=[fire(15, "run-2")], runs=[run("run-2")])

    assert not refused
    assert await sstore.get_run("run-2") is None
    stored = await sstore.get_schedule("sch-1")
    assert stored is not None and stored.revision == 1 and stored.next_fire_at == at(15)


async def test_concurrent_fires_of_one_revision_start_one_run(sstore: OrchestratorStore) -> None:
    await sstore.create_schedule(schedule())
    copies = [await sstore.get_schedule("sch-1") for _ in range(4)]

    async def fire_as(i: int, row: ScheduleRow | None) -> bool:
        assert row is not None
        row.next_fire_at = at(30)
        return await sstore.update_schedule(
            row, fires=[fire(15, f"run-{i}")], runs=[run(f"run-{i}")]
        )

    won = await asyncio.gather(*(fire_as(i, row) for i, row in enumerate(copies)))

    assert sum(won) == 1
    assert len(await sstore.list_runs(workflow_name="report")) == 1


async def test_due_schedules_and_next_due(sstore: OrchestratorStore) -> None:
    await sstore.create_schedule(schedule("sch-1", "late", next_fire_at=at(20)))
    await sstore.create_schedule(schedule("sch-2", "early", next_fire_at=at(10)))
    await sstore.create_schedule(schedule("sch-3", "later", next_fire_at=at(40)))
    paused = replace(schedule("sch-4", "paused", next_fire_at=at(5)), state="paused")
    await sstore.create_schedule(paused)
    done = schedule("sch-5", "done")
    done.next_fire_at = None
    await sstore.create_schedule(done)

    assert [s.id for s in await sstore.due_schedules(at(30), 10)] == ["sch-2", "sch-1"]
    assert [s.id for s in await sstore.due_schedules(at(30), 1)] == ["sch-2"]
    assert await sstore.due_schedules(at(0), 10) == []
    assert await sstore.next_schedule_due() == at(10)


async def test_delete_takes_the_fires_but_not_the_runs(sstore: OrchestratorStore) -> None:
    await sstore.create_schedule(schedule())
    row = await sstore.get_schedule("sch-1")
    assert row is not None
    await sstore.update_schedule(row, fires=[fire(15, "run-1")], runs=[run("run-1")])

    assert await sstore.delete_schedule("sch-1")
    assert not await sstore.delete_schedule("sch-1")

    assert await sstore.get_schedule("sch-1") is None
    assert await sstore.schedule_fires("sch-1", 10) == []
    assert await sstore.get_run("run-1") is not None
    # The name is free again.
    await sstore.create_schedule(schedule("sch-9"))
