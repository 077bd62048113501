"""Where a workflow's outputs are kept. Today every value is kept inline in the event log;
the option exists so flux-core files that pass `output_storage=` keep importing and running."""

from __future__ import annotations

from typing import Any


class OutputStorage:
    """Keeps a value and hands back what the event log records for it."""

    def store(self, value: Any) -> Any:
        return value

    def retrieve(self, reference: Any) -> Any:
        return reference


class InlineOutputStorage(OutputStorage):
    """Values live in the event log itself (the default)."""


__all__ = ["InlineOutputStorage", "OutputStorage"]
