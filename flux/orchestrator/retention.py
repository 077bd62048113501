"""Retention: finished executions are deleted once they are older than their workflow's
retention (`retention.days`, overridden per workflow by `retention.workflows`; 0 keeps them);
the sweep also deletes audit records older than `retention.audit_days`.

`prune` is shared by the server's `RetentionSweeper` (every `retention.interval` seconds, in
each replica: deleting is idempotent, so replicas need no coordination) and `flux db prune`.
Each statement deletes at most `retention.batch` executions, so a large backlog is worked
off in short transactions that never stall the hot path for long.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flux.config import FluxSettings, RetentionSettings
from flux.domain.events import utcnow
from flux.orchestrator.audit import prune_audit
from flux.orchestrator.store import OrchestratorStore
from flux.outputs.blobs import BlobStore

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


def outputs_pruner(
    settings: FluxSettings, store: BlobStore
) -> Callable[[], Awaitable[None]] | None:
    """What a server's sweep runs after it deleted executions: deleting the large outputs
    (`flux.outputs.prune`) that only they referenced. None when nothing can be pruned."""
    if settings.database_url.partition("://")[0].lower() == "memory":
        return None

    async def prune_unreferenced() -> None:
        from flux.outputs.prune import prune_outputs

        report = await prune_outputs(
            settings.database_url, store, grace=settings.outputs.prune_grace
        )
        if report.deleted:
            logger.info(
                "retention: deleted %d unreferenced output(s), %d bytes",
                report.deleted,
                report.bytes,
            )

    return prune_unreferenced


class RetentionSweeper:
    def __init__(
        self,
        store: OrchestratorStore,
        settings: RetentionSettings,
        after: Callable[[], Awaitable[None]] | None = None,
    ):
        self._store = store
        self._settings = settings
        self._after = after  # run after a sweep that deleted something
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
                    if self._after is not None:
                        await self._after()
                audited = await prune_audit(
                    self._store, self._settings.audit_days, self._settings.batch
                )
                if audited:
                    logger.info("retention: deleted %d audit record(s)", audited)
            except Exception as exc:
                # The database may be restarting: the next sweep tries again.
                logger.warning("retention sweep failed: %s", exc)
            await asyncio.sleep(self._settings.interval)


def _summary(deleted: dict[str, int]) -> str:
    return ", ".join(f"{count} of {name}" for name, count in sorted(deleted.items()))
