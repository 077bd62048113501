"""Retention on `InMemoryStore`, with the same rules as the SQL adapters
(`retention_statements.py`): the oldest finished executions of one workflow, created and
last updated before the cutoff, with their events, logs and job rows."""

from __future__ import annotations

from datetime import datetime

from flux.domain.events import FINISHED_STATES
from flux.engine.store import EventRow, ExecutionRow
from flux.orchestrator.store import JobRow, Lease, LogChunk
from flux.storage.rows import as_utc


class MemoryRetention:
    _executions: dict[str, ExecutionRow]
    _events: dict[str, dict[int, EventRow]]
    _leases: dict[str, Lease]
    _jobs: dict[str, JobRow]
    _logs: dict[str, dict[tuple[str, int], LogChunk]]

    async def execution_workflow_names(self) -> list[str]:
        return sorted({row.workflow_name for row in self._executions.values()})

    async def prune_executions(self, workflow: str, cutoff: datetime, limit: int) -> int:
        chosen = self._prunable(workflow, cutoff)[:limit]
        for execution_id in chosen:
            for table in (self._executions, self._events, self._leases, self._jobs, self._logs):
                table.pop(execution_id, None)
        return len(chosen)

    async def count_prunable(self, workflow: str, cutoff: datetime) -> int:
        return len(self._prunable(workflow, cutoff))

    def _prunable(self, workflow: str, cutoff: datetime) -> list[str]:
        cutoff = as_utc(cutoff)
        found = [
            row
            for row in self._executions.values()
            if row.workflow_name == workflow
            and row.state in FINISHED_STATES
            and row.created_at < cutoff
            and row.updated_at < cutoff
        ]
        return [row.execution_id for row in sorted(found, key=lambda row: row.created_at)]
