"""Where a running script's output goes while it runs (live logs).

The edge that runs workflows sets `output_sink` for a run: the worker ships chunks to its
server so that followers see them live; local runs set nothing and keep only the attempt's
final record. Kept apart from the runner so that the worker can depend on it without
depending on sandboxes.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Protocol


class StepOutput(Protocol):
    def write(self, text: str) -> None: ...

    def close(self) -> None:
        """The step ended: its record carries the whole output, unsent text can go."""


class OutputSink(Protocol):
    def open(self, execution_id: str, step_id: str) -> StepOutput: ...


output_sink: ContextVar[OutputSink | None] = ContextVar("flux_output_sink", default=None)
