"""The worker's connection: registration, retries, re-registration, the reconnecting stream."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from flux.api.worker_protocol import WorkerRegistration, WorkerResources
from flux.worker.connection import (
    CONNECTED,
    Backoff,
    RegistrationRefusedError,
    ServerConnection,
    ServerError,
    ServerUnavailableError,
)

from .conftest import connect, wait_for
from .fake_server import FakeServer


def _registration() -> WorkerRegistration:
    return WorkerRegistration(
        name="w1",
        resources=WorkerResources(cpu_total=1, cpu_available=1, memory_total=1, memory_available=1),
        python_version="3.11",
        platform="test",
    )


def test_backoff_grows_is_capped_and_never_zero() -> None:
    low = Backoff(base=0.1, cap=1.0, rng=lambda: 0.0)
    high = Backoff(base=0.1, cap=1.0, rng=lambda: 1.0)
    assert [round(low.next_delay(), 3) for _ in range(6)] == [0.05, 0.1, 0.2, 0.4, 0.5, 0.5]
    assert [round(high.next_delay(), 3) for _ in range(6)] == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]
    low.reset()
    assert low.next_delay() == 0.05


async def test_a_wrong_bootstrap_token_is_refused_clearly(server: FakeServer) -> None:
    conn = ServerConnection(
        "http://flux.test", "wrong", _registration, transport=server.transport()
    )
    with pytest.raises(RegistrationRefusedError, match="refused the bootstrap token"):
        await conn.register()
    await conn.close()


async def test_registration_waits_for_a_server_that_is_not_up_yet(server: FakeServer) -> None:
    failures = 3

    async def flaky(request: httpx.Request) -> httpx.Response:
        nonlocal failures
        if failures:
            failures -= 1
            raise httpx.ConnectError("connection refused")
        return await server.handle(request)

    conn = ServerConnection(
        "http://flux.test", "boot-token", _registration, transport=httpx.MockTransport(flaky)
    )
    session = await conn.register()
    assert session.session_token and failures == 0
    await conn.close()


async def test_unavailable_server_is_retried_then_given_up(server: FakeServer) -> None:
    conn = await connect(server)
    server.fail_next = [503, 502]
    response = await conn.call("POST", conn.path("disconnect"), what="t", retry_for=5)
    assert response.status_code == 204
    server.fail_next = [503] * 1000
    with pytest.raises(ServerUnavailableError, match="503"):
        await conn.call("POST", conn.path("disconnect"), what="t", retry_for=0.2)
    server.fail_next = [404]
    with pytest.raises(ServerError) as info:
        await conn.call("POST", conn.path("disconnect"), what="t")
    assert info.value.status == 404
    await conn.close()


async def test_a_forgotten_session_registers_again_once(server: FakeServer) -> None:
    conn = await connect(server)
    server.sessions.clear()
    responses = await asyncio.gather(
        *(conn.call("POST", conn.path("disconnect"), what="t") for _ in range(10))
    )
    assert all(r.status_code == 204 for r in responses)
    assert len(server.registrations) == 2
    await conn.close()


async def test_the_stream_reconnects_after_it_drops(server: FakeServer) -> None:
    conn = await connect(server)
    seen: list[str] = []

    async def listen() -> None:
        async for event in conn.listen():
            seen.append(event.event)

    task = asyncio.ensure_future(listen())
    await wait_for(lambda: seen == [CONNECTED])
    await server.push("keepalive", {})
    await wait_for(lambda: seen == [CONNECTED, "keepalive"])
    await server.drop_streams()
    await wait_for(lambda: seen == [CONNECTED, "keepalive", CONNECTED])
    await conn.close()
    await server.drop_streams()
    await asyncio.wait_for(task, 5)
