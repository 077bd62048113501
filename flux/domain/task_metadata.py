from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TaskMetadata:
    """Given to a task declared with `metadata=True` as its `metadata` keyword argument."""

    task_id: str
    task_name: str
