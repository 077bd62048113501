"""The state of one execution while its workflow code runs in this process."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol

from flux.codec import Codec
from flux.domain.execution_context import ExecutionContext
from flux.engine.checkpoint import Checkpointer
from flux.engine.clock import SYSTEM_CLOCK, Clock
from flux.engine.replay import History
from flux.engine.store import ExecutionStore


class SecretSource(Protocol):
    async def get(self, names: list[str]) -> dict[str, Any]: ...


class WorkflowResolver(Protocol):
    """Finds a workflow by name for `call("name")` when the edge running the code knows
    workflows this process has not imported (a worker fetches them from its server)."""

    async def resolve(self, name: str) -> Any: ...


class StepHooks(Protocol):
    """Seams for a test harness (`flux.testing`) around each task step that actually runs
    (replayed steps never reach them). Production leaves `Services.hooks` None, and the task
    runner then skips them: the cost is one attribute read per step."""

    def wrap_body(
        self, execution_id: str, step_id: str, task_name: str, func: Callable[..., Any]
    ) -> Callable[..., Any]:
        """What each attempt of the step calls instead of `func` (to count attempts, inject
        failures or delays, or stop the run before the body)."""

    async def after_step(
        self, execution_id: str, step_id: str, task_name: str, failed: bool
    ) -> None:
        """Called once the step's outcome is durable, before the workflow code sees it."""


@dataclass(slots=True)
class Services:
    """What running workflow code needs from the outside, injected by the edge that runs it."""

    store: ExecutionStore
    codec: Codec
    secrets: SecretSource
    workflows: WorkflowResolver | None = None
    clock: Clock = SYSTEM_CLOCK
    hooks: StepHooks | None = None


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
