"""The worker process against a protocol double: offers, claims, runs, cancels, lost leases,
graceful stop. The real server is exercised in test_end_to_end.py."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from typing import Any

from flux.domain.events import ExecutionState
from flux.worker.loader import module_name

from .conftest import wait_for
from .fake_server import FakeServer

SOURCE = """
import asyncio
from flux import ExecutionContext, pause, task, workflow

@task
async def double(x):
    return x * 2

@workflow
async def doubler(ctx: ExecutionContext[int]):
    return await double(ctx.input)

@task
async def nap(seconds):
    await asyncio.sleep(seconds)
    return seconds

@workflow
async def sleeper(ctx: ExecutionContext[float]):
    return await nap(ctx.input)

@workflow
async def approval(ctx: ExecutionContext[str]):
    answer = await pause("approve", output=ctx.input)
    return f"{ctx.input}: {answer}"
"""

_S = ExecutionState


def _done(server: FakeServer, execution_id: str) -> Callable[[], bool]:
    return lambda: server.runs[execution_id].state.is_terminal


async def test_runs_an_offered_execution(server: FakeServer, start_worker: Any) -> None:
    server.upload("doubler", "v1", SOURCE)
    await start_worker()
    execution_id = server.submit("doubler", 21)
    await server.offer(execution_id)
    await wait_for(_done(server, execution_id))
    assert server.runs[execution_id].state is _S.COMPLETED
    assert server.output(execution_id) == 42
    assert server.types(execution_id) == [
        "WORKFLOW_SCHEDULED",
        "WORKFLOW_CLAIMED",
        "WORKFLOW_STARTED",
        "TASK_STARTED",
        "TASK_COMPLETED",
        "WORKFLOW_COMPLETED",
    ]
    # WORKFLOW_STARTED travelled with the step's checkpoint: two round trips, not three.
    assert server.checkpoint_batches == 2


async def test_pulls_queued_work_when_it_connects(server: FakeServer, start_worker: Any) -> None:
    server.upload("doubler", "v1", SOURCE)
    ids = [server.submit("doubler", i) for i in range(5)]
    await start_worker()
    for execution_id in ids:
        await wait_for(_done(server, execution_id))
    assert [server.output(i) for i in ids] == [0, 2, 4, 6, 8]


async def test_many_offers_are_claimed_and_checkpointed_in_batches(
    server: FakeServer, start_worker: Any
) -> None:
    server.upload("doubler", "v1", SOURCE)
    await start_worker()
    ids = [server.submit("doubler", i) for i in range(200)]
    for execution_id in ids:
        await server.offer(execution_id)
    for execution_id in ids:
        await wait_for(_done(server, execution_id))
    assert all(server.output(i) == 2 * n for n, i in enumerate(ids))
    claims = [c for c in server.calls if "/claim" in c]
    assert len(claims) < 50, "offers that arrive together are claimed together"
    assert server.checkpoint_batches < 200, "checkpoints of concurrent runs share requests"


async def test_capacity_bounds_concurrent_runs(server: FakeServer, start_worker: Any) -> None:
    server.upload("sleeper", "v1", SOURCE)
    worker = await start_worker(max_concurrency=2)
    ids = [server.submit("sleeper", 0.05) for _ in range(6)]
    peak = 0
    for execution_id in ids:
        await server.offer(execution_id)
    while not all(server.runs[i].state.is_terminal for i in ids):
        peak = max(peak, len(worker.running))
        await asyncio.sleep(0.005)
    assert peak <= 2
    assert all(server.runs[i].state is _S.COMPLETED for i in ids)


async def test_a_slot_freed_while_a_pull_is_on_the_wire_is_filled_at_once(
    server: FakeServer, start_worker: Any
) -> None:
    server.upload("doubler", "v1", SOURCE)
    server.upload("sleeper", "v1", SOURCE)
    first = [server.submit("doubler", i) for i in range(2)]
    slow = server.submit("sleeper", 30)
    last = server.submit("doubler", 9)

    def pulls() -> int:
        return sum(c.endswith("/claim") for c in server.calls)

    server.claim_gate = opened = asyncio.Event()
    await start_worker(max_concurrency=2)
    await wait_for(lambda: pulls() == 1)
    server.claim_gate = asyncio.Event()  # the next pull waits on the wire
    opened.set()  # the first pull takes both doublers

    # One doubler's end pulls for its slot; the other ends while that pull is held.
    await wait_for(lambda: all(_done(server, i)() for i in first) and pulls() == 2)
    server.claim_gate.set()

    # That pull brings the sleeper; the slot the second doubler freed takes the last run
    # now, not once the sleeper ends (30 s later).
    await wait_for(_done(server, last))
    assert server.output(last) == 18
    assert server.runs[slow].state is _S.CLAIMED or server.runs[slow].state is _S.RUNNING


async def test_cancel_stops_a_running_execution(server: FakeServer, start_worker: Any) -> None:
    server.upload("sleeper", "v1", SOURCE)
    await start_worker()
    execution_id = server.submit("sleeper", 30)
    await server.offer(execution_id)
    await wait_for(lambda: "WORKFLOW_STARTED" in server.types(execution_id))
    server.cancel(execution_id)
    await server.push("execution_cancelled", {"execution_id": execution_id})
    await wait_for(_done(server, execution_id))
    assert server.runs[execution_id].state is _S.CANCELLED
    assert server.types(execution_id)[-1] == "WORKFLOW_CANCELLED"


async def test_lost_lease_stops_the_run_without_writing(
    server: FakeServer, start_worker: Any
) -> None:
    server.upload("sleeper", "v1", SOURCE)
    worker = await start_worker()
    execution_id = server.submit("sleeper", 30)
    await server.offer(execution_id)
    await wait_for(lambda: "WORKFLOW_STARTED" in server.types(execution_id))
    written = len(server.types(execution_id))
    server.steal(execution_id)
    await wait_for(lambda: execution_id not in worker.running)
    assert len(server.types(execution_id)) == written


async def test_pause_then_resume_on_a_worker(server: FakeServer, start_worker: Any) -> None:
    server.upload("approval", "v1", SOURCE)
    await start_worker()
    execution_id = server.submit("approval", "deploy")
    await server.offer(execution_id)
    await wait_for(lambda: server.runs[execution_id].state is _S.PAUSED)
    run = server.runs[execution_id]
    pause_step = next(e for e in run.record.events if e.type == "WORKFLOW_PAUSED").source_id
    server._append(run, "WORKFLOW_RESUMED", "approval")
    run.record.events[-1].source_id = pause_step
    run.record.events[-1].value = server.codec.dumps("yes")
    run.record.state = _S.SCHEDULED
    await server.offer(execution_id)
    await wait_for(_done(server, execution_id))
    assert server.output(execution_id) == "deploy: yes"


async def test_a_module_that_fails_to_import_fails_only_its_execution(
    server: FakeServer, start_worker: Any
) -> None:
    server.upload("broken", "v-bad", "import flux_no_such_package\n")
    server.upload("doubler", "v1", SOURCE)
    await start_worker()
    bad = server.submit("broken", None)
    good = server.submit("doubler", 1)
    await server.offer(bad)
    await server.offer(good)
    await wait_for(_done(server, bad))
    await wait_for(_done(server, good))
    assert server.runs[bad].state is _S.FAILED
    assert "flux_no_such_package" in str(server.output(bad))
    assert server.output(good) == 2


async def test_graceful_stop_finishes_running_work(server: FakeServer, start_worker: Any) -> None:
    server.upload("sleeper", "v1", SOURCE)
    worker = await start_worker()
    execution_id = server.submit("sleeper", 0.2)
    await server.offer(execution_id)
    await wait_for(lambda: "WORKFLOW_STARTED" in server.types(execution_id))
    worker.request_stop()
    await wait_for(_done(server, execution_id))
    assert server.runs[execution_id].state is _S.COMPLETED


async def test_stop_after_grace_hands_the_run_back(server: FakeServer, start_worker: Any) -> None:
    server.upload("sleeper", "v1", SOURCE)
    worker = await start_worker(shutdown_grace=0.1)
    execution_id = server.submit("sleeper", 30)
    await server.offer(execution_id)
    await wait_for(lambda: "WORKFLOW_STARTED" in server.types(execution_id))
    written = len(server.types(execution_id))
    worker.request_stop()
    await wait_for(lambda: execution_id in server.released)
    assert server.runs[execution_id].state is _S.SCHEDULED
    assert len(server.types(execution_id)) == written, "nothing recorded when handing back"


async def test_reconnects_and_reregisters_after_a_server_restart(
    server: FakeServer, start_worker: Any
) -> None:
    server.upload("doubler", "v1", SOURCE)
    await start_worker()
    server.sessions.clear()  # the restarted server forgot every session
    await server.drop_streams()
    await wait_for(lambda: len(server.registrations) == 2 and len(server.streams) == 1)
    execution_id = server.submit("doubler", 5)
    await server.offer(execution_id)
    await wait_for(_done(server, execution_id))
    assert server.output(execution_id) == 10


async def test_heartbeats_report_held_executions(server: FakeServer, start_worker: Any) -> None:
    server.upload("sleeper", "v1", SOURCE)
    await start_worker()
    execution_id = server.submit("sleeper", 30)
    await server.offer(execution_id)
    await wait_for(
        lambda: any(
            [h.execution_id for h in beat.executions] == [execution_id]
            for beat in server.heartbeats
        )
    )
    beat = server.heartbeats[-1]
    assert beat.resources is not None and beat.resources.cpu_total >= 1


MAKER = """
from dataclasses import dataclass
from flux import ExecutionContext, workflow

