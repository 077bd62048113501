"""Loading uploaded workflow files on a worker: real modules, clear failures, the disk cache,
and `call("name")` of a workflow uploaded in another file."""

from __future__ import annotations

import asyncio
import pickle
import sys
import uuid
from pathlib import Path

import pytest

from flux.codec import Codec
from flux.engine.engine import Engine
from flux.engine.runtime import Services
from flux.errors import WorkflowNotFoundError
from flux.storage.memory import InMemoryStore
from flux.worker.loader import WorkflowLoader, WorkflowLoadError, module_name

from .conftest import connect
from .fake_server import FakeServer

GOOD = """
from dataclasses import dataclass
from flux import ExecutionContext, task, workflow

@dataclass
class Point:
    x: int
    y: int

@task
async def make_point(x):
    return Point(x, x + 1)

@workflow
async def points(ctx: ExecutionContext[int]):
    return await make_point(ctx.input)

@workflow.with_options(name="renamed")
async def other(ctx: ExecutionContext):
    return "other"
"""

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

@workflow
async def helper(ctx: ExecutionContext[int]):
    return await triple(ctx.input) * {factor}
"""


def _version() -> str:
    return uuid.uuid4().hex


async def _loader(server: FakeServer, tmp_path: Path) -> WorkflowLoader:
    return WorkflowLoader(await connect(server), tmp_path / "cache")


async def test_loads_a_real_module_whose_values_pickle(server: FakeServer, tmp_path: Path) -> None:
    version = _version()
    server.upload("points", version, GOOD)
    loader = await _loader(server, tmp_path)
    wf = await loader.load("points", version)
    assert wf.name == "points"
    module = sys.modules[module_name(version)]
    point = module.Point(1, 2)
    assert pickle.loads(pickle.dumps(point)) == point
    renamed = await loader.load("renamed", version)
    assert renamed.name == "renamed"
    assert server.calls.count(f"GET /workers/w1/workflows/points/{version}") == 1


async def test_a_file_is_fetched_once_for_concurrent_loads(
    server: FakeServer, tmp_path: Path
) -> None:
    version = _version()
    server.upload("points", version, GOOD)
    loader = await _loader(server, tmp_path)
    found = await asyncio.gather(*(loader.load("points", version) for _ in range(20)))
    assert len({id(wf) for wf in found}) == 1
    assert sum("/workflows/" in call for call in server.calls) == 1


async def test_the_disk_cache_survives_a_restart(server: FakeServer, tmp_path: Path) -> None:
    version = _version()
    server.upload("points", version, GOOD, filename="../../etc/points.py")
    await (await _loader(server, tmp_path)).load("points", version)
    del sys.modules[module_name(version)]
    server.sources.clear()
    wf = await (await _loader(server, tmp_path)).load("points", version)
    assert wf.name == "points"
    cached = list((tmp_path / "cache").rglob("*.py"))
    assert [p.name for p in cached] == ["points.py"], "the upload's name cannot escape the cache"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("def broken(:\n    pass\n", "syntax error in wf.py, line 1"),
        ("import flux_missing_package_xyz\n", "ModuleNotFoundError"),
        ("x = 1\nraise RuntimeError('boom at import')\n", "(line 2): RuntimeError: boom at import"),
        ("import sys\nsys.exit(3)\n", "SystemExit: 3"),
    ],
)
async def test_a_module_that_cannot_import_raises_a_load_error(
    server: FakeServer, tmp_path: Path, source: str, expected: str
) -> None:
    version = _version()
    server.upload("bad", version, source)
    loader = await _loader(server, tmp_path)
    with pytest.raises(WorkflowLoadError) as info:
        await loader.load("bad", version)
    assert expected in str(info.value)
    assert module_name(version) not in sys.modules


async def test_a_workflow_missing_from_its_file(server: FakeServer, tmp_path: Path) -> None:
    version = _version()
    server.upload("ghost", version, GOOD)
    loader = await _loader(server, tmp_path)
    with pytest.raises(WorkflowLoadError, match=r"'ghost' is not defined .* points, renamed"):
        await loader.load("ghost", version)


async def test_an_unknown_version_is_a_load_error(server: FakeServer, tmp_path: Path) -> None:
    loader = await _loader(server, tmp_path)
    with pytest.raises(WorkflowLoadError, match="404"):
        await loader.load("nothing", "v0")


async def test_call_by_name_runs_the_latest_upload_of_another_file(
    server: FakeServer, tmp_path: Path
) -> None:
    main_version = _version()
    server.upload("main", main_version, MAIN, filename="main.py")
    server.upload("helper", _version(), HELPER.format(factor=1), filename="helper.py")
    server.upload("helper", _version(), HELPER.format(factor=10), filename="helper.py")
    loader = await _loader(server, tmp_path)
    store = InMemoryStore()
    codec = Codec("pkl", b"k" * 32)
    engine = Engine(Services(store, codec, secrets=None, workflows=loader))  # type: ignore[arg-type]
    main = await loader.load("main", main_version)
    ctx = await engine.start(main, 2)
    assert ctx.output == 2 * 3 * 10 + 1
    assert loader.version_of("helper") == server.latest["helper"]


async def test_the_latest_version_by_name(server: FakeServer, tmp_path: Path) -> None:
    server.upload("helper", _version(), HELPER.format(factor=1))
    newest = _version()
    server.upload("helper", newest, HELPER.format(factor=2))
    loader = await _loader(server, tmp_path)
    await loader.resolve("helper")
    assert loader.version_of("helper") == newest
    with pytest.raises(WorkflowNotFoundError, match="'nowhere' not found"):
        await loader.resolve("nowhere")
