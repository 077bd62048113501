"""Runs keep the code of the version they started on, on a worker: uploaded workflows carry
their catalog version, `call("name")` prefers the caller's own file, and a subworkflow
replayed after a newer upload of its file finishes on the version it started on."""

from __future__ import annotations

import uuid
from pathlib import Path

from flux.codec import Codec
from flux.domain.events import ExecutionEventType, ExecutionState, new_event_id, utcnow
from flux.engine.engine import Engine
from flux.engine.runtime import Services
from flux.engine.store import EventRow
from flux.storage.memory import InMemoryStore
from flux.worker.loader import WorkflowLoader

from .conftest import connect
from .fake_server import FakeServer

E = ExecutionEventType

MAIN = """
from flux import ExecutionContext, call, workflow

@workflow
async def main(ctx: ExecutionContext[int]):
    return await call("helper", ctx.input) + 1
"""

HELPER = """
from flux import ExecutionContext, task, workflow

@task
async def triple(x):
    return x * 3

@workflow.with_options(version="hand-written")
async def helper(ctx: ExecutionContext[int]):
    return await triple(ctx.input) * {factor}

@workflow
async def uses_helper(ctx: ExecutionContext[int]):
    from flux import call
    return await call("helper", ctx.input)
"""


def _version() -> str:
    return uuid.uuid4().hex


async def _engine(server: FakeServer, tmp_path: Path) -> tuple[Engine, WorkflowLoader]:
    loader = WorkflowLoader(await connect(server), tmp_path / "cache")
    codec = Codec("pkl", b"k" * 32)
    engine = Engine(Services(InMemoryStore(), codec, secrets=None, workflows=loader))  # type: ignore[arg-type]
    return engine, loader


async def test_an_uploaded_workflow_carries_its_catalog_version(
    server: FakeServer, tmp_path: Path
) -> None:
    version = _version()
    server.upload("helper", version, HELPER.format(factor=1), filename="helper.py")
    engine, loader = await _engine(server, tmp_path)
    helper = await loader.load("helper", version)
    assert helper.version == version, "the catalog's version, not the decorator's"
    # Its subworkflows are recorded with it.
    uses = await loader.load("uses_helper", version)
    parent = await engine.start(uses, 2)
    child = await engine.services.store.get_execution(f"{parent.execution_id}-0")
    assert child is not None and child.workflow_version == version


async def test_call_by_name_prefers_the_callers_own_upload(
    server: FakeServer, tmp_path: Path
) -> None:
    old, newest = _version(), _version()
    for name in ("uses_helper", "helper"):
        server.upload(name, old, HELPER.format(factor=1), filename="helper.py")
        server.upload(name, newest, HELPER.format(factor=10), filename="helper.py")
    engine, loader = await _engine(server, tmp_path)
    uses = await loader.load("uses_helper", old)
    ctx = await engine.start(uses, 2)
    assert ctx.output == 2 * 3 * 1, "the helper of the caller's own file, not the newest"


async def test_a_subworkflow_in_flight_finishes_on_its_version_after_an_upload(
    server: FakeServer, tmp_path: Path
) -> None:
    main_version, old = _version(), _version()
    server.upload("main", main_version, MAIN, filename="main.py")
    server.upload("helper", old, HELPER.format(factor=1), filename="helper.py")
    engine, loader = await _engine(server, tmp_path)
    store, codec = engine.services.store, engine.services.codec
    # A worker died while the child (started on the old helper) was running: the parent's
    # call step has started, the child has finished its first step.
    running = ExecutionState.RUNNING
    parent = await engine.create("main", 2, version=main_version, state=running)
    child_id = f"{parent.execution_id}-0"
    await engine.create(
        "helper",
        2,
        version=old,
        execution_id=child_id,
        parent_execution_id=parent.execution_id,
        state=running,
    )
    await store.append_events(
        parent.execution_id, [_event(parent.execution_id, 1, E.TASK_STARTED, "0", "call:helper")]
    )
    await store.append_events(
        child_id,
        [
            _event(child_id, 1, E.TASK_STARTED, "0", "triple", codec.dumps([2])),
            _event(child_id, 2, E.TASK_COMPLETED, "0", "triple", codec.dumps(6)),
        ],
    )
    # Meanwhile a new helper is uploaded; the parent is replayed by the next worker.
    newest = _version()
    server.upload("helper", newest, HELPER.format(factor=10), filename="helper.py")
    main = await loader.load("main", main_version)
    ctx = await engine.run_existing(main, parent.execution_id)
    assert ctx.state is ExecutionState.COMPLETED
    assert ctx.output == 6 * 1 + 1, "the child finished on the version it started on"
    child = await store.get_execution(child_id)
    assert child is not None and child.workflow_version == old
    # A new run of the parent calls the newest helper.
    fresh = await engine.start(main, 2)
    assert fresh.output == 2 * 3 * 10 + 1


def _event(
    execution_id: str,
    seq: int,
    kind: ExecutionEventType,
    step: str,
    name: str,
    value: bytes | None = None,
) -> EventRow:
    return EventRow(execution_id, seq, new_event_id(), kind.value, step, name, value, utcnow())