@dataclass
class Point:
    x: int

@workflow
async def maker(ctx: ExecutionContext[int]):
    return Point(ctx.input)
"""

USER = """
from flux import ExecutionContext, call, pause, workflow

@workflow
async def user(ctx: ExecutionContext[int]):
    point = await call("maker", ctx.input)
    await pause("look")
    return point.x * 10
"""


async def test_replay_loads_the_file_of_a_value_from_another_upload(
    server: FakeServer, start_worker: Any
) -> None:
    server.upload("maker", "vmaker", MAKER, filename="maker.py")
    server.upload("user", "vuser", USER, filename="user.py")
    first = await start_worker("first")
    execution_id = server.submit("user", 4)
    await server.offer(execution_id)
    await wait_for(lambda: server.runs[execution_id].state is _S.PAUSED)
    first.request_stop()
    await wait_for(lambda: first.draining and not first.running)
    # A worker that never loaded maker.py: the recorded Point can only be decoded once it has.
    del sys.modules[module_name("vmaker")]
    await start_worker("second", home_suffix="second")
    run = server.runs[execution_id]
    pause_step = next(e for e in run.record.events if e.type == "WORKFLOW_PAUSED").source_id
    server._append(run, "WORKFLOW_RESUMED", "user")
    run.record.events[-1].source_id = pause_step
    run.record.state = _S.SCHEDULED
    await server.offer(execution_id)
    await wait_for(_done(server, execution_id))
    assert server.output(execution_id) == 40
