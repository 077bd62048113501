"""The lean HTTP/1.1 transport against a tiny asyncio server with scripted answers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from flux.worker.transport import LeanTransport, Timeouts, encode_head, origin_of

Answer = Callable[[bytes], bytes | None]  # request head+body -> raw response (None: hang)


class Server:
    def __init__(self, answer: Answer):
        self.answer = answer
        self.hang_up = False  # close each connection after one answer, without saying so
        self.connections = 0
        self.requests: list[bytes] = []
        self._server: asyncio.Server | None = None

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                request = head + await reader.readexactly(length)
                self.requests.append(request)
                response = self.answer(request)
                if response is None:
                    await asyncio.sleep(3600)
                writer.write(response or b"")
                await writer.drain()
                if self.hang_up or b"connection: close" in (response or b"").lower():
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()


def _ok(body: bytes = b'{"ok":true}', extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n%s\r\n%s" % (len(body), extra, body)


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Answer], asyncio.Future[tuple[Server, str]]]]:
    servers: list[Server] = []

    async def start(answer: Answer) -> tuple[Server, str]:
        server = Server(answer)
        servers.append(server)
        return server, await server.start()

    yield start  # type: ignore[misc]
    for server in servers:
        await server.stop()


async def test_exchange_reuses_one_keep_alive_connection(serve: Callable) -> None:
    server, url = await serve(lambda request: _ok())
    transport = LeanTransport()
    origin = origin_of(httpx.URL(url))
    head = encode_head("POST", "/x", [(b"host", b"test"), (b"content-length", b"2")])
    for _ in range(5):
        status, body = await transport.exchange(origin, head, b"{}", Timeouts())
        assert (status, body) == (200, b'{"ok":true}')
    assert server.connections == 1
    assert server.requests[0] == head + b"{}", "head and body leave in one piece"
    await transport.aclose()


async def test_through_httpx_with_a_chunked_stream(serve: Callable) -> None:
    chunks = b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    server, url = await serve(
        lambda request: b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n" + chunks
    )
    async with httpx.AsyncClient(base_url=url, transport=LeanTransport()) as client:
        async with client.stream("GET", "/events") as response:
            received = [chunk async for chunk in response.aiter_raw()]
        assert b"".join(received) == b"hello world"
        assert (await client.get("/again")).content == b"hello world"
    assert server.connections == 1, "a chunked body read to its end frees its connection"


async def test_a_connection_the_server_closed_is_not_reused(serve: Callable) -> None:
    server, url = await serve(lambda request: _ok(extra=b"connection: close\r\n"))
    async with httpx.AsyncClient(base_url=url, transport=LeanTransport()) as client:
        for _ in range(3):
            assert (await client.post("/x", json={})).json() == {"ok": True}
    assert server.connections == 3


async def test_a_body_without_length_runs_to_the_end_of_the_connection(
    serve: Callable,
) -> None:
    _, url = await serve(lambda request: b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nall of it")
    async with httpx.AsyncClient(base_url=url, transport=LeanTransport()) as client:
        assert (await client.get("/")).content == b"all of it"


async def test_nobody_listening_is_a_connect_error() -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    async with httpx.AsyncClient(transport=LeanTransport()) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"http://127.0.0.1:{port}/")


async def test_a_server_that_does_not_answer_times_out(serve: Callable) -> None:
    _, url = await serve(lambda request: None)
    transport = LeanTransport()
    head = encode_head("GET", "/", [(b"host", b"test")])
    with pytest.raises(httpx.ReadTimeout):
        await transport.exchange(origin_of(httpx.URL(url)), head, b"", Timeouts(read=0.1))
    await transport.aclose()


async def test_garbage_is_a_protocol_error(serve: Callable) -> None:
    _, url = await serve(lambda request: b"SMTP ready\r\n\r\n")
    async with httpx.AsyncClient(base_url=url, transport=LeanTransport()) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get("/")


async def test_a_pooled_connection_closed_by_the_server_is_replaced(serve: Callable) -> None:
    server, url = await serve(lambda request: _ok())
    server.hang_up = True
    async with httpx.AsyncClient(base_url=url, transport=LeanTransport()) as client:
        for _ in range(3):
            assert (await client.post("/x", json={})).status_code == 200
            await asyncio.sleep(0.02)  # the server's close reaches the idle connection
    assert server.connections == 3
