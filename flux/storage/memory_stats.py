"""The dashboard's reads on `InMemoryStore`: filtered execution lists and finished runs per
minute, by scanning its dictionaries (it holds what one test or one process makes)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from flux.domain.events import FINISHED_STATES, ExecutionState
from flux.engine.store import ExecutionRow
from flux.orchestrator.store import Lease, MinuteCount, RunQuery, RunRow, WorkflowRow
from flux.storage.rows import as_utc


class MemoryStats:
    _executions: dict[str, ExecutionRow]
    _leases: dict[str, Lease]
    _workflows: dict[tuple[str, str], WorkflowRow]

    def _matches(self, row: ExecutionRow, query: RunQuery) -> bool:
        checks = (
            query.workflow_name in (None, row.workflow_name),
            query.excluded_workflow is None or row.workflow_name != query.excluded_workflow,
            not query.states or row.state in query.states,
            query.created_after is None or row.created_at >= as_utc(query.created_after),
            query.created_before is None or row.created_at < as_utc(query.created_before),
            query.after_run is None or self._listed_after(row, query.after_run),
            query.parent_execution_id in (None, row.parent_execution_id),
            not query.top_level or row.parent_execution_id is None,
        )
        return all(checks) and self._file_matches(row, query)

    @staticmethod
    def _listed_after(row: ExecutionRow, after: tuple[datetime, str]) -> bool:
        return (row.created_at, row.execution_id) < (as_utc(after[0]), after[1])

    def _file_matches(self, row: ExecutionRow, query: RunQuery) -> bool:
        if query.catalog_file is None:
            return True
        version = self._workflows.get((row.workflow_name, row.workflow_version or ""))
        stored_so = version is not None and version.filename == query.catalog_file
        return stored_so != query.other_file

    def _run_copy(self, row: ExecutionRow) -> RunRow:
        return RunRow(replace(row, events=[]), replace(self._leases[row.execution_id]))

    async def search_runs(self, query: RunQuery, limit: int, offset: int) -> list[RunRow]:
        found = [row for row in self._executions.values() if self._matches(row, query)]
        found.sort(key=lambda row: (row.created_at, row.execution_id), reverse=True)
        return [self._run_copy(row) for row in found[offset : offset + limit]]

    async def count_search(self, query: RunQuery) -> int:
        return sum(1 for row in self._executions.values() if self._matches(row, query))

    async def get_runs(self, execution_ids: Sequence[str]) -> list[RunRow]:
        return [
            self._run_copy(self._executions[execution_id])
            for execution_id in dict.fromkeys(execution_ids)
            if execution_id in self._executions
        ]

    async def finished_by_minute(self, since: datetime) -> list[MinuteCount]:
        since = as_utc(since)
        counts: dict[tuple[datetime, ExecutionState], int] = {}
        for row in self._executions.values():
            if row.state in FINISHED_STATES and row.updated_at >= since:
                minute = as_utc(row.updated_at).replace(second=0, microsecond=0)
                counts[(minute, row.state)] = counts.get((minute, row.state), 0) + 1
        return [MinuteCount(minute, state, count) for (minute, state), count in counts.items()]
