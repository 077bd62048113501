"""`RemoteStore` under the unchanged engine: subworkflows, fencing, secrets and the cache,
all through the worker protocol."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from flux.api.worker_protocol import Claim
from flux.domain.events import ExecutionState
from flux.domain.execution_context import ExecutionContext
from flux.engine.runtime import ActiveRun, current_run
from flux.engine.store import EventRow
from flux.worker.remote_store import LeaseLostError, RemoteStore

from .conftest import connect, wait_for
from .fake_server import FakeServer, Run

SOURCE = """
from flux import ExecutionContext, call, task, workflow

@task
async def inc(x):
    return x + 1

@workflow
async def child(ctx: ExecutionContext[int]):
    return await inc(ctx.input)

@workflow
async def parent(ctx: ExecutionContext[int]):
    first = await call(child, ctx.input)
    second = await call("child", first)
    return [first, second]

@task.with_options(secret_requests=["API_KEY"])
async def use_secret(secrets):
    return len(secrets["API_KEY"])

@workflow
async def secretive(ctx: ExecutionContext):
    return await use_secret()

calls = []

@task.with_options(cache=True)
async def expensive(x):
    calls.append(x)
    return x * 100

@workflow
async def cached(ctx: ExecutionContext[int]):
    return [await expensive(ctx.input), len(calls)]
"""

_S = ExecutionState


def _done(server: FakeServer, execution_id: str) -> Any:
    return lambda: server.runs[execution_id].state.is_terminal


async def test_subworkflows_are_created_claimed_and_numbered_as_stored(
    server: FakeServer, start_worker: Any
) -> None:
    server.upload("parent", "v1", SOURCE)
    server.upload("child", "v1", SOURCE)
    await start_worker()
    execution_id = server.submit("parent", 1)
    await server.offer(execution_id)
    await wait_for(_done(server, execution_id))
    assert server.output(execution_id) == [2, 3]
    children = [r for r in server.runs.values() if r.record.parent_execution_id == execution_id]
    assert len(children) == 2
    for run in children:
        # The fake stores children as the real server does (its own claim event first);
        # the worker renumbered the engine's events after it, with no gap (seqs checked).
        assert [e.type for e in run.record.events][:2] == ["WORKFLOW_CLAIMED", "WORKFLOW_STARTED"]
        assert run.state is _S.COMPLETED


async def test_a_finished_child_is_read_back_when_its_parent_replays(
    server: FakeServer,
) -> None:
    store = RemoteStore(await connect(server))
    parent_id = server.submit("parent", 1)
    claim = Claim.model_validate_json(
        (await store._conn.call("POST", store._conn.path("claim", parent_id), what="t")).content
    )
    store.adopt(claim)
    child_id = f"{parent_id}-1"
    finished = Run(
        server.runs[parent_id].record.model_copy(
            update={
                "execution_id": child_id,
                "parent_execution_id": parent_id,
                "state": _S.COMPLETED,
                "events": [],
            }
        )
    )
    server.runs[child_id] = finished
    ctx: ExecutionContext[Any] = ExecutionContext("parent", 1, parent_id)
    token = current_run.set(ActiveRun(ctx, None, None, None, None))  # type: ignore[arg-type]
    try:
        row = await store.get_execution(child_id)
    finally:
        current_run.reset(token)
    assert row is not None and row.state is _S.COMPLETED
    assert await store.get_execution("unknown-id") is None


async def test_a_refused_checkpoint_stops_every_later_write(server: FakeServer) -> None:
    conn = await connect(server)
    store = RemoteStore(conn)
    execution_id = server.submit("parent", 1)
    claim = Claim.model_validate_json(
        (await conn.call("POST", conn.path("claim", execution_id), what="t")).content
    )
    store.adopt(claim)
    server.steal(execution_id)
    event = EventRow(
        execution_id, 2, "e2", "WORKFLOW_STARTED", execution_id, "parent", None, datetime.now(UTC)
    )
    with pytest.raises(LeaseLostError, match="lease lost"):
        await store.append_events(execution_id, [event])
    sent = len(server.calls)
    with pytest.raises(LeaseLostError):
        await store.append_events(execution_id, [event])
    assert len(server.calls) == sent, "a run known lost is refused without asking the server"
    assert store.held() == []


async def test_secrets_come_from_the_server_for_the_run(
    server: FakeServer, start_worker: Any
) -> None:
    server.upload("secretive", "v1", SOURCE)
    server.secrets["API_KEY"] = "s3cr3t-value"
    await start_worker()
    ok = server.submit("secretive")
    await server.offer(ok)
    await wait_for(_done(server, ok))
    assert server.output(ok) == len("s3cr3t-value")
    del server.secrets["API_KEY"]
    missing = server.submit("secretive")
    await server.offer(missing)
    await wait_for(_done(server, missing))
    assert server.runs[missing].state is _S.FAILED
    assert "API_KEY" in str(server.output(missing))


async def test_the_task_cache_lives_on_the_server(server: FakeServer, start_worker: Any) -> None:
    server.upload("cached", "v1", SOURCE)
    await start_worker()
    outputs = []
    for _ in range(2):
        execution_id = server.submit("cached", 7)
        await server.offer(execution_id)
        await wait_for(_done(server, execution_id))
        outputs.append(server.output(execution_id))
    assert outputs == [[700, 1], [700, 1]], "the second run was answered from the cache"
    assert len(server.cache) == 1
