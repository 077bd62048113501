"""Per-task policy, as declared with `@task.with_options(...)`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any


@dataclass(frozen=True, slots=True)
class TaskOptions:
    name: str
    retry_max_attempts: int = 0
    retry_delay: float = 1.0
    retry_backoff: float = 2.0
    timeout: float = 0.0
    fallback: Callable[..., Any] | None = None
    rollback: Callable[..., Any] | None = None
    secret_requests: tuple[str, ...] = field(default_factory=tuple)
    cache: bool = False
    cache_ttl: float | None = None
    metadata: bool = False

    def __post_init__(self) -> None:
        if self.retry_max_attempts < 0:
            raise ValueError(f"task '{self.name}': retry_max_attempts must be >= 0")
        if self.retry_delay < 0 or self.retry_backoff <= 0:
            raise ValueError(f"task '{self.name}': retry_delay >= 0 and retry_backoff > 0 needed")
        if self.timeout < 0:
            raise ValueError(f"task '{self.name}': timeout must be >= 0 (0 means none)")

    @property
    def is_plain(self) -> bool:
        """No policy applies: the step can call the function directly."""
        return not (
            self.retry_max_attempts
            or self.timeout
            or self.fallback
            or self.rollback
            or self.secret_requests
            or self.metadata
        )

    def retry_wait(self, attempt: int) -> float:
        """Seconds to wait before retry number `attempt` (1-based)."""
        return float(self.retry_delay * self.retry_backoff ** (attempt - 1))


def parse_cache(cache: bool | int | float | timedelta) -> tuple[bool, float | None]:
    """`cache=True` caches forever; a number or timedelta is a time-to-live."""
    if isinstance(cache, bool):
        return cache, None
    ttl = cache.total_seconds() if isinstance(cache, timedelta) else float(cache)
    if ttl <= 0:
        raise ValueError("a cache time-to-live must be positive")
    return True, ttl
