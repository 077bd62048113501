"""Secrets that tasks ask for by name (`secret_requests=[...]`), stored encrypted.

Values are any JSON value. No method puts a secret's value in a log line, a repr or an
exception message; names are not secret and are shown freely.
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from typing import Any, Protocol

from flux.engine.store import ExecutionStore
from flux.errors import SecretNotFoundError, SerializationError

MAX_NAME_LENGTH = 255
_NAME_PATTERN = re.compile(r"[A-Za-z0-9_.-]+")
_SHOWN_NAME_CHARS = 60


def validate_secret_name(name: str) -> str:
    """Return `name` if it is a valid secret name, else raise ValueError saying why."""
    if not isinstance(name, str) or not name:
        raise ValueError("a secret name must be a non-empty string")
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(
            f"secret name '{name[:_SHOWN_NAME_CHARS]}...' is {len(name)} characters long; "
            f"the limit is {MAX_NAME_LENGTH}"
        )
    if not _NAME_PATTERN.fullmatch(name):
        raise ValueError(
            f"invalid secret name {name[:_SHOWN_NAME_CHARS]!r}: "
            "use only letters, digits, '_', '.' and '-'"
        )
    return name


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

    async def remove(self, name: str) -> bool:
        return await self._store.secret_delete(validate_secret_name(name))

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
