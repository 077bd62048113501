"""A lean HTTP/1.1 client on plain asyncio streams, for the worker's talk with its server.

Measured on the 2-core reference machine, one JSON call costs the client about 555 us of CPU
through httpx's default stack (httpcore over anyio), about 270 us through httpx with this
module's transport underneath, and about 40 us through `exchange` below. A worker makes three
calls per execution (claim, two checkpoints), so this was the largest share of a run's cost,
and of the server's sync latency on a machine where client, server and worker share 2 cores.

Two doors onto one pool of keep-alive connections:
- `exchange`: the caller encodes the request head, gets the status and the whole body. The
  worker's hot path (claims, checkpoints, secrets, cache).
- `handle_async_request`: an httpx transport, so the rest (registration, the SSE stream,
  workflow sources) keeps httpx's client API, and tests can swap in httpx's MockTransport.

It speaks only what the worker needs: HTTP/1.1 over TCP or TLS; no proxies, no upgrades.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Awaitable, Iterable
from dataclasses import dataclass
from typing import TypeVar

import httpx

T = TypeVar("T")
Origin = tuple[str, str, int]  # scheme, host, port
Headers = list[tuple[bytes, bytes]]

_CRLF = b"\r\n"
_STREAM_LIMIT = 1024 * 1024  # the longest response head (or chunk-size line) accepted


def origin_of(url: httpx.URL) -> Origin:
    return url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80)


def encode_head(method: str, target: str, headers: Iterable[tuple[bytes, bytes]]) -> bytes:
    lines = [f"{method} {target} HTTP/1.1\r\n".encode()]
    lines.extend(name + b": " + value + _CRLF for name, value in headers)
    lines.append(_CRLF)
    return b"".join(lines)


@dataclass(frozen=True, slots=True)
class Timeouts:
    connect: float | None = 5.0
    read: float | None = 30.0
    write: float | None = 30.0

    @classmethod
    def of(cls, request: httpx.Request) -> Timeouts:
        given = request.extensions.get("timeout", {})
        return cls(given.get("connect"), given.get("read"), given.get("write"))


@dataclass(slots=True)
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter

    @property
    def usable(self) -> bool:
        # A keep-alive connection the server closed meanwhile (it restarted, or timed the
        # connection out) shows up here as EOF already received.
        return not self.reader.at_eof() and not self.writer.is_closing()

    def close(self) -> None:
        self.writer.close()


@dataclass(slots=True)
class _Head:
    status: int
    headers: Headers

    def get(self, name: bytes) -> bytes:
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return b""

    @property
    def chunked(self) -> bool:
        return self.get(b"transfer-encoding").lower() == b"chunked"

    @property
    def keep_alive(self) -> bool:
        return self.get(b"connection").lower() != b"close"


class LeanTransport(httpx.AsyncBaseTransport):
    def __init__(self, max_idle: int = 32, ssl_context: ssl.SSLContext | None = None):
        self._max_idle = max_idle
        self._ssl_context = ssl_context
        self._idle: dict[Origin, list[_Connection]] = {}

    async def exchange(
        self, origin: Origin, head: bytes, body: bytes, timeouts: Timeouts
    ) -> tuple[int, bytes]:
        """Send one request (`head` from `encode_head`, then `body`); the status and the
        whole response body."""
        conn = await self._checkout(origin, timeouts)
        try:
            response = await self._roundtrip(conn, head + body, timeouts)
            if response.chunked:
                chunks = _Chunks(self, origin, conn, timeouts.read, response.keep_alive)
                content = b"".join([chunk async for chunk in chunks])
                await chunks.aclose()
                return response.status, content
            content, reusable = await _read_body(conn, response, timeouts, head_only=False)
        except BaseException:
            conn.close()
            raise
        self._checkin(origin, conn, reusable)
        return response.status, content

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        origin = origin_of(request.url)
        timeouts = Timeouts.of(request)
        head = encode_head(request.method, request.url.raw_path.decode(), request.headers.raw)
        body = await request.aread()
        conn = await self._checkout(origin, timeouts)
        try:
            response = await self._roundtrip(conn, head + body, timeouts)
            if response.chunked:
                chunks = _Chunks(self, origin, conn, timeouts.read, response.keep_alive)
                return httpx.Response(
                    response.status, headers=response.headers, stream=chunks, request=request
                )
            head_only = request.method == "HEAD"
            content, reusable = await _read_body(conn, response, timeouts, head_only)
        except BaseException:
            conn.close()
            raise
        self._checkin(origin, conn, reusable)
        return httpx.Response(
            response.status, headers=response.headers, content=content, request=request
        )

    async def aclose(self) -> None:
        for idle in self._idle.values():
            for conn in idle:
                conn.close()
        self._idle.clear()

    # The pool

    async def _checkout(self, origin: Origin, timeouts: Timeouts) -> _Connection:
        idle = self._idle.get(origin, [])
        while idle:
            conn = idle.pop()
            if conn.usable:
                return conn
            conn.close()
        return await self._open(origin, timeouts)

    def _checkin(self, origin: Origin, conn: _Connection, reusable: bool = True) -> None:
        idle = self._idle.setdefault(origin, [])
        if reusable and conn.usable and len(idle) < self._max_idle:
            idle.append(conn)
        else:
            conn.close()

    async def _open(self, origin: Origin, timeouts: Timeouts) -> _Connection:
        scheme, host, port = origin
        context = None
        if scheme == "https":
            context = self._ssl_context or ssl.create_default_context()
        try:
            reader, writer = await _timed(
                asyncio.open_connection(host, port, ssl=context, limit=_STREAM_LIMIT),
                timeouts.connect,
            )
        except TimeoutError as exc:
            raise httpx.ConnectTimeout(f"connecting to {host}:{port} timed out") from exc
        except OSError as exc:
            raise httpx.ConnectError(f"cannot connect to {host}:{port}: {exc}") from exc
        return _Connection(reader, writer)

    @staticmethod
    async def _roundtrip(conn: _Connection, payload: bytes, timeouts: Timeouts) -> _Head:
        # One write per request: a head and a body sent apart cost two wake-ups of the
        # server, and on loopback a send is the most expensive thing the worker does.
        try:
            conn.writer.write(payload)
            await _timed(conn.writer.drain(), timeouts.write)
        except TimeoutError as exc:
            raise httpx.WriteTimeout("sending the request timed out") from exc
        except OSError as exc:
            raise httpx.WriteError(f"sending the request: {exc}") from exc
        try:
            raw = await _timed(conn.reader.readuntil(_CRLF + _CRLF), timeouts.read)
        except TimeoutError as exc:
            raise httpx.ReadTimeout("waiting for the response timed out") from exc
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
            raise httpx.RemoteProtocolError(f"the server closed the connection: {exc}") from exc
        return _parse_head(raw)


class _Chunks(httpx.AsyncByteStream):
    """A chunked body, read as it arrives (the SSE stream). The connection goes back to the
    pool only when the body was read to its end; otherwise it is closed."""

    def __init__(
        self,
        pool: LeanTransport,
        origin: Origin,
        conn: _Connection,
        read_timeout: float | None,
        reusable: bool,
    ):
        self._pool, self._origin, self._conn = pool, origin, conn
        self._read_timeout, self._reusable = read_timeout, reusable
        self._done = self._closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        reader = self._conn.reader
        try:
            while True:
                size_line = await _timed(reader.readuntil(_CRLF), self._read_timeout)
                size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    await _timed(reader.readuntil(_CRLF), self._read_timeout)
                    self._done = True
                    break
                data = await _timed(reader.readexactly(size + 2), self._read_timeout)
                yield data[:-2]
        except TimeoutError as exc:
            raise httpx.ReadTimeout("no data on the response stream in time") from exc
        except asyncio.IncompleteReadError as exc:
            raise httpx.ReadError("the server closed the connection mid-body") from exc
        except (OSError, asyncio.LimitOverrunError) as exc:
            raise httpx.ReadError(f"reading a chunked body: {exc}") from exc
        except ValueError as exc:
            raise httpx.RemoteProtocolError(f"bad chunk size: {exc}") from exc

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._done:
            self._pool._checkin(self._origin, self._conn, self._reusable)
        else:
            self._conn.close()


async def _read_body(
    conn: _Connection, head: _Head, timeouts: Timeouts, head_only: bool
) -> tuple[bytes, bool]:
    """The body of a response that is not chunked, and whether the connection is reusable."""
    length = head.get(b"content-length")
    try:
        if length:
            body = await _timed(conn.reader.readexactly(int(length)), timeouts.read)
            return body, head.keep_alive
        if head_only or head.status in (204, 304) or 100 <= head.status < 200:
            return b"", head.keep_alive
        # Neither a length nor chunks: the body runs to the end of the connection.
        return await _timed(conn.reader.read(), timeouts.read), False
    except TimeoutError as exc:
        raise httpx.ReadTimeout("reading the response body timed out") from exc
    except (OSError, asyncio.IncompleteReadError) as exc:
        raise httpx.ReadError(f"reading the response body: {exc}") from exc
    except ValueError as exc:
        raise httpx.RemoteProtocolError(f"bad content-length {length!r}") from exc


def _parse_head(raw: bytes) -> _Head:
    lines = raw.split(_CRLF)
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        raise httpx.RemoteProtocolError(f"not an HTTP/1.1 response: {lines[0][:80]!r}")
    headers: Headers = []
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(b":")
            headers.append((name.strip(), value.strip()))
    return _Head(int(parts[1]), headers)


async def _timed(awaitable: Awaitable[T], timeout: float | None) -> T:
    # asyncio.timeout() rather than wait_for(): no extra task per read on the hot path.
    async with asyncio.timeout(timeout):
        return await awaitable
