"""What one running app holds, built by the lifespan and reached by the routes."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request

from flux.orchestrator.api_keys import ApiKeyService
from flux.orchestrator.audit import AuditLog
from flux.orchestrator.core import Core
from flux.orchestrator.dags import DagService
from flux.orchestrator.jobs import JobService
from flux.orchestrator.recovery import LeaseSweeper
from flux.orchestrator.retention import RetentionSweeper
from flux.orchestrator.schedules import ScheduleService
from flux.orchestrator.service import Orchestrator
from flux.orchestrator.timers import RunAtTimer
from flux.orchestrator.workers import WorkerGateway
from flux.outputs.offload import Offloader
from flux.server.metrics import ServerMetrics
from flux.server.tracing import TraceExporter


@dataclass
class ServerState:
    core: Core
    orchestrator: Orchestrator
    gateway: WorkerGateway
    sweeper: LeaseSweeper
    metrics: ServerMetrics
    jobs: JobService
    dags: DagService
    timer: RunAtTimer
    schedules: ScheduleService
    retention: RetentionSweeper
    api_keys: ApiKeyService  # verified by flux.server.auth on every request
    audit: AuditLog  # who did what, buffered and written in batches (docs/audit.md)
    traces: TraceExporter | None = None
    outputs: Offloader | None = None  # the output store workers upload large values to
    background: set[asyncio.Task[Any]] = field(default_factory=set)
    stopping: bool = False

    def close_sessions(self) -> None:
        """End every worker's SSE stream for a shutdown. Their leases are kept: the workers
        keep running and reconnect (to this server restarted, or to another replica); if
        they are gone too, the leases expire and the sweeper hands the runs out again."""
        self.stopping = True
        for session in list(self.core.dispatcher.sessions.values()):
            session.close()

    def spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        """Run `work` outside the request's cancel scope (cleanup after a client left)."""
        task = asyncio.get_running_loop().create_task(work)
        self.background.add(task)
        task.add_done_callback(self.background.discard)


# Dependencies are `async def` on purpose: FastAPI runs plain `def` ones in a thread pool,
# a thread hop that would cost more than the rest of a small request.


async def _state(request: Request) -> ServerState:
    state: ServerState = request.app.state.flux
    return state


async def _orchestrator(request: Request) -> Orchestrator:
    state: ServerState = request.app.state.flux
    return state.orchestrator


async def _gateway(request: Request) -> WorkerGateway:
    state: ServerState = request.app.state.flux
    return state.gateway


async def _jobs(request: Request) -> JobService:
    state: ServerState = request.app.state.flux
    return state.jobs


async def _dags(request: Request) -> DagService:
    state: ServerState = request.app.state.flux
    return state.dags


async def _schedules(request: Request) -> ScheduleService:
    state: ServerState = request.app.state.flux
    return state.schedules


State = Annotated[ServerState, Depends(_state)]
Schedules = Annotated[ScheduleService, Depends(_schedules)]
Dags = Annotated[DagService, Depends(_dags)]
Jobs = Annotated[JobService, Depends(_jobs)]
Service = Annotated[Orchestrator, Depends(_orchestrator)]
Gateway = Annotated[WorkerGateway, Depends(_gateway)]
