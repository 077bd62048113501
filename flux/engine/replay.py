"""What a recorded run says about each step, indexed for replay."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flux.domain.events import ExecutionEvent, ExecutionEventType
from flux.errors import NondeterminismError

_E = ExecutionEventType
_NOT_RESUMED = object()


@dataclass(slots=True)
class RecordedStep:
    name: str
    completed: bool = False
    failed: bool = False
    value: Any = None
    paused: bool = False
    resumed: bool = False
    resume_value: Any = _NOT_RESUMED

    @property
    def has_resume_value(self) -> bool:
        return self.resume_value is not _NOT_RESUMED


_OUTCOMES = {_E.TASK_COMPLETED: "completed", _E.TASK_FAILED: "failed"}


class History:
    """Steps of a recorded run by step id. Replay consults it before running any step."""

    def __init__(self, execution_id: str, events: list[ExecutionEvent]):
        self.execution_id = execution_id
        self._steps: dict[str, RecordedStep] = {}
        self._visited: set[str] = set()
        for event in events:
            self._index(event)

    def _index(self, event: ExecutionEvent) -> None:
        kind = event.type
        if kind is _E.WORKFLOW_RESUMED:
            # The resume input answers the pause point the run was paused at.
            self._steps.setdefault(
                event.source_id, RecordedStep("pause")
            ).resume_value = event.value
            return
        if kind.is_workflow_event:
            return
        step = self._steps.get(event.source_id)
        if step is None:
            step = self._steps[event.source_id] = RecordedStep(event.name)
        if kind is _E.TASK_COMPLETED:
            step.completed, step.value = True, event.value
        elif kind is _E.TASK_FAILED:
            step.failed, step.value = True, event.value
        elif kind is _E.TASK_PAUSED:
            step.paused = True
        elif kind is _E.TASK_RESUMED:
            step.resumed = True

    def __len__(self) -> int:
        return len(self._steps)

    def visit(self, step_id: str, name: str) -> RecordedStep | None:
        """The recorded step at `step_id`, after checking the code still calls the same thing."""
        step = self._steps.get(step_id)
        if step is None:
            return None
        self._visited.add(step_id)
        if step.name != name:
            raise NondeterminismError(
                self.execution_id, step_id, f"a call to '{step.name}'", f"a call to '{name}'"
            )
        return step

    def _inside_replayed_step(self, step_id: str) -> bool:
        # Steps nested in a step whose outcome was replayed were, rightly, not run again.
        for ancestor in _ancestors(step_id):
            step = self._steps.get(ancestor)
            if ancestor in self._visited and step is not None and (step.completed or step.failed):
                return True
        return False

    def check_all_visited(self) -> None:
        """A workflow that finishes without reaching a recorded step has changed shape."""
        missed = sorted(
            (s for s in set(self._steps) - self._visited if not self._inside_replayed_step(s)),
            key=_step_order,
        )
        if missed:
            step_id = missed[0]
            raise NondeterminismError(
                self.execution_id,
                step_id,
                f"a call to '{self._steps[step_id].name}'",
                "the workflow finishing without making it",
            )


def _ancestors(step_id: str) -> list[str]:
    parts = step_id.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _step_order(step_id: str) -> list[int]:
    return [int(part) for part in step_id.split(".") if part.isdigit()]
