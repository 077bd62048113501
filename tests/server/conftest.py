"""Server tests: the real app under real uvicorn on a loopback port, driven with httpx.

Each server runs in a thread with its own event loop (as in production, the test's loop is
only a client). `FakeWorker` speaks the worker protocol with httpx, so these tests do not
depend on `flux.worker`.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from storage.conftest import PostgresSchemas, _require_postgres

from flux.config import FluxSettings
from flux.server.app import create_app

from .fake_worker import FakeWorker

BOOTSTRAP = "test-bootstrap-token"
KEY = "server-tests-key-0123456789abcdef"


def make_settings(database_url: str, home: Path, **changes: Any) -> FluxSettings:
    workers = {"bootstrap_token": BOOTSTRAP, "lease_ttl": 5.0, **changes.pop("workers", {})}
    server = {"sync_timeout": 10.0, "dispatch_offer_timeout": 0.5, **changes.pop("server", {})}
    return FluxSettings(
        database_url=database_url,
        home=str(home),
        security={"encryption_key": KEY},
        workers=workers,
        server=server,
        **changes,
    )


class ServerThread:
    """uvicorn serving `create_app(settings)` on 127.0.0.1, in a thread of its own."""

    def __init__(self, settings: FluxSettings):
        self.settings = settings
        self.app = create_app(settings)
        # proto=IPPROTO_TCP: asyncio sets TCP_NODELAY on accepted sockets only when their
        # protocol is explicit, and without it every response waits on delayed ACKs (40 ms).
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        config = uvicorn.Config(self.app, log_level="warning", timeout_graceful_shutdown=1)
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.loop: asyncio.AbstractEventLoop

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self.loop = asyncio.get_running_loop()
        await self.server.serve(sockets=[self._sock])

    def start(self) -> ServerThread:
        self._thread.start()
        deadline = 30.0
        while not self.server.started and self._thread.is_alive() and deadline > 0:
            threading.Event().wait(0.01)
            deadline -= 0.01
        assert self.server.started, "the server did not start"
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            # Close workers' streams first, as `flux start server` does.
            self.loop.call_soon_threadsafe(self._close_sessions)
            self.server.should_exit = True
            self._thread.join(timeout=15)
        self._sock.close()

    def _close_sessions(self) -> None:
        state = getattr(self.app.state, "flux", None)
        if state is not None:
            state.close_sessions()


@pytest.fixture(scope="session")
def postgres_schemas() -> Iterator[PostgresSchemas]:
    _require_postgres()
    schemas = PostgresSchemas()
    yield schemas
    schemas.drop_all()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test on SQLite and on PostgreSQL (a schema of its own)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'flux.db'}"
    schemas: PostgresSchemas = request.getfixturevalue("postgres_schemas")
    return schemas.new()


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Callable[..., ServerThread]]:
    started: list[ServerThread] = []

    def start(database_url: str, **changes: Any) -> ServerThread:
        server = ServerThread(make_settings(database_url, tmp_path / ".flux", **changes))
        started.append(server.start())
        return server

    yield start
    for server in reversed(started):
        server.stop()


@pytest.fixture
def server(server_factory: Callable[..., ServerThread], database_url: str) -> ServerThread:
    return server_factory(database_url)


@pytest.fixture
async def client(server: ServerThread) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        yield http


@pytest.fixture
async def workers(server: ServerThread) -> AsyncIterator[Callable[..., Any]]:
    made: list[FakeWorker] = []

    async def make(name: str = "w1", **options: Any) -> FakeWorker:
        worker = FakeWorker(server.url, name, BOOTSTRAP, **options)
        await worker.register()
        made.append(worker)
        return worker

    yield make
    for worker in made:
        await worker.close()
