"""Worker tests: a `FakeServer` (the protocol in memory) and workers wired to it."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from flux.api.worker_protocol import WorkerRegistration, WorkerResources
from flux.config import Configuration
from flux.worker.connection import ServerConnection
from flux.worker.loader import MODULE_PREFIX
from flux.worker.process import Worker, WorkerOptions

from .fake_server import BOOTSTRAP, FakeServer


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.chdir(tmp_path)
    # Importing an uploaded file registers its workflows by name, process-wide; the names
    # used here ("parent", "child", ...) must not shadow other test modules' workflows.
    registry = sys.modules["flux.workflow"]  # `flux.workflow` the attribute is the class
    monkeypatch.setattr(registry, "_registry", dict(registry._registry))
    yield
    Configuration.get().reset()
    # Uploaded modules are named after their version; tests reuse version names.
    for name in [n for n in sys.modules if n.startswith(MODULE_PREFIX)]:
        del sys.modules[name]


@pytest.fixture
def server() -> FakeServer:
    return FakeServer()


def options(tmp_path: Path, name: str = "w1", home_suffix: str = "", **extra: Any) -> WorkerOptions:
    return WorkerOptions(
        name=name,
        server_url="http://flux.test",
        bootstrap_token=BOOTSTRAP,
        home=tmp_path / f".flux{home_suffix}",
        **extra,
    )


@pytest.fixture
async def start_worker(server: FakeServer, tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    """Start workers on the fake server; each is stopped at the end of the test."""
    running: list[tuple[Worker, asyncio.Task[int]]] = []

    async def start(name: str = "w1", **extra: Any) -> Worker:
        worker = Worker(options(tmp_path, name, **extra), transport=server.transport())
        task = asyncio.ensure_future(worker.run())
        running.append((worker, task))
        await wait_for(lambda: len(server.streams) >= len(running))
        return worker

    yield start
    for worker, task in running:
        worker.request_stop()
        worker.request_stop()
        await asyncio.wait_for(task, 10)


async def connect(server: FakeServer, name: str = "w1") -> ServerConnection:
    """A registered connection to the fake server."""
    conn = ServerConnection(
        "http://flux.test",
        BOOTSTRAP,
        lambda: WorkerRegistration(
            name=name,
            resources=WorkerResources(
                cpu_total=1, cpu_available=1, memory_total=1, memory_available=1
            ),
            python_version="3.11",
            platform="test",
        ),
        transport=server.transport(),
    )
    await conn.register()
    return conn


async def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.005)
