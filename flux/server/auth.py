"""Authentication of every request: a pure ASGI middleware around the whole app.

Pure ASGI (not Starlette's BaseHTTPMiddleware) so that it costs one dict lookup and a hash
per request and never buffers a body or a stream: SSE streams and lean routes pass through
it like any other. For each request it finds the access rule (`access_policy.rule_for`),
works out the caller, and either answers 401/403 itself or hands the request on with the
caller in `scope["state"]["principal"]` (`request.state.principal` in routes, read by the
audit).

Callers without a key: served as admin only when this server listens on loopback and the
request comes from loopback without passing through a proxy (the laptop: `curl localhost`
just works), or everywhere with the explicit, loudly logged `security.allow_anonymous`.
`security.require_auth` turns the loopback exception off. A key that is sent is always
checked, whatever the exposure: a wrong key is a 401, never anonymous.
"""

from __future__ import annotations

import ipaddress
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from flux.config import FluxSettings
from flux.domain.access import Principal, Role, allows
from flux.orchestrator.api_keys import InvalidApiKeyError, looks_like_key
from flux.server.access_policy import PUBLIC, REGISTER, SESSION, rule_for

logger = logging.getLogger(__name__)

HOW_TO = (
    "send 'Authorization: Bearer <API key>' (the CLI and the client read FLUX_API_KEY or "
    "--api-key; the dashboard: Settings); an admin creates keys with `flux auth create-key`"
)
_PROXY_HEADERS = (b"forwarded", b"x-forwarded-for", b"x-real-ip")
_LOCALHOST_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost")


def is_loopback(host: str | None) -> bool:
    """Whether `host` (an address or a name) is this machine only. "" and "0.0.0.0" listen
    on every interface, so they are not."""
    if not host:
        return False
    if host.lower() in _LOCALHOST_NAMES:
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    # A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d.
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    return (mapped or address).is_loopback


@dataclass(frozen=True, slots=True)
class Exposure:
    """What the settings and the bind address allow callers without a key."""

    loopback_bind: bool
    require_auth: bool
    allow_anonymous: bool

    @classmethod
    def of(cls, settings: FluxSettings) -> Exposure:
        security = settings.security
        return cls(
            loopback_bind=is_loopback(settings.server_host),
            require_auth=security.require_auth,
            allow_anonymous=security.allow_anonymous,
        )

    def anonymous(self, scope: Scope, headers: Mapping[bytes, bytes]) -> Principal | None:
        """The principal a request without a key is served as, or None (it needs a key)."""
        if self.require_auth:
            return None
        if self.allow_anonymous:
            return Principal(kind="anonymous", role=Role.ADMIN, name="allow_anonymous")
        client = scope.get("client")
        peer = client[0] if client else None
        proxied = any(name in headers for name in _PROXY_HEADERS)
        if self.loopback_bind and is_loopback(peer) and not proxied:
            return Principal(kind="anonymous", role=Role.ADMIN, name="loopback")
        return None

    def warnings(self) -> list[str]:
        """What to log loudly at start."""
        if self.allow_anonymous and not self.require_auth:
            where = "on loopback" if self.loopback_bind else "BEYOND LOOPBACK"
            return [
                f"security.allow_anonymous is set and the server listens {where}: anyone "
                "who can reach it is served as admin without an API key; remove the "
                "setting and use API keys (docs/security.md)"
            ]
        return []


def _bearer(headers: Mapping[bytes, bytes]) -> str | None:
    value = headers.get(b"authorization")
    if value is None:
        return None
    scheme, _, token = value.decode("latin-1").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


class AuthMiddleware:
    def __init__(self, app: ASGIApp, exposure: Exposure) -> None:
        self.app = app
        self.exposure = exposure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        rule = rule_for(scope.get("method", "GET"), scope["path"])
        if rule is PUBLIC or rule is SESSION:
            await self.app(scope, receive, send)
            return
        ws = scope["type"] == "websocket"
        headers = dict(scope["headers"])
        token = _bearer(headers)
        if rule is REGISTER and (token is None or not looks_like_key(token)):
            await self.app(scope, receive, send)  # the bootstrap token: the route checks it
            return
        principal: Principal | None
        if token is None:
            principal = self.exposure.anonymous(scope, headers)
            if principal is None:
                await _deny(send, 401, f"authentication required: {HOW_TO}", websocket=ws)
                return
        else:
            try:
                principal = await scope["app"].state.flux.api_keys.verify(token)
            except InvalidApiKeyError as exc:
                await _deny(send, 401, f"{exc}; {HOW_TO}", websocket=ws)
                return
        assert rule.role is not None
        # Before the role check: the audit records who was refused, too.
        scope.setdefault("state", {})["principal"] = principal
        if not allows(principal.role, rule.role):
            await _deny(
                send,
                403,
                f"{principal.label} has the role '{principal.role.value}'; "
                f"{scope.get('method')} {scope['path']} needs '{rule.role.value}'"
                + (" or a higher role" if rule.role in (Role.VIEWER, Role.OPERATOR) else ""),
                websocket=ws,
            )
            return
        await self.app(scope, receive, send)


async def _deny(send: Send, status: int, detail: str, *, websocket: bool = False) -> None:
    if websocket:
        # 1008: policy violation; the reason is capped by the protocol at 123 bytes.
        await send({"type": "websocket.close", "code": 1008, "reason": detail[:120]})
        return
    body = json.dumps({"detail": detail}).encode()
    headers: list[Any] = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="flux"'))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
