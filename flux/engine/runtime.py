"""The state of one execution while its workflow code runs in this process."""

from __future__ import annotations

from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol

from flux.codec import Codec
from flux.domain.execution_context import ExecutionContext
from flux.engine.checkpoint import Checkpointer
from flux.engine.replay import History
from flux.engine.store import ExecutionStore


class SecretSource(Protocol):
    async def get(self, names: list[str]) -> dict[str, Any]: ...


class WorkflowResolver(Protocol):
    """Finds a workflow by name for `call("name")` when the edge running the code knows
    workflows this process has not imported (a worker fetches them from its server)."""

    async def resolve(self, name: str) -> Any: ...


@dataclass(slots=True)
class Services:
    """What running workflow code needs from the outside, injected by the edge that runs it."""

    store: ExecutionStore
    codec: Codec
    secrets: SecretSource
    workflows: WorkflowResolver | None = None


@dataclass(slots=True)
class ActiveRun:
    ctx: ExecutionContext[Any]
    checkpointer: Checkpointer
    history: History
    services: Services
    engine: Any  # the Engine driving this run; typed loosely to keep this module at the bottom


current_run: ContextVar[ActiveRun | None] = ContextVar("flux_current_run", default=None)


def active_run() -> ActiveRun | None:
    return current_run.get()


def require_run(what: str) -> ActiveRun:
    run = current_run.get()
    if run is None:
        raise RuntimeError(f"{what} can only be used inside a running workflow")
    return run


def secret_names(*groups: Sequence[str]) -> list[str]:
    return sorted({name for group in groups for name in group})
