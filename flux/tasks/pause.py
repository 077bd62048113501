"""Pause points: a run stops here until `workflow.resume(execution_id, input)`."""

from __future__ import annotations

from typing import Any

from flux.domain.events import ExecutionEventType
from flux.engine.runtime import require_run
from flux.engine.steps import current_scope
from flux.errors import PauseRequested

_STEP_NAME = "pause"


async def pause(name: str, output: Any = None) -> Any:
    """Pause the run at this point, exposing `output` to whoever looks at it; returns the
    input given to `resume` once the run is resumed."""
    run = require_run("pause()")
    step_id = current_scope.get().next_step_id()
    recorded = run.history.visit(step_id, _STEP_NAME)
    cp = run.checkpointer
    if recorded is not None and recorded.has_resume_value:
        if not recorded.resumed:
            cp.add(ExecutionEventType.TASK_RESUMED, step_id, _STEP_NAME, recorded.resume_value)
            await cp.commit()
        return recorded.resume_value
    if recorded is None or not recorded.paused:
        cp.add(
            ExecutionEventType.TASK_PAUSED, step_id, _STEP_NAME, {"name": name, "output": output}
        )
    raise PauseRequested(step_id, name, output)
