"""Secrets that tasks and jobs ask for by name (`secret_requests=[...]`, `secrets=[...]`),
stored encrypted, and the maskers that keep their values out of everything Flux records.

Values are any JSON value. No method puts a secret's value in a log line, a repr or an
exception message; names are not secret and are shown freely. See docs/secrets.md.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from flux.config import FluxSettings
from flux.domain.masking import Masker, SecretMasks
from flux.domain.secret_names import validate_secret_name
from flux.engine.store import ExecutionStore
from flux.errors import (
    EncryptionKeyError,
    FluxError,
    SecretNotFoundError,
    SerializationError,
    TamperedDataError,
)
from flux.keyring import key_file_path, secret_cipher

logger = logging.getLogger(__name__)
__all__ = [
    "DatabaseSecretManager",
    "MaskingSecrets",
    "SecretManager",
    "StoredSecretMasks",
    "check_encryption_key",
    "missing_secrets",
    "validate_secret_name",
]

# Bumped by every change this process makes, so its maskers reload at once.
_changes = 0


async def missing_secrets(store: ExecutionStore, names: Sequence[str]) -> list[str]:
    """Those of `names` that are not stored (no value is read)."""
    if not names:
        return []
    known = set(await store.secret_names())
    return [name for name in names if name not in known]


class SecretCipher(Protocol):
    """What `flux.keyring.secret_cipher` returns: encryption bound to the secret's name."""

    def encrypt(self, name: str, plaintext: bytes) -> bytes: ...

    def decrypt(self, name: str, token: bytes) -> bytes: ...


class SecretManager(ABC):
    """Where secrets live. Implementations only ever hand values to the caller."""

    @abstractmethod
    async def get(self, names: list[str]) -> dict[str, Any]:
        """The values of `names`. Raises SecretNotFoundError naming every missing name."""

    @abstractmethod
    async def save(self, name: str, value: Any) -> None:
        """Create or replace a secret."""

    @abstractmethod
    async def remove(self, name: str) -> bool:
        """Delete a secret; False when there was none of that name."""

    @abstractmethod
    async def all(self) -> list[str]:
        """Names of all secrets, sorted. Never the values."""


class DatabaseSecretManager(SecretManager):
    """Secrets in the execution store's secrets table, JSON-encoded then encrypted."""

    def __init__(self, store: ExecutionStore, cipher: SecretCipher):
        self._store = store
        self._cipher = cipher

    def __repr__(self) -> str:
        return f"{type(self).__name__}(store={type(self._store).__name__})"

    async def get(self, names: list[str]) -> dict[str, Any]:
        wanted = list(dict.fromkeys(validate_secret_name(name) for name in names))
        if not wanted:
            return {}
        found = await self._store.secret_get(wanted)
        missing = [name for name in wanted if name not in found]
        if missing:
            raise SecretNotFoundError(missing)
        return {name: self._open(name, found[name]) for name in wanted}

    async def save(self, name: str, value: Any) -> None:
        validate_secret_name(name)
        try:
            plaintext = json.dumps(value, allow_nan=False).encode()
        except (TypeError, ValueError):
            # The original message could quote part of the value.
            raise TypeError(
                f"secret '{name}': a value of type {type(value).__name__} cannot be stored "
                "(secrets must be JSON values: str, int, float, bool, None, list, dict)"
            ) from None
        await self._store.secret_set(name, self._cipher.encrypt(name, plaintext))
        _changed()

    async def remove(self, name: str) -> bool:
        removed = await self._store.secret_delete(validate_secret_name(name))
        _changed()
        return removed

    async def all(self) -> list[str]:
        return sorted(await self._store.secret_names())

    def _open(self, name: str, token: bytes) -> Any:
        plaintext = self._cipher.decrypt(name, token)
        try:
            return json.loads(plaintext)
        except ValueError:
            raise SerializationError(
                f"secret '{name}'", "json", "the decrypted value is not JSON"
            ) from None


def _changed() -> None:
    global _changes
    _changes += 1


class MaskingSecrets:
    """The engine's secret source on a worker or in a local run: hands the values on and
    adds each one to `masks`, so everything this process records afterwards is masked."""

    def __init__(self, inner: Any, masks: SecretMasks):
        self._inner = inner
        self.masks = masks

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._inner!r})"

    async def get(self, names: list[str]) -> dict[str, Any]:
        values: dict[str, Any] = await self._inner.get(names)
        self.masks.add(values.values())
        return values

    def __getattr__(self, name: str) -> Any:
        # The rest of the wrapped source (a SecretManager's save/remove/all) as it is.
        return getattr(self._inner, name)


class StoredSecretMasks:
    """The server's masker: the values of every stored secret, read (decrypted) again when
    this process changed a secret, or when the last read is `max_age` seconds old (another
    replica or `flux secrets --local` may have changed one). In between it costs nothing."""

    def __init__(
        self,
        manager: SecretManager,
        max_age: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._manager = manager
        self._max_age = max_age
        self._clock = clock
        self._masks = SecretMasks()
        self._loaded_at: float | None = None
        self._loaded_change = -1
        self._lock = asyncio.Lock()

    def _stale(self) -> bool:
        return (
            self._loaded_at is None
            or self._loaded_change != _changes
            or self._clock() - self._loaded_at >= self._max_age
        )

    async def current(self) -> Masker:
        if not self._stale():
            return self._masks.current
        async with self._lock:
            if self._stale():
                change, now = _changes, self._clock()
                try:
                    names = await self._manager.all()
                    values = await self._manager.get(names) if names else {}
                except (FluxError, ValueError) as exc:
                    # Keep masking with what was known; the reason is in the server's log.
                    logger.warning("could not read the secrets to mask their values: %s", exc)
                else:
                    self._masks.replace(Masker.of(values.values()))
                self._loaded_at, self._loaded_change = now, change
        return self._masks.current


async def check_encryption_key(settings: FluxSettings, store: ExecutionStore) -> None:
    """Refuse (EncryptionKeyError) when secrets are stored and the key to read them is not
    there: missing (no `security.encryption_key`, no key file: a new key would be created
    that reads none of them) or another key than the one they were saved with."""
    names = await store.secret_names()
    if not names:
        return
    path = key_file_path(settings)
    if not settings.security.encryption_key and not path.exists():
        raise EncryptionKeyError(
            f"{len(names)} secret(s) are stored in {_where(settings)} but there is no "
            "encryption key: security.encryption_key (FLUX_SECURITY__ENCRYPTION_KEY) is not "
            f"set and the key file {path} does not exist. Set the key the secrets were "
            "saved with, or restore that file; Flux does not create a new key, which "
            "could not read them"
        )
    cipher = secret_cipher(settings)
    for name, token in (await store.secret_get(names)).items():
        try:
            cipher.decrypt(name, token)
        except TamperedDataError as exc:
            logger.warning("%s", exc)  # one damaged row: not a key problem
        except EncryptionKeyError as exc:
            raise EncryptionKeyError(
                f"the encryption key does not read the secrets stored in {_where(settings)}: {exc}"
            ) from None


def _where(settings: FluxSettings) -> str:
    url = settings.database_url
    return url.split("@")[-1] if "@" in url else url  # no password in messages
