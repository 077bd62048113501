"""The worker's line to the server: one keep-alive HTTP client, the session token, the SSE
stream of work, and retries that ride out network errors and server restarts.

Every call after registration carries the session token. A 401 means the server no longer
knows the session (it restarted without it, or expired it): the connection registers again
once, however many calls noticed, and repeats the call. Unless the 401 says an admin revoked
the session (`flux worker revoke`): then nothing registers again, `on_revoked` is told and
every call fails with SessionRevokedError, so that the worker exits.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from flux.api.worker_protocol import SESSION_REVOKED, Registration, WorkerRegistration
from flux.worker.sse import ServerSentEvent, SSEParser
from flux.worker.transport import LeanTransport, Timeouts, encode_head, origin_of

log = logging.getLogger("flux.worker")

M = TypeVar("M", bound=BaseModel)

# Statuses that mean "the server (or a proxy before it) is not able to answer right now".
_TRANSIENT_STATUSES = frozenset({502, 503, 504})
_JSON = {"content-type": "application/json"}
_JSON_TYPE, _OCTETS = b"application/json", b"application/octet-stream"
_TIMEOUTS = Timeouts(connect=5.0, read=30.0, write=30.0)
CONNECTED = "connected"  # event name `listen` yields each time the stream is (re)opened


class ServerError(Exception):
    """The server answered a call with an error status (not one worth retrying)."""

    def __init__(self, status: int, detail: str, what: str):
        super().__init__(f"{what}: {status} {detail}")
        self.status, self.detail = status, detail


class SessionRevokedError(ServerError):
    """An admin revoked this worker's session; only the bootstrap token lets it back in."""


class ServerUnavailableError(Exception):
    """The server could not be reached (or kept failing) for as long as the call may wait."""


class RegistrationRefusedError(Exception):
    """The server refused this worker: a wrong or missing bootstrap token, or a bad name."""


class Backoff:
    """Exponential delays with jitter: half of each delay is fixed, so retries never spin,
    and half random, so a fleet reconnecting after a server restart spreads out."""

    def __init__(
        self, base: float = 0.05, cap: float = 5.0, rng: Callable[[], float] = random.random
    ):
        self._base, self._cap, self._rng = base, cap, rng
        self._attempt = 0

    def next_delay(self) -> float:
        ceiling = min(self._cap, self._base * 2**self._attempt)
        self._attempt = min(self._attempt + 1, 30)
        return float(ceiling / 2 + self._rng() * ceiling / 2)

    def reset(self) -> None:
        self._attempt = 0


@dataclass(frozen=True, slots=True)
class Reply:
    """A successful call's answer."""

    status_code: int
    content: bytes

    def json(self) -> Any:
        return json.loads(self.content)


def _detail(content: bytes) -> str:
    try:
        body = json.loads(content)
    except ValueError:
        return content[:500].decode(errors="replace")
    if isinstance(body, dict) and "detail" in body:
        return str(body["detail"])
    return content[:500].decode(errors="replace")


def _transient_problem(response: Reply, what: str) -> str:
    """What went wrong, if worth retrying; otherwise raises ServerError."""
    detail = _detail(response.content)
    if response.status_code not in _TRANSIENT_STATUSES:
        raise ServerError(response.status_code, detail, what)
    return f"{response.status_code} {detail}"


