"""What the scheduler tests share: a replica's orchestrator on a given store, driven by a
fake clock (no test sleeps for the minutes or hours it simulates)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flux.codec import Codec
from flux.config import FluxSettings
from flux.domain.events import ExecutionState
from flux.keyring import signing_key
from flux.orchestrator.core import Core
from flux.orchestrator.notify import LocalNotifier
from flux.orchestrator.scheduler import Scheduler
from flux.orchestrator.schedules import ScheduleService
from flux.orchestrator.service import Orchestrator
from flux.orchestrator.store import OrchestratorStore
from flux.orchestrator.values import DisplayDecoder

KEY = "scheduler-tests-key-0123456789abcdef"
REPORT = b"""
from flux import workflow

@workflow
async def report(ctx):
    return ctx.input
"""


class FakeClock:
    def __init__(self, now: datetime):
        self.moment = now

    def now(self) -> datetime:
        return self.moment

    def set(self, moment: datetime) -> None:
        self.moment = moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


@dataclass
class Replica:
    store: OrchestratorStore
    orchestrator: Orchestrator
    scheduler: Scheduler
    schedules: ScheduleService
    clock: FakeClock

    async def create(self, **body: Any) -> str:
        body.setdefault("workflow", "report")
        body.setdefault("name", "every-15")
        return (await self.schedules.create(body)).id

    async def drive(self, until: datetime) -> list[datetime]:
        """Move the clock from fire time to fire time up to `until`, firing at each, as the
        scheduler's loop would with a punctual wake-up; returns the times it fired at."""
        woke = []
        while True:
            due = await self.store.next_schedule_due()
            if due is None or due > until:
                self.clock.set(max(self.clock.now(), until))
                return woke
            self.clock.set(max(self.clock.now(), due))
            woke.append(self.clock.now())
            await self.scheduler.fire_due()

    async def fire_times(self, key: str) -> list[tuple[datetime, str]]:
        """(fire time, run state or SKIPPED), oldest first."""
        view = await self.schedules.get(key, runs=1000)
        return [(run.fire_time, run.state) for run in reversed(view.recent_runs or [])]

    async def finish(self, execution_id: str) -> None:
        await self.store.append_events(execution_id, [], state=ExecutionState.COMPLETED)


@asynccontextmanager
async def replica(
    store: OrchestratorStore, clock: FakeClock, home: Path, database_url: str = "memory://"
) -> AsyncIterator[Replica]:
    settings = FluxSettings(
        database_url=database_url, home=str(home), security={"encryption_key": KEY}
    )
    key = signing_key(settings)
    core = Core(
        store=store,
        notifier=LocalNotifier(),
        settings=settings,
        codec=Codec(settings.serializer, key),
        decoder=DisplayDecoder(key),
    )
    await core.start()
    try:
        orchestrator = Orchestrator(core)
        scheduler = Scheduler(orchestrator, clock)
        schedules = ScheduleService(scheduler)
        orchestrator.on_registered = schedules.sync_workflows
        yield Replica(store, orchestrator, scheduler, schedules, clock)
    finally:
        await core.stop()
