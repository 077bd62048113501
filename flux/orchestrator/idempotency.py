"""Idempotency keys: a start request that carries a key the server has seen returns the
execution that key started instead of starting a second one.

The execution's id is derived from the key, so the primary key of `executions` settles a
race between concurrent requests with the same key (one insert wins, the others read the
winner's row): no extra table, no lock, and pruning a finished execution frees its key.
"""

from __future__ import annotations

import hashlib

from flux.errors import IdempotencyKeyError

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def check_key(key: str) -> str:
    """The key as given; IdempotencyKeyError (400) when it is empty, too long or not
    printable."""
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise IdempotencyKeyError(
            f"an idempotency key must be 1 to {MAX_KEY_LENGTH} printable characters"
        )
    return key


def derived_id(key: str, prefix: str = "") -> str:
    """The execution id a key gives: `prefix` + 32 hex digits (the shape of a random id)."""
    digest = hashlib.sha256(b"flux-idempotency\0" + check_key(key).encode()).hexdigest()
    return prefix + digest[:32]
