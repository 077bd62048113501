"""API keys: creation, listing, revocation and the verification every request goes through.

A key reads `flux_<id>_<secret>`: the 12-hex `id` is public (lists, logs, the audit), the
`secret` (`token_urlsafe(32)`) is shown once when the key is made and only its sha256 is
stored. Verified keys are kept in memory for `cache_seconds`, so most requests cost a hash
and a dict lookup, not a query. A revocation evicts the key at once on the replica that made
it; other replicas notice within `cache_seconds` (docs/security.md). `last_used_at` is
written at most once a minute per key, in a task of its own, never on the request's path.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flux.domain.access import Principal, Role
from flux.domain.events import utcnow
from flux.errors import FluxError
from flux.orchestrator.store import ApiKeyRow, OrchestratorStore

logger = logging.getLogger(__name__)

KEY_PREFIX = "flux_"
_KEY = re.compile(r"flux_([0-9a-f]{12})_([A-Za-z0-9_-]{20,200})")
_NAME = re.compile(r"[^\x00-\x1f\x7f]{1,100}")
FIRST_KEY_NAME = "first-admin"


class InvalidApiKeyError(FluxError):
    """401: the key is malformed, unknown, wrong or revoked."""


class ApiKeyNotFoundError(FluxError):
    """404: no key has this id."""


class ApiKeyInputError(FluxError):
    """400: a bad name or role for a new key."""


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A key just made: `key` is the only time its secret exists outside the caller."""

    row: ApiKeyRow
    key: str


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_key(text: str) -> tuple[str, str] | None:
    """(id, secret) of a well-formed key, else None."""
    found = _KEY.fullmatch(text.strip())
    return None if found is None else (found.group(1), found.group(2))


def looks_like_key(token: str) -> bool:
    """Whether a bearer token is meant as an API key (not a worker's bootstrap or session
    token)."""
    return token.startswith(KEY_PREFIX)


def principal_of(row: ApiKeyRow) -> Principal:
    return Principal(kind="key", role=Role(row.role), name=row.name, key_id=row.id)


def new_key(name: str, role: Role, created_by: str | None) -> IssuedKey:
    """A fresh key and its row (not stored yet)."""
    key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    row = ApiKeyRow(
        id=key_id,
        name=name,
        role=role.value,
        secret_hash=secret_hash(secret),
        created_at=utcnow(),
        created_by=created_by,
    )
    return IssuedKey(row, f"{KEY_PREFIX}{key_id}_{secret}")


def check_name(name: str) -> str:
    name = name.strip()
    if not _NAME.fullmatch(name):
        raise ApiKeyInputError(
            "a key's name must be 1 to 100 characters with no control characters"
        )
    return name


@dataclass(slots=True)
class _Cached:
    row: ApiKeyRow
    principal: Principal
    until: float


class ApiKeyService:
    def __init__(
        self,
        store: OrchestratorStore,
        *,
        cache_seconds: float = 5.0,
        touch_every: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.store = store
        self._cache_seconds = cache_seconds
        self._touch_every = touch_every
        self._clock = clock
        self._cache: dict[str, _Cached] = {}
        self._touched: dict[str, float] = {}  # key id -> clock of its last recorded use
        self._tasks: set[asyncio.Task[Any]] = set()

    # Management

    async def create(self, name: str, role: Role | str, created_by: str | None) -> IssuedKey:
        try:
            chosen = role if isinstance(role, Role) else Role.parse(role)
        except ValueError as exc:
            raise ApiKeyInputError(str(exc)) from None
        issued = new_key(check_name(name), chosen, created_by)
        await self.store.create_api_key(issued.row)
        return issued

    async def list(self) -> list[ApiKeyRow]:
        return await self.store.list_api_keys()

    async def revoke(self, key_id: str) -> ApiKeyRow:
        row = await self.store.revoke_api_key(key_id, utcnow())
        if row is None:
            raise ApiKeyNotFoundError(f"no API key has the id '{key_id}'")
        self._cache.pop(key_id, None)
        return row

    async def ensure_first_admin(self) -> IssuedKey | None:
        """An admin key when none is active (a first start), else None. Exactly one is made
        even when several replicas start together (`create_api_key(unless_admin_exists)`)."""
        issued = new_key(FIRST_KEY_NAME, Role.ADMIN, None)
        made = await self.store.create_api_key(issued.row, unless_admin_exists=True)
        return issued if made else None

    # Verification

    async def verify(self, key: str) -> Principal:
        """The principal of `key`; InvalidApiKeyError saying why not."""
        parsed = parse_key(key)
        if parsed is None:
            raise InvalidApiKeyError(
                "malformed API key: expected flux_<12 hex>_<secret> as created by "
                "`flux auth create-key`"
            )
        key_id, secret = parsed
        known = await self._known(key_id)
        if known is None or not hmac.compare_digest(known.row.secret_hash, secret_hash(secret)):
            raise InvalidApiKeyError("invalid API key")
        if known.row.revoked_at is not None:
            raise InvalidApiKeyError(f"API key {key_id} was revoked")
        self._note_use(key_id)
        return known.principal

    async def _known(self, key_id: str) -> _Cached | None:
        now = self._clock()
        cached = self._cache.get(key_id)
        if cached is not None and cached.until > now:
            return cached
        row = await self.store.get_api_key(key_id)
        if row is None:
            self._cache.pop(key_id, None)  # unknown ids are not kept: no memory to exhaust
            return None
        cached = self._cache[key_id] = _Cached(row, principal_of(row), now + self._cache_seconds)
        return cached

    def _note_use(self, key_id: str) -> None:
        now = self._clock()
        last = self._touched.get(key_id)
        if last is not None and now - last < self._touch_every:
            return
        self._touched[key_id] = now
        task = asyncio.get_running_loop().create_task(self._touch(key_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _touch(self, key_id: str) -> None:
        try:
            await self.store.touch_api_keys([(key_id, utcnow())])
        except Exception as exc:  # a lost "last used" must never fail or log-spam requests
            logger.debug("could not record the use of API key %s: %s", key_id, exc)

    async def close(self) -> None:
        """Let pending `last_used_at` writes finish (before the store closes)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
