"""flux-core 0.2.x import path for the decorators and TaskMetadata."""

from flux.domain.task_metadata import TaskMetadata
from flux.task import task
from flux.workflow import workflow

__all__ = ["TaskMetadata", "task", "workflow"]
