"""What every `OrchestratorStore` promises (leases, fencing, queue, catalog, workers), run
against the in-memory, SQLite and PostgreSQL stores (see `conftest.store`)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import cast

import pytest

from flux.domain.events import ExecutionState, utcnow
from flux.engine.store import EventConflictError, EventRow, ExecutionStore
from flux.orchestrator.store import (
    CheckpointWrite,
    LeaseLostError,
    OrchestratorStore,
    ReleasePolicy,
    StateConflictError,
    WorkerRow,
    WorkflowRow,
)

from .conftest import T0, execution

S = ExecutionState
LATER = utcnow() + timedelta(hours=6)  # far enough for a slow, loaded run
POLICY = ReleasePolicy(max_attempts=2, fail=lambda worker, n: (f"lost {worker} x{n}", b"Jfail"))


@pytest.fixture
def ostore(store: ExecutionStore) -> OrchestratorStore:
    return cast(OrchestratorStore, store)


def ev(execution_id: str, seq: int, type: str = "TASK_COMPLETED") -> EventRow:
    return EventRow(execution_id, seq, f"e{seq}", type, f"{seq}", "t", b"Jv", T0)


async def submit(
    store: OrchestratorStore, execution_id: str, minutes: int = 0, **changes: object
) -> None:
    row = replace(
        execution(execution_id, state=S.SCHEDULED, created_at=T0 + timedelta(minutes=minutes)),
        **changes,  # type: ignore[arg-type]
    )
    await store.create_execution(row, [ev(execution_id, 0, "WORKFLOW_SCHEDULED")])


def write(execution_id: str, epoch: int, *events: EventRow, **kw: object) -> CheckpointWrite:
    return CheckpointWrite(execution_id, "w1", epoch, list(events), **kw)  # type: ignore[arg-type]


async def test_claim_leases_and_records_the_claim(ostore: OrchestratorStore) -> None:
    await submit(ostore, "x")

    run = await ostore.claim("x", "w1", b"Jw1", LATER)

    assert run.execution.state is S.CLAIMED
    assert (run.lease.worker_name, run.lease.epoch, run.lease.attempts) == ("w1", 1, 1)
    assert run.lease.expires_at is not None
    assert [(e.seq, e.type, e.value) for e in run.execution.events] == [
        (0, "WORKFLOW_SCHEDULED", b"Jv"),
        (1, "WORKFLOW_CLAIMED", b"Jw1"),
    ]
    with pytest.raises(StateConflictError):
        await ostore.claim("x", "w2", b"Jw2", LATER)
    with pytest.raises(KeyError):
        await ostore.claim("nope", "w1", b"J", LATER)


async def test_checkpoint_is_fenced_by_worker_and_epoch(ostore: OrchestratorStore) -> None:
    await submit(ostore, "x")
    await ostore.claim("x", "w1", b"J", LATER)

    moved = await ostore.checkpoint(write("x", 1, ev("x", 2), state=S.RUNNING), LATER)

    assert (moved.state, moved.workflow_name) == (S.RUNNING, "greet")
    with pytest.raises(LeaseLostError, match="stale"):
        await ostore.checkpoint(write("x", 0, ev("x", 3)), LATER)
    with pytest.raises(LeaseLostError, match="held by worker 'w1'"):
        await ostore.checkpoint(replace(write("x", 1, ev("x", 3)), worker_name="w2"), LATER)
    with pytest.raises(EventConflictError):
        await ostore.checkpoint(write("x", 1, ev("x", 2)), LATER)
    with pytest.raises(KeyError):
        await ostore.checkpoint(write("nope", 1, ev("nope", 0)), LATER)
    got = await ostore.get_run("x")
    assert got is not None and [e.seq for e in got.execution.events] == [0, 1, 2]


async def test_checkpoint_many_stores_each_write_or_refuses_it_alone(
    ostore: OrchestratorStore,
) -> None:
    for name in ("a", "b"):
        await submit(ostore, name)
        await ostore.claim(name, "w1", b"J", LATER)
    await ostore.checkpoint(write("a", 1, ev("a", 2)), LATER)

    results = await ostore.checkpoint_many(
        [
            write("a", 1, ev("a", 2), state=S.COMPLETED),  # seq 2 is taken: the end is not kept
            write("b", 0, ev("b", 2)),  # a stale epoch
            write("nope", 1, ev("nope", 0)),
            write("b", 1, ev("b", 2), state=S.RUNNING),
            write("a", 1, ev("a", 3), state=S.RUNNING),
        ],
        LATER,
    )

    kinds = [type(r).__name__ for r in results]
    assert kinds == ["EventConflictError", "LeaseLostError", "KeyError", "Transition", "Transition"]
    a, b = await ostore.get_run("a"), await ostore.get_run("b")
    assert a is not None and b is not None
    assert a.execution.state is S.RUNNING and a.lease.expires_at is not None
    assert [e.seq for e in a.execution.events] == [0, 1, 2, 3]
    assert b.execution.state is S.RUNNING and [e.seq for e in b.execution.events] == [0, 1, 2]


async def test_an_end_releases_the_lease_and_fences_later_writes(
    ostore: OrchestratorStore,
) -> None:
    await submit(ostore, "x")
    await ostore.claim("x", "w1", b"J", LATER)

    done = await ostore.checkpoint(
        write("x", 1, ev("x", 2, "WORKFLOW_COMPLETED"), state=S.COMPLETED, output=b"Jout"),
        LATER,
    )

    assert done.state is S.COMPLETED
    run = await ostore.get_run("x", with_events=False)
    assert run is not None
    assert (run.execution.output, run.lease.expires_at, run.lease.worker_name) == (
        b"Jout",
        None,
        "w1",
    )
    with pytest.raises(LeaseLostError, match="COMPLETED"):
        await ostore.checkpoint(write("x", 1, ev("x", 3)), LATER)


async def test_cancel_of_queued_and_held_runs(ostore: OrchestratorStore) -> None:
    await submit(ostore, "queued")
    await submit(ostore, "held")
    await ostore.claim("held", "w1", b"J", LATER)

    assert (await ostore.cancel("queued", T0)).state is S.CANCELLED
    assert (await ostore.cancel("held", T0)).state is S.CANCELLING
    # Progress reported while cancelling does not undo the cancel request.
    kept = await ostore.checkpoint(write("held", 1, ev("held", 2), state=S.RUNNING), LATER)
    assert kept.state is S.CANCELLING
    end = write("held", 1, ev("held", 3, "WORKFLOW_CANCELLED"), state=S.CANCELLED)
    assert (await ostore.checkpoint(end, LATER)).state is S.CANCELLED

    with pytest.raises(StateConflictError, match="CANCELLED"):
        await ostore.cancel("queued", T0)
    with pytest.raises(KeyError):
        await ostore.cancel("nope", T0)
    queued = await ostore.get_run("queued")
    assert queued is not None and queued.execution.events[-1].type == "WORKFLOW_CANCELLED"


async def test_graceful_release_requeues_without_counting(ostore: OrchestratorStore) -> None:
    await submit(ostore, "x")
    await ostore.claim("x", "w1", b"J", LATER)

    released = await ostore.release("x", "w1", 1)

    assert released.state is S.SCHEDULED
    run = await ostore.get_run("x", with_events=False)
    assert run is not None and run.lease.attempts == 0
    with pytest.raises(LeaseLostError):
        await ostore.release("x", "w1", 1)
    again = await ostore.claim("x", "w2", b"J", LATER)
    assert again.lease.epoch == 2


async def test_release_worker_requeues_then_fails_a_crash_loop(ostore: OrchestratorStore) -> None:
    await submit(ostore, "x")
    await ostore.claim("x", "w1", b"J", LATER)

    first = await ostore.release_worker("w1", None, POLICY, utcnow())
    await ostore.claim("x", "w1", b"J", LATER)
    second = await ostore.release_worker("w1", None, POLICY, utcnow())

    assert [t.state for t in first] == [S.SCHEDULED]
    assert [t.state for t in second] == [S.FAILED]
    run = await ostore.get_run("x")
    assert run is not None
    assert run.lease.error == "lost w1 x2"
    assert (run.execution.events[-1].type, run.execution.events[-1].value) == (
        "WORKFLOW_FAILED",
        b"Jfail",
    )


async def test_release_worker_skips_a_stale_connection(ostore: OrchestratorStore) -> None:
    await ostore.save_worker(worker("w1"))
    await ostore.worker_connected("w1", "conn-2", T0)
    await submit(ostore, "x")
    await ostore.claim("x", "w1", b"J", LATER)

    assert await ostore.release_worker("w1", "conn-1", POLICY, utcnow()) == []
    assert [t.execution_id for t in await ostore.release_worker("w1", "conn-2", POLICY, T0)] == [
        "x"
    ]
    got = await ostore.get_worker("w1")
    assert got is not None and (got.status, got.connection_id) == ("disconnected", None)


async def test_expired_leases_are_released_and_live_ones_renewed(
    ostore: OrchestratorStore,
) -> None:
    await ostore.save_worker(worker("w1"))
    for name in ("old", "live"):
        await submit(ostore, name)
    await ostore.claim("old", "w1", b"J", T0)
    await ostore.claim("live", "w1", b"J", T0)

    lost = await ostore.renew("w1", [("live", 1), ("old", 7), ("nope", 1)], LATER, "{}", LATER)
    released = await ostore.release_expired(utcnow(), POLICY, 100)

    assert sorted(lost) == ["nope", "old"]
    assert [(t.execution_id, t.state) for t in released] == [("old", S.SCHEDULED)]
    got = await ostore.get_worker("w1")
    assert got is not None and got.resources == "{}" and got.last_seen_at == LATER


async def test_resume_records_the_pause_step(ostore: OrchestratorStore) -> None:
    await submit(ostore, "x")
    await ostore.claim("x", "w1", b"J", LATER)
    with pytest.raises(StateConflictError, match="resume"):
        await ostore.resume("x", b"Jin", T0)
    paused = replace(ev("x", 2, "WORKFLOW_PAUSED"), source_id="3")
    await ostore.checkpoint(write("x", 1, paused, state=S.PAUSED), LATER)

    resumed = await ostore.resume("x", b"Jin", T0)

    assert resumed.state is S.SCHEDULED
    run = await ostore.get_run("x")
    assert run is not None
    last = run.execution.events[-1]
    assert (last.seq, last.type, last.source_id, last.value) == (3, "WORKFLOW_RESUMED", "3", b"Jin")
    with pytest.raises(KeyError):
        await ostore.resume("nope", None, T0)


async def test_claim_next_takes_fitting_top_level_runs_oldest_first(
    ostore: OrchestratorStore,
) -> None:
    await submit(ostore, "c", minutes=3)
    await submit(ostore, "a", minutes=1)
    await submit(ostore, "big", minutes=0, requests='{"cpu": 64}')
    await submit(ostore, "child", minutes=0, parent_execution_id="a")
    await submit(ostore, "b", minutes=2)

    queued = [q.execution_id for q in await ostore.queued(10)]
    claimed = await ostore.claim_next("w1", b"J", LATER, 2, lambda req: req is None)

    assert queued == ["big", "a", "b", "c"]
    assert [run.execution.execution_id for run in claimed] == ["a", "b"]
    assert all(run.execution.state is S.CLAIMED for run in claimed)
    assert [q.execution_id for q in await ostore.queued(10)] == ["big", "c"]


async def test_claim_child_creates_then_takes_over(ostore: OrchestratorStore) -> None:
    await submit(ostore, "p")
    await ostore.claim("p", "w1", b"J", LATER)
    parent = write("p", 1)
    child = replace(execution("p-1"), parent_execution_id="p")

    created = await ostore.claim_child(parent, child, b"Jw1", LATER)
    retaken = await ostore.claim_child(parent, child, b"Jw1", LATER)

    assert (created.execution.state, created.lease.epoch) == (S.CLAIMED, 1)
    assert retaken.lease.epoch == 2
    assert created.execution.parent_execution_id == "p"
    with pytest.raises(LeaseLostError):
        await ostore.claim_child(write("p", 9), child, b"J", LATER)
    assert await ostore.queued(10) == []


async def test_listing_counting_and_reading_runs(ostore: OrchestratorStore) -> None:
    await submit(ostore, "a", minutes=1)
    await submit(ostore, "b", minutes=2, workflow_name="other")
    await ostore.claim("a", "w1", b"J", LATER)

    runs = await ostore.list_runs(limit=10)
    only = await ostore.list_runs(workflow_name="greet", state=S.CLAIMED)

    assert [r.execution.execution_id for r in runs] == ["b", "a"]
    assert [(r.execution.execution_id, r.lease.worker_name) for r in only] == [("a", "w1")]
    assert await ostore.count_runs() == 2
    assert await ostore.count_runs(workflow_name="other", state=S.SCHEDULED) == 1
    assert await ostore.count_by_state() == {S.CLAIMED: 1, S.SCHEDULED: 1}
    assert await ostore.get_run("nope") is None
    await ostore.ping()


def workflow_row(name: str, version: str, minutes: int) -> WorkflowRow:
    meta = json.dumps({"secret_requests": []})
    return WorkflowRow(name, version, "f.py", "src", meta, T0 + timedelta(minutes=minutes))


async def test_catalog_keeps_versions_and_the_latest_upload(ostore: OrchestratorStore) -> None:
    await ostore.save_workflows([workflow_row("hello", "v1", 0), workflow_row("bye", "v1", 0)])
    await ostore.save_workflows([workflow_row("hello", "v2", 1)])

    latest = await ostore.get_workflow("hello")
    assert latest is not None and latest.version == "v2"
    assert await ostore.workflow_versions("hello") == ["v2", "v1"]
    assert [(w.name, w.version) for w in await ostore.list_workflows()] == [
        ("bye", "v1"),
        ("hello", "v2"),
    ]
    # Uploading v1 again makes it the latest.
    await ostore.save_workflows([workflow_row("hello", "v1", 2)])
    again = await ostore.get_workflow("hello")
    assert again is not None and again.version == "v1"
    exact = await ostore.get_workflow("hello", "v2")
    assert (
        exact is not None
        and exact.source == "src"
        and exact.created_at == T0 + timedelta(minutes=1)
    )
    assert await ostore.get_workflow("nope") is None
    assert await ostore.get_workflow("hello", "v9") is None


def worker(name: str) -> WorkerRow:
    return WorkerRow(
        name, "hash", '{"cpu_total": 2}', "[]", "3.11", "linux", 10, "registered", T0, T0
    )


async def test_worker_registry(ostore: OrchestratorStore) -> None:
    await ostore.save_worker(worker("w2"))
    await ostore.save_worker(worker("w1"))
    await ostore.save_worker(replace(worker("w1"), session_token_hash="new"))
    await ostore.worker_connected("w1", "c1", LATER)

    got = await ostore.get_worker("w1")

    assert got is not None
    assert (got.session_token_hash, got.status, got.connection_id) == ("new", "connected", "c1")
    assert got.last_seen_at == LATER
    assert [w.name for w in await ostore.list_workers()] == ["w1", "w2"]
    assert await ostore.get_worker("nope") is None
