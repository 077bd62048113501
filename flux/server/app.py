"""`create_app(settings)`: the FastAPI application of one server replica.

The lifespan opens what every request shares, once: the store (migrated), the notifier
(LISTEN on PostgreSQL), the dispatcher and the lease sweeper. Nothing is opened per request.
"""

from __future__ import annotations

import logging
import secrets
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from flux.codec import Codec
from flux.config import FluxSettings
from flux.keyring import signing_key
from flux.orchestrator.api_keys import ApiKeyService, IssuedKey
from flux.orchestrator.audit import AuditLog
from flux.orchestrator.core import Core, Observers
from flux.orchestrator.dags import DagService
from flux.orchestrator.jobs import JobService
from flux.orchestrator.recovery import LeaseSweeper
from flux.orchestrator.retention import RetentionSweeper, outputs_pruner
from flux.orchestrator.scheduler import Scheduler
from flux.orchestrator.schedules import ScheduleService
from flux.orchestrator.service import Orchestrator
from flux.orchestrator.timers import RunAtTimer
from flux.orchestrator.values import DisplayDecoder
from flux.orchestrator.workers import WorkerGateway
from flux.outputs.setup import server_offloader
from flux.secret_managers import check_encryption_key
from flux.server import (
    errors,
    openapi_security,
    routes_admin,
    routes_audit,
    routes_auth,
    routes_dags,
    routes_dashboard,
    routes_executions,
    routes_jobs,
    routes_limits,
    routes_ops,
    routes_schedules,
    routes_workers,
    routes_workflows,
)
from flux.server.audit import AuditMiddleware
from flux.server.auth import AuthMiddleware, Exposure
from flux.server.body_limit import BodyLimitMiddleware, settings_limits
from flux.server.metrics import ServerMetrics
from flux.server.state import ServerState
from flux.server.tracing import TraceExporter
from flux.storage.factory import (
    create_notifier,
    create_orchestrator_store,
    unavailable_errors,
)

logger = logging.getLogger(__name__)


def bootstrap_token(settings: FluxSettings) -> str:
    """`workers.bootstrap_token`, or a new one for this start (logged, so that workers on
    other machines can be given it)."""
    configured = settings.workers.bootstrap_token
    if configured:
        return configured
    token = secrets.token_urlsafe(24)
    logger.warning(
        "workers.bootstrap_token is not set; workers can join this server with the "
        "generated token %s (set FLUX_WORKERS__BOOTSTRAP_TOKEN to keep one across restarts)",
        token,
    )
    return token


async def open_state(settings: FluxSettings, token: str) -> ServerState:
    store = create_orchestrator_store(settings.database_url)
    try:
        await store.ping()  # opens and migrates now, not on the first request
        # Before anything reads the key: a missing key file would otherwise be created anew.
        await check_encryption_key(settings, store)
        key = signing_key(settings)
        outputs = server_offloader(settings)
        metrics = ServerMetrics()
        traces = (
            TraceExporter(settings.telemetry, store) if settings.telemetry.otlp_endpoint else None
        )
        core = Core(
            store=store,
            notifier=create_notifier(settings.database_url),
            settings=settings,
            codec=Codec(settings.serializer, key, outputs),
            decoder=DisplayDecoder(key, outputs),
            observer=Observers((metrics, traces)) if traces is not None else metrics,
        )
        await core.start()
    except BaseException:
        await store.close()
        raise
    timer = RunAtTimer(core)
    jobs = JobService(core)
    jobs.on_delayed = timer.due_at
    orchestrator = Orchestrator(core)
    schedules = ScheduleService(Scheduler(orchestrator))
    orchestrator.on_registered = schedules.sync_workflows
    state = ServerState(
        core=core,
        orchestrator=orchestrator,
        gateway=WorkerGateway(core, token),
        sweeper=LeaseSweeper(core),
        metrics=metrics,
        jobs=jobs,
        dags=DagService(orchestrator, schedules),
        timer=timer,
        schedules=schedules,
        retention=RetentionSweeper(
            core.store, settings.retention, after=outputs_pruner(settings, outputs.store)
        ),
        api_keys=ApiKeyService(core.store),
        audit=AuditLog(core.store),
        traces=traces,
        outputs=outputs,
    )
    state.audit.start()
    state.sweeper.start()
    state.timer.start()
    schedules.scheduler.start()
    state.retention.start()
    return state


async def close_state(state: ServerState) -> None:
    await state.sweeper.stop()
    await state.timer.stop()
    await state.schedules.scheduler.stop()
    await state.retention.stop()
    for task in list(state.background):
        task.cancel()
    if state.traces is not None:
        await state.traces.close()
    await state.audit.stop()  # after the requests: writes what they recorded
    await state.api_keys.close()
    await state.core.stop()
    await state.core.store.close()


def announce_first_key(issued: IssuedKey | None) -> None:
    """Tell the operator, once, the admin key this start created (no admin key existed).
    On stderr, not through logging: it must reach the person who started the server
    whatever the log level, and log collectors should not keep it."""
    if issued is None:
        return
    logger.warning("created the first admin API key %s (printed once on stderr)", issued.row.id)
    sys.stderr.write(
        "\n"
        "  Flux created an admin API key. It is shown only now; keep it somewhere safe:\n\n"
        f"      {issued.key}\n\n"
        "  Use it from the CLI, the Python client and the MCP server with\n"
        f"      export FLUX_API_KEY={issued.key}\n"
        "  and in the dashboard under Settings. Create more keys (with narrower roles) with\n"
        "  `flux auth create-key`; if this one is lost: `flux auth create-key --local`.\n\n"
    )
    sys.stderr.flush()


def create_app(settings: FluxSettings, *, token: str | None = None) -> FastAPI:
    """The app for `settings`; `token` overrides the bootstrap token (the CLI passes the one
    it gave its embedded worker)."""
    worker_token = token or bootstrap_token(settings)
    exposure = Exposure.of(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        for warning in exposure.warnings():
            logger.warning(warning)
        app.state.flux = await open_state(settings, worker_token)
        announce_first_key(await app.state.flux.api_keys.ensure_first_admin())
        try:
            yield
        finally:
            await close_state(app.state.flux)

    app = FastAPI(
        title="Flux",
        summary="Durable workflow orchestration",
        version="0.1.0",
        lifespan=lifespan,
    )
    errors.install(app, unavailable_errors(settings.database_url))
    routers = (
        routes_dashboard,  # first: its /executions/live and /search before /{id}
        routes_dags,
        routes_workflows,
        routes_jobs,
        routes_executions,
        routes_workers,
        routes_admin,
        routes_ops,
        routes_schedules,
        routes_limits,
        routes_audit,
        routes_auth,
    )
    for module in routers:
        app.include_router(module.router)
    openapi_security.install(app)
    # Innermost of the three: a body is counted only for requests authentication let in.
    app.add_middleware(BodyLimitMiddleware, limit_for=settings_limits(settings))
    app.add_middleware(AuthMiddleware, exposure=exposure)
    # Added last, so outermost: it sees the attempts authentication refuses too.
    app.add_middleware(AuditMiddleware)
    return app