class ServerConnection:
    def __init__(
        self,
        server_url: str,
        bootstrap_token: str,
        registration: Callable[[], WorkerRegistration],
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        stream_read_timeout: float = 60.0,
    ):
        self.name = registration().name
        self._bootstrap_token = bootstrap_token
        self._registration = registration
        self._stream_read_timeout = stream_read_timeout
        lean = LeanTransport() if transport is None else None
        self._client = httpx.AsyncClient(
            base_url=server_url.rstrip("/"),
            timeout=httpx.Timeout(30.0, connect=5.0),
            transport=transport or lean,
        )
        # Calls go straight to the lean transport when it is the one in use; a transport
        # given by the caller (tests: httpx.MockTransport) gets them through httpx.
        self._lean = lean
        self._origin = origin_of(self._client.base_url)
        self._host = self._client.base_url.netloc
        self._prefix = self._client.base_url.raw_path.decode().rstrip("/")  # behind a proxy
        self._auth = b""
        self._reregistering: asyncio.Future[Registration] | None = None
        self.session: Registration | None = None
        self.retry_for = 30.0  # seconds a call keeps retrying; set from the lease TTL
        self.closed = False
        self.revoked: str | None = None  # the server's reason, once the session is revoked
        self.on_revoked: Callable[[str], None] | None = None

    @property
    def server_url(self) -> str:
        return str(self._client.base_url)

    def path(self, *parts: str) -> str:
        """`/workers/{name}/part/...`, each part quoted."""
        return "/".join(
            ["/workers", quote(self.name, safe=""), *(quote(p, safe="") for p in parts)]
        )

    # Registration

    async def register(self) -> Registration:
        """Register, retrying while the server is unreachable. Raises
        RegistrationRefusedError when the server answers but refuses."""
        backoff = Backoff(cap=2.0)
        while True:
            try:
                return await self._register_once()
            except (httpx.TransportError, ServerUnavailableError) as exc:
                if self.closed:
                    raise ServerUnavailableError(str(exc)) from exc
                delay = backoff.next_delay()
                log.warning("cannot reach %s to register (%s); retrying", self.server_url, exc)
                await asyncio.sleep(delay)

    async def _register_once(self) -> Registration:
        registration = self._registration()
        response = await self._client.post(
            "/workers/register",
            content=registration.model_dump_json(),
            headers={**_JSON, "authorization": f"Bearer {self._bootstrap_token}"},
        )
        if response.status_code in _TRANSIENT_STATUSES:
            raise ServerUnavailableError(f"{response.status_code} {_detail(response.content)}")
        if response.status_code in (401, 403):
            raise RegistrationRefusedError(
                f"the server at {self.server_url} refused the bootstrap token "
                f"({response.status_code}: {_detail(response.content)}); check "
                "workers.bootstrap_token (FLUX_WORKERS__BOOTSTRAP_TOKEN)"
            )
        if response.status_code >= 400:
            raise RegistrationRefusedError(
                f"the server at {self.server_url} refused to register worker '{self.name}' "
                f"({response.status_code}: {_detail(response.content)})"
            )
        try:
            session = Registration.model_validate_json(response.content)
        except ValidationError as exc:
            raise RegistrationRefusedError(f"unexpected registration reply: {exc}") from None
        self._use(session)
        return session

    def _use(self, session: Registration) -> None:
        self.session = session
        self._client.headers["authorization"] = f"Bearer {session.session_token}"
        self._auth = f"Bearer {session.session_token}".encode()

    async def _reregister(self, stale: Registration | None) -> None:
        """Register again after a 401, once for all the calls that got one."""
        if self.session is not stale:
            return  # another call already registered again since this one was sent
        if self._reregistering is None:
            log.info("the server no longer knows this worker's session; registering again")
            self._reregistering = asyncio.ensure_future(self.register())
            self._reregistering.add_done_callback(self._reregistered)
        await asyncio.shield(self._reregistering)

    def _check_revoked(self, status: int, content: bytes, what: str) -> None:
        """Raise SessionRevokedError if this answer (or an earlier one) revoked the session."""
        if self.revoked is None and status == 401:
            detail = _detail(content)
            if detail.startswith(SESSION_REVOKED):
                self.revoked = detail
                log.error("the server revoked this worker's session: %s", detail)
                if self.on_revoked is not None:
                    self.on_revoked(detail)
        if self.revoked is not None:
            raise SessionRevokedError(401, self.revoked, what)

    def _reregistered(self, done: asyncio.Future[Registration]) -> None:
        self._reregistering = None
        if not done.cancelled():
            done.exception()  # retrieved here so that asyncio does not log it as lost

    # Calls

    async def call(
        self,
        method: str,
        path: str,
        body: BaseModel | None = None,
        *,
        what: str,
        retry_for: float | None = None,
        raw: bytes | None = None,
    ) -> Reply:
        """A 2xx response to the call. Network errors and 502-504 are retried with backoff
        for `retry_for` seconds (default `self.retry_for`), then ServerUnavailableError;
        other error statuses raise ServerError at once. `raw`: bytes sent as they are
        (application/octet-stream) instead of a JSON body."""
        content = body.model_dump_json().encode() if body is not None else raw
        media = _OCTETS if raw is not None and body is None else _JSON_TYPE
        deadline = time.monotonic() + (self.retry_for if retry_for is None else retry_for)
        backoff = Backoff(cap=1.0)
        reauthenticated = False
        while True:
            session = self.session
            self._check_revoked(0, b"", what)
            try:
                response = await self._send(method, path, content, media)
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            else:
                self._check_revoked(response.status_code, response.content, what)
                if response.status_code == 401 and not reauthenticated:
                    reauthenticated = True
                    await self._reregister(session)
                    continue
                if response.status_code < 300:
                    return response
                problem = _transient_problem(response, what)
            if self.closed or time.monotonic() >= deadline:
                raise ServerUnavailableError(f"{what}: server unavailable ({problem})")
            await asyncio.sleep(backoff.next_delay())

    async def _send(
        self, method: str, path: str, content: bytes | None, media: bytes = b"application/json"
    ) -> Reply:
        if self._lean is None:
            typed = {"content-type": media.decode()} if content else None
            response = await self._client.request(method, path, content=content, headers=typed)
            return Reply(response.status_code, response.content)
        body = content or b""
        headers = [
            (b"host", self._host),
            (b"authorization", self._auth),
            (b"content-type", media),
            (b"content-length", str(len(body)).encode()),
        ]
        head = encode_head(method, self._prefix + path, headers)
        status, data = await self._lean.exchange(self._origin, head, body, _TIMEOUTS)
        return Reply(status, data)

    async def call_model(
        self,
        method: str,
        path: str,
        body: BaseModel | None,
        reply: type[M],
        *,
        what: str,
        retry_for: float | None = None,
    ) -> M:
        response = await self.call(method, path, body, what=what, retry_for=retry_for)
        return reply.model_validate_json(response.content)

    # The stream of work

    async def listen(self) -> AsyncIterator[ServerSentEvent]:
        """Events from `GET /workers/{name}/connect`, reconnecting for as long as the
        connection is open. Yields an event named `connected` each time the stream opens,
        so the worker can pull work that was queued while it was away."""
        backoff = Backoff(cap=5.0)
        failures = 0
        while not self.closed and self.revoked is None:
            opened_at = time.monotonic()
            try:
                async for event in self._stream():
                    if event.event == CONNECTED and failures:
                        log.info("stream from %s open again", self.server_url)
                        failures = 0
                    yield event
                problem = "the server closed the stream"
            except Exception as exc:
                # Whatever broke the stream, the worker must keep listening; only a closed
                # connection ends this loop.
                problem = f"{type(exc).__name__}: {exc}"
            if self.closed or self.revoked is not None:
                return
            # A stream that stayed up a while was healthy: start the backoff over. One that
            # the server keeps closing at once must not become a busy loop.
            if time.monotonic() - opened_at > 2.0:
                backoff.reset()
            failures += 1
            log.log(
                logging.WARNING if failures == 1 else logging.DEBUG,
                "lost the stream from %s (%s); reconnecting",
                self.server_url,
                problem,
            )
            await asyncio.sleep(backoff.next_delay())

    async def _stream(self) -> AsyncIterator[ServerSentEvent]:
        timeout = httpx.Timeout(5.0, read=self._stream_read_timeout)
        session = self.session
        request = self._client.build_request(
            "GET", self.path("connect"), headers={"accept": "text/event-stream"}, timeout=timeout
        )
        response = await self._client.send(request, stream=True)
        try:
            if response.status_code == 401:
                await response.aread()
                self._check_revoked(401, response.content, "connect")
                await self._reregister(session)
                return
            if response.status_code >= 300:
                await response.aread()
                raise ServerError(response.status_code, _detail(response.content), "connect")
            yield ServerSentEvent(CONNECTED, "")
            parser = SSEParser()
            async for chunk in response.aiter_bytes():
                for event in parser.feed(chunk):
                    yield event
        finally:
            await response.aclose()

    async def close(self) -> None:
        self.closed = True
        await self._client.aclose()
