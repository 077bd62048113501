"""A lean HTTP/1.1 client on plain asyncio streams, for the worker's talk with its server.

Measured on the 2-core reference machine, one JSON call costs the client about 555 us of CPU
through httpx's default stack (httpcore over anyio), about 270 us through httpx with this
module's transport underneath, and about 110 us through `exchange` below (h11 framing, pooled
asyncio connections). A worker makes three
calls per execution (claim, two checkpoints), so this was the largest share of a run's cost,
and of the server's sync latency on a machine where client, server and worker share 2 cores.

The protocol is h11's: request heads are `h11.Request` events, bodies `h11.Data` and
`h11.EndOfMessage`, and responses come from feeding the bytes received to the connection's
`h11.Connection`, which also decides whether it can be kept alive. This module only keeps the
pool of connections and does the asyncio I/O, with its timeouts.

Two doors onto one pool of keep-alive connections:
- `exchange`: the caller builds the request head (`encode_head`), gets the status and the
  whole body. The worker's hot path (claims, checkpoints, secrets, cache).
- `handle_async_request`: an httpx transport, so the rest (registration, the SSE stream,
  workflow sources) keeps httpx's client API, and tests can swap in httpx's MockTransport.

It speaks only what the worker needs: HTTP/1.1 over TCP or TLS; no proxies, no upgrades.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Awaitable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar, cast

import h11
import httpx

T = TypeVar("T")
Origin = tuple[str, str, int]  # scheme, host, port

_MAX_HEAD = 1024 * 1024  # the longest response head (or chunk-size line) accepted
_READ_SIZE = 64 * 1024
_END = h11.EndOfMessage()


def origin_of(url: httpx.URL) -> Origin:
    return url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80)


def encode_head(method: str, target: str, headers: Iterable[tuple[bytes, bytes]]) -> h11.Request:
    """The head of a request for `exchange` (h11 checks the method, target and headers)."""
    try:
        return h11.Request(method=method, target=target, headers=list(headers))
    except h11.LocalProtocolError as exc:
        raise httpx.LocalProtocolError(f"bad request head: {exc}") from exc


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
    http: h11.Connection = field(
        default_factory=lambda: h11.Connection(h11.CLIENT, max_incomplete_event_size=_MAX_HEAD)
    )

    @property
    def usable(self) -> bool:
        # A keep-alive connection the server closed meanwhile (it restarted, or timed the
        # connection out) shows up here as EOF already received.
        return (
            self.http.our_state is h11.IDLE
            and not self.reader.at_eof()
            and not self.writer.is_closing()
        )

    def finish(self) -> bool:
        """After a whole response: ready the connection for the next request, if h11 says
        both sides may go on; whether it can be reused."""
        if self.http.our_state is h11.DONE and self.http.their_state is h11.DONE:
            self.http.start_next_cycle()
            return True
        return False

    def close(self) -> None:
        self.writer.close()

    async def send(self, head: h11.Request, body: bytes, timeout: float | None) -> None:
        # One write per request: a head and a body sent apart cost two wake-ups of the
        # server, and on loopback a send is the most expensive thing the worker does.
        http = self.http
        try:
            payload = http.send(head) or b""
            if body:
                payload += http.send(h11.Data(data=body)) or b""
            payload += http.send(_END) or b""
        except h11.LocalProtocolError as exc:
            raise httpx.LocalProtocolError(f"cannot send the request: {exc}") from exc
        try:
            self.writer.write(payload)
            await _timed(self.writer.drain(), timeout)
        except TimeoutError as exc:
            raise httpx.WriteTimeout("sending the request timed out") from exc
        except OSError as exc:
            raise httpx.WriteError(f"sending the request: {exc}") from exc

    async def response(self, timeout: float | None) -> h11.Response:
        """The response head (informational 1xx responses are passed over)."""
        try:
            while True:
                event = await self.next_event(timeout)
                if isinstance(event, h11.Response):
                    return event
                if not isinstance(event, h11.InformationalResponse):
                    raise httpx.RemoteProtocolError(f"expected a response, got {event!r}")
        except TimeoutError as exc:
            raise httpx.ReadTimeout("waiting for the response timed out") from exc
        except OSError as exc:
            raise httpx.RemoteProtocolError(f"the server closed the connection: {exc}") from exc

    async def whole_response(self, timeout: float | None) -> tuple[int, bytes]:
        """The status and the whole body of the response (the hot path, in one loop)."""
        http, status, parts = self.http, 0, []
        try:
            while True:
                event = http.next_event()
                if event is h11.NEED_DATA:
                    http.receive_data(await _timed(self.reader.read(_READ_SIZE), timeout))
                elif type(event) is h11.Data:
                    parts.append(bytes(event.data))
                elif type(event) is h11.Response:
                    status = event.status_code
                elif type(event) is h11.EndOfMessage:
                    break
                elif type(event) is not h11.InformationalResponse:
                    raise httpx.RemoteProtocolError(f"unexpected in a response: {event!r}")
        except h11.RemoteProtocolError as exc:
            raise httpx.RemoteProtocolError(str(exc)) from exc
        except TimeoutError as exc:
            raise httpx.ReadTimeout("waiting for the response timed out") from exc
        except OSError as exc:
            what = "reading the response body" if status else "the server closed the connection"
            raise httpx.RemoteProtocolError(f"{what}: {exc}") from exc
        return status, parts[0] if len(parts) == 1 else b"".join(parts)

    async def body_part(self, timeout: float | None) -> bytes | None:
        """The next piece of the response body; None at its end."""
        event = await self.next_event(timeout)
        if isinstance(event, h11.Data):
            return bytes(event.data)
        if isinstance(event, h11.EndOfMessage):
            return None
        raise httpx.RemoteProtocolError(f"expected a response body, got {event!r}")

    async def next_event(self, timeout: float | None) -> h11.Event | type[h11.PAUSED]:
        http = self.http
        try:
            while True:
                event = http.next_event()
                if event is h11.NEED_DATA:
                    http.receive_data(await _timed(self.reader.read(_READ_SIZE), timeout))
                    continue
                # h11's sentinels are classes, which mypy cannot narrow with `is`.
                return cast("h11.Event | type[h11.PAUSED]", event)
        except h11.RemoteProtocolError as exc:
            raise httpx.RemoteProtocolError(str(exc)) from exc


class LeanTransport(httpx.AsyncBaseTransport):
    def __init__(self, max_idle: int = 32, ssl_context: ssl.SSLContext | None = None):
        self._max_idle = max_idle
        self._ssl_context = ssl_context
        self._idle: dict[Origin, list[_Connection]] = {}

    async def exchange(
        self, origin: Origin, head: h11.Request, body: bytes, timeouts: Timeouts
    ) -> tuple[int, bytes]:
        """Send one request (`head` from `encode_head`, then `body`); the status and the
        whole response body."""
        conn = await self._checkout(origin, timeouts)
        try:
            await conn.send(head, body, timeouts.write)
            status, content = await conn.whole_response(timeouts.read)
        except BaseException:
            conn.close()
            raise
        self._checkin(origin, conn)
        return status, content

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        origin = origin_of(request.url)
        timeouts = Timeouts.of(request)
        head = encode_head(request.method, request.url.raw_path.decode(), request.headers.raw)
        body = await request.aread()
        conn = await self._checkout(origin, timeouts)
        try:
            await conn.send(head, body, timeouts.write)
            response = await conn.response(timeouts.read)
            headers = list(response.headers.raw_items())
            if _chunked(response):
                stream = _Body(self, origin, conn, timeouts.read)
                return httpx.Response(
                    response.status_code, headers=headers, stream=stream, request=request
                )
            content = await _read_body(conn, timeouts.read)
        except BaseException:
            conn.close()
            raise
        self._checkin(origin, conn)
        return httpx.Response(
            response.status_code, headers=headers, content=content, request=request
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

    def _checkin(self, origin: Origin, conn: _Connection) -> None:
        """Take back a connection whose response was read to its end."""
        idle = self._idle.setdefault(origin, [])
        if conn.finish() and conn.usable and len(idle) < self._max_idle:
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
                asyncio.open_connection(host, port, ssl=context), timeouts.connect
            )
        except TimeoutError as exc:
            raise httpx.ConnectTimeout(f"connecting to {host}:{port} timed out") from exc
        except OSError as exc:
            raise httpx.ConnectError(f"cannot connect to {host}:{port}: {exc}") from exc
        return _Connection(reader, writer)


class _Body(httpx.AsyncByteStream):
    """A chunked body, read as it arrives (the SSE stream). The connection goes back to the
    pool only when the body was read to its end; otherwise it is closed."""

    def __init__(
        self, pool: LeanTransport, origin: Origin, conn: _Connection, timeout: float | None
    ):
        self._pool, self._origin, self._conn, self._timeout = pool, origin, conn, timeout
        self._done = self._closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            while (part := await self._conn.body_part(self._timeout)) is not None:
                yield part
            self._done = True
        except TimeoutError as exc:
            raise httpx.ReadTimeout("no data on the response stream in time") from exc
        except OSError as exc:
            raise httpx.ReadError(f"reading a chunked body: {exc}") from exc

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._done:
            self._pool._checkin(self._origin, self._conn)
        else:
            self._conn.close()


async def _read_body(conn: _Connection, timeout: float | None) -> bytes:
    """The whole body of a response; h11 knows where it ends (content-length, chunks, or the
    end of the connection, also for HEAD, 204 and 304)."""
    parts: list[bytes] = []
    try:
        while (part := await conn.body_part(timeout)) is not None:
            parts.append(part)
    except TimeoutError as exc:
        raise httpx.ReadTimeout("reading the response body timed out") from exc
    except OSError as exc:
        raise httpx.ReadError(f"reading the response body: {exc}") from exc
    return parts[0] if len(parts) == 1 else b"".join(parts)


def _chunked(response: h11.Response) -> bool:
    return any(
        name == b"transfer-encoding" and value.lower() == b"chunked"
        for name, value in response.headers
    )


async def _timed(awaitable: Awaitable[T], timeout: float | None) -> T:
    # asyncio.timeout() rather than wait_for(): no extra task per read on the hot path.
    async with asyncio.timeout(timeout):
        return await awaitable
