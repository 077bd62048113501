from __future__ import annotations

from typing import Any

from flux.domain.events import ExecutionEventType
from flux.engine.runtime import active_run
from flux.engine.steps import current_scope

_STEP_NAME = "progress"


async def progress(value: Any) -> None:
    """Record a progress report of the running step (shown by status and streams). It is
    written with the step's next checkpoint and not repeated on replay."""
    run = active_run()
    if run is None:
        return
    step_id = current_scope.get().next_step_id()
    if run.history.visit(step_id, _STEP_NAME) is not None:
        return
    run.checkpointer.add(ExecutionEventType.TASK_PROGRESS, step_id, _STEP_NAME, value)
