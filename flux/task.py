"""`@task`: an async function whose calls inside a workflow are durable steps."""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from flux.domain.task_metadata import TaskMetadata
from flux.engine.options import TaskOptions, parse_cache
from flux.engine.task_runner import run_task

__all__ = ["TaskMetadata", "task"]


class task:
    def __init__(
        self,
        func: Callable[..., Any],
        name: str | None = None,
        retry_max_attempts: int = 0,
        retry_delay: float = 1,
        retry_backoff: float = 2,
        timeout: float = 0,
        fallback: Callable[..., Any] | None = None,
        rollback: Callable[..., Any] | None = None,
        secret_requests: list[str] | tuple[str, ...] = (),
        cache: bool | int | float | timedelta = False,
        metadata: bool = False,
    ):
        cached, ttl = parse_cache(cache)
        self.func = func
        self.options = TaskOptions(
            name=name or func.__name__,
            retry_max_attempts=retry_max_attempts,
            retry_delay=retry_delay,
            retry_backoff=retry_backoff,
            timeout=timeout,
            fallback=fallback,
            rollback=rollback,
            secret_requests=tuple(secret_requests),
            cache=cached,
            cache_ttl=ttl,
            metadata=metadata,
        )
        functools.update_wrapper(self, func)

    @staticmethod
    def with_options(
        name: str | None = None,
        retry_max_attempts: int = 0,
        retry_delay: float = 1,
        retry_backoff: float = 2,
        timeout: float = 0,
        fallback: Callable[..., Any] | None = None,
        rollback: Callable[..., Any] | None = None,
        secret_requests: list[str] | tuple[str, ...] = (),
        cache: bool | int | float | timedelta = False,
        metadata: bool = False,
    ) -> Callable[[Callable[..., Any]], task]:
        def wrapper(func: Callable[..., Any]) -> task:
            return task(
                func,
                name,
                retry_max_attempts,
                retry_delay,
                retry_backoff,
                timeout,
                fallback,
                rollback,
                secret_requests,
                cache,
                metadata,
            )

        return wrapper

    @property
    def name(self) -> str:
        return self.options.name

    def __call__(self, *args: Any, **kwargs: Any) -> Coroutine[Any, Any, Any]:
        return run_task(self.options, self.func, args, kwargs)

    async def map(self, items: Any) -> list[Any]:
        """Run this task once per item, concurrently; results keep the items' order."""
        from flux.tasks.parallel import parallel

        return await parallel(*(self(item) for item in items))

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        # Tasks declared as methods bind like functions do.
        if instance is None:
            return self
        return functools.partial(self.__call__, instance)

    def __repr__(self) -> str:
        return f"<task {self.name}>"
