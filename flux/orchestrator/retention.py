"""Retention: finished executions are deleted once they are older than their workflow's
retention (`retention.days`, overridden per workflow by `retention.workflows`; 0 keeps them).

`prune` is shared by the server's `RetentionSweeper` (every `retention.interval` seconds, in
each replica: deleting is idempotent, so replicas need no coordination) and `flux db prune`.
Each statement deletes at most `retention.batch` executions, so a large backlog is worked
off in short transactions that never stall the hot path for long.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flux.config import RetentionSettings
from flux.domain.events import utcnow
from flux.orchestrator.store import OrchestratorStore

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PrunePlan:
    workflow: str
    cutoff: datetime


def plan(
    workflows: list[str], settings: RetentionSettings, now: datetime, only: str | None = None
) -> list[PrunePlan]:
    """The cutoff of each workflow that has one (workflows kept forever are left out)."""
    chosen = [only] if only is not None else workflows
    return [
        PrunePlan(name, now - timedelta(days=settings.days_for(name)))
        for name in chosen
        if settings.days_for(name) > 0
    ]


async def prune(
    store: OrchestratorStore,
    settings: RetentionSettings,
    now: datetime | None = None,
    *,
    workflow: str | None = None,
    dry_run: bool = False,
) -> dict[str, int]:
    """Delete (or, with `dry_run`, count) what retention allows; executions per workflow."""
    moment = now or utcnow()
    done: dict[str, int] = {}
    for item in plan(await store.execution_workflow_names(), settings, moment, workflow):
        if dry_run:
            count = await store.count_prunable(item.workflow, item.cutoff)
        else:
            count = 0
            while True:
                deleted = await store.prune_executions(item.workflow, item.cutoff, settings.batch)
                count += deleted
                if deleted < settings.batch:
                    break
        if count:
            done[item.workflow] = count
    return done


class RetentionSweeper:
    def __init__(self, store: OrchestratorStore, settings: RetentionSettings):
        self._store = store
        self._settings = settings
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="flux-retention")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _loop(self) -> None:
        while True:
            try:
                deleted = await prune(self._store, self._settings)
                if deleted:
                    logger.info("retention: deleted %s", _summary(deleted))
            except Exception as exc:
                # The database may be restarting: the next sweep tries again.
                logger.warning("retention sweep failed: %s", exc)
            await asyncio.sleep(self._settings.interval)


def _summary(deleted: dict[str, int]) -> str:
    return ", ".join(f"{count} of {name}" for name, count in sorted(deleted.items()))
