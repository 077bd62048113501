"""`@workflow`: an async function of an `ExecutionContext` that runs durably.

`run()`, `resume()` and `cancel()` are the synchronous facade of local mode: they drive the
engine on this process's embedded store (SQLite by default) with no server involved.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from flux.domain.execution_context import ExecutionContext
from flux.domain.limits import Limits, check_priority
from flux.domain.resource_request import ResourceRequest
from flux.domain.schedule import Schedule
from flux.errors import WorkflowNotFoundError
from flux.local_runtime import local_engine, run_sync
from flux.output_storage import OutputStorage

__all__ = ["get_workflow", "workflow"]

WorkflowFunction = Callable[[ExecutionContext[Any]], Awaitable[Any]]

# Workflows defined in this process by name, so `call("name", ...)` can find them.
_registry: dict[str, workflow] = {}


class workflow:
    def __init__(
        self,
        func: WorkflowFunction,
        name: str | None = None,
        secret_requests: list[str] | tuple[str, ...] = (),
        requests: ResourceRequest | None = None,
        schedule: Schedule | None = None,
        output_storage: OutputStorage | None = None,
        version: str | None = None,
        *,
        concurrency: int | None = None,
        concurrency_key: str | None = None,
        rate_limit: str | None = None,
        rate_limit_key: str | None = None,
        priority: int = 0,
    ):
        self._func = func
        self._name = name or func.__name__
        self.secret_requests = tuple(secret_requests)
        self._requests = requests
        self.schedule = schedule
        # None: the configured output store (flux.output_storage explains the choices).
        self.output_storage = output_storage
        self._version = version
        # Queue options: a server applies them to the runs it queues (read from the uploaded
        # file); checked here too so that a mistake shows before uploading. Local runs start
        # at once and are not limited.
        self.limits = Limits(concurrency, concurrency_key, rate_limit, rate_limit_key)
        self.priority = check_priority(priority)
        functools.update_wrapper(self, func)
        _registry[self._name] = self

    @staticmethod
    def with_options(
        name: str | None = None,
        secret_requests: list[str] | tuple[str, ...] = (),
        requests: ResourceRequest | None = None,
        schedule: Schedule | None = None,
        output_storage: OutputStorage | None = None,
        version: str | None = None,
        *,
        concurrency: int | None = None,
        concurrency_key: str | None = None,
        rate_limit: str | None = None,
        rate_limit_key: str | None = None,
        priority: int = 0,
    ) -> Callable[[WorkflowFunction], workflow]:
        """Queue options, applied by a server to the runs it queues (docs/production.md):
        at most `concurrency` runs at once (per value of the input's `concurrency_key`
        field when given), at most `rate_limit` starts per period such as "10/m" (per
        `rate_limit_key` value when given), and the default `priority` (higher first)."""
        # Checked now, so that a mistake shows where the decorator is written.
        Limits(concurrency, concurrency_key, rate_limit, rate_limit_key)
        check_priority(priority)

        def wrapper(func: WorkflowFunction) -> workflow:
            return workflow(
                func,
                name,
                secret_requests,
                requests,
                schedule,
                output_storage,
                version,
                concurrency=concurrency,
                concurrency_key=concurrency_key,
                rate_limit=rate_limit,
                rate_limit_key=rate_limit_key,
                priority=priority,
            )

        return wrapper

    @property
    def name(self) -> str:
        return self._name

    @property
    def id(self) -> str:
        return self._name

    @property
    def version(self) -> str | None:
        return self._version

    @property
    def requests(self) -> ResourceRequest | None:
        return self._requests

    async def func(self, ctx: ExecutionContext[Any]) -> Any:
        return await self._func(ctx)

    async def __call__(self, ctx: ExecutionContext[Any], *args: Any) -> Any:
        return await self._func(ctx)

    def run(
        self, *args: Any, execution_id: str | None = None, **kwargs: Any
    ) -> ExecutionContext[Any]:
        """Start a new run with the first argument as input, or, given `execution_id`,
        finish an interrupted run by replay (a finished or paused one is returned as is)."""
        if execution_id is not None:
            return run_sync(self._run_existing(execution_id))
        input = args[0] if args else kwargs.pop("input", None)
        return run_sync(self._start(input))

    def resume(self, execution_id: str, input: Any = None) -> ExecutionContext[Any]:
        """Resume a paused run; its `pause(...)` call returns `input`."""
        return run_sync(self._resume(execution_id, input))

    def cancel(self, execution_id: str) -> ExecutionContext[Any]:
        return run_sync(self._cancel(execution_id))

    def get(self, execution_id: str) -> ExecutionContext[Any]:
        """The recorded state of a run, without running anything."""
        return run_sync(self._load(execution_id))

    async def _start(self, input: Any) -> ExecutionContext[Any]:
        return await (await local_engine(self.output_storage)).start(self, input)

    async def _run_existing(self, execution_id: str) -> ExecutionContext[Any]:
        return await (await local_engine(self.output_storage)).run_existing(self, execution_id)

    async def _resume(self, execution_id: str, input: Any) -> ExecutionContext[Any]:
        return await (await local_engine(self.output_storage)).resume(self, execution_id, input)

    async def _cancel(self, execution_id: str) -> ExecutionContext[Any]:
        return await (await local_engine(self.output_storage)).cancel(self, execution_id)

    async def _load(self, execution_id: str) -> ExecutionContext[Any]:
        return await (await local_engine(self.output_storage)).load(self, execution_id)

    def __repr__(self) -> str:
        return f"<workflow {self._name}>"


def get_workflow(name: str) -> workflow:
    try:
        return _registry[name]
    except KeyError:
        raise WorkflowNotFoundError(name) from None
