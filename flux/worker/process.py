"""The worker: takes executions the server offers, runs them with the engine, keeps its
leases alive, and hands back what it cannot finish.

Everything runs on one event loop: each execution is an asyncio task driving the unchanged
`Engine` over a `RemoteStore`, so hundreds of runs share one connection pool and one
checkpoint stream. No loop here polls: work arrives over SSE, capacity that frees up pulls
queued work only when the worker knows some is waiting, heartbeats tick on a timer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from pydantic import ValidationError

from flux.api.worker_protocol import (
    CancelMessage,
    Claim,
    ClaimBatch,
    ClaimNext,
    DispatchMessage,
    GPUInfo,
    Heartbeat,
    HeartbeatReply,
    Registration,
    Release,
    WorkerRegistration,
    WorkerResources,
)
from flux.codec.masking import MaskingCodec
from flux.config import Configuration
from flux.domain.masking import SecretMasks
from flux.engine.checkpoint import CheckpointError
from flux.engine.engine import Engine, live_runs
from flux.engine.runtime import Services
from flux.errors import ExecutionError, NondeterminismError, TamperedDataError
from flux.jobs.output import output_sink
from flux.output_storage import OutputStorage
from flux.outputs.setup import remote_offloader, with_outputs
from flux.outputs.store import OffloadingStore
from flux.secret_managers import MaskingSecrets
from flux.worker import resources
from flux.worker.connection import (
    CONNECTED,
    ServerConnection,
    ServerError,
    ServerUnavailableError,
    SessionRevokedError,
)
from flux.worker.loader import WorkflowLoader
from flux.worker.logs import LogShipper
from flux.worker.outputs import ServerBlobStore
from flux.worker.remote_store import Lease, LeaseLostError, RemoteSecrets, RemoteStore

log = logging.getLogger("flux.worker")

_OFFER_EVENTS = ("execution_scheduled", "execution_resumed")
_MAX_MISSING_MODULES = 8  # uploaded files a run's log may need before it can be decoded


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    name: str
    server_url: str
    bootstrap_token: str
    home: Path
    max_concurrency: int = 100
    shutdown_grace: float = 30.0


class Worker:
    def __init__(
        self, options: WorkerOptions, *, transport: httpx.AsyncBaseTransport | None = None
    ):
        self.options = options
        self._packages = resources.packages()
        self._gpus: list[GPUInfo] = resources.gpus()
        self._runtimes, self._sandbox = _job_capabilities()
        self.conn = ServerConnection(
            options.server_url, options.bootstrap_token, self._registration, transport=transport
        )
        self.conn.on_revoked = self._revoked
        self.store = RemoteStore(self.conn)
        self.loader = WorkflowLoader(self.conn, options.home / "worker" / "workflows")
        self.masks = SecretMasks()
        self.logs = LogShipper(self.conn, self.masks)
        self._engine: Engine | None = None
        # One engine per output-storage choice of the workflows run here (most share one).
        self._engines: dict[tuple[Any, ...] | None, Engine] = {}
        self._services: Services | None = None
        self._server_outputs = ServerBlobStore(self.conn)
        self._runs: dict[str, asyncio.Task[None]] = {}
        self._reserved = 0  # slots promised to claims still on the wire
        self._offers: list[str] = []
        self._claim_round_scheduled = False
        self._pulling = False
        self._backlog = False  # the server may hold queued work this worker declined
        self._cancelled: set[str] = set()
        self._reoffer: set[str] = set()
        self._background: set[asyncio.Task[Any]] = set()
        self._stop = asyncio.Event()
        self._hurry = asyncio.Event()
        self.draining = False

    def _registration(self) -> WorkerRegistration:
        return WorkerRegistration(
            name=self.options.name,
            resources=self._resources(),
            packages=self._packages,
            python_version=resources.python_version(),
            platform=resources.platform_name(),
            max_concurrency=self.options.max_concurrency,
        )

    def _resources(self) -> WorkerResources:
        report = resources.snapshot(self.options.home, self._gpus)
        report.runtimes, report.sandbox = self._runtimes, self._sandbox
        return report

    @property
    def running(self) -> list[str]:
        return list(self._runs)

    # Lifecycle

    async def run(self) -> int:
        """Serve until `request_stop`; RegistrationRefusedError if the server refuses us,
        SessionRevokedError if an admin revoked our session."""
        try:
            session = await self._register()
            if session is None:
                return 0
            self._start_engine(session)
            log.info(
                "worker '%s' registered with %s (up to %d concurrent executions)",
                self.options.name,
                self.conn.server_url,
                self.options.max_concurrency,
            )
            listener = self._spawn(self._listen())
            beats = self._spawn(self._heartbeats(session.heartbeat_interval))
            await self._stop.wait()
            await self._shut_down()
            for task in (listener, beats):
                task.cancel()
            await asyncio.gather(listener, beats, return_exceptions=True)
            log.info("worker '%s' stopped", self.options.name)
        finally:
            await self.conn.close()
        if self.conn.revoked is not None:
            raise SessionRevokedError(401, self.conn.revoked, "serve")
        return 0

    async def _register(self) -> Registration | None:
        """The session, or None when a stop came while the server was still unreachable."""
        registering = asyncio.ensure_future(self.conn.register())
        stopped = asyncio.ensure_future(self._stop.wait())
        await asyncio.wait([registering, stopped], return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if not registering.done():
            registering.cancel()
            await asyncio.gather(registering, return_exceptions=True)
            return None
        return registering.result()

    def _start_engine(self, session: Registration) -> None:
        # Checkpoints and claims keep retrying through a server restart for as long as a
        # lease would survive it; after that the lease is gone anyway.
        self.conn.retry_for = max(2 * session.lease_ttl, 5.0)
        # Every secret value a run here fetches is masked in all this worker records or
        # ships afterwards (events, errors, live output, its own stdout/stderr).
        codec = MaskingCodec(session.serializer, session.codec_key, self.masks)
        secrets = MaskingSecrets(RemoteSecrets(self.store), self.masks)
        self._services = Services(self.store, codec, secrets, self.loader)
        self._engines.clear()
        self._engine = self._engine_for(None)

    def _engine_for(self, wf: Any) -> Engine:
        """The engine for runs of `wf`: large values go to the server's output store, within
        what the workflow chose (`output_storage=`: all inline, or its own inline limit)."""
        assert self._services is not None
        storage = getattr(wf, "output_storage", None)
        if not isinstance(storage, OutputStorage):
            storage = None
        key = storage.identity() if storage is not None else None
        engine = self._engines.get(key)
        if engine is None:
            settings = Configuration.get().settings
            sink = remote_offloader(settings, storage, self._server_outputs)
            engine = self._engines[key] = Engine(with_outputs(self._services, sink))
        return engine

    def _revoked(self, reason: str) -> None:
        # Stop without the grace period: the server already took this worker's runs back.
        self.request_stop()
        self.request_stop()

    def request_stop(self) -> None:
        """Stop taking work and finish what runs (a second request skips the grace)."""
        if self._stop.is_set():
            self._hurry.set()
        self.draining = True
        self._stop.set()

    async def _shut_down(self) -> None:
        if self._runs:
            log.info(
                "stopping: waiting up to %ss for %d running execution(s)",
                self.options.shutdown_grace,
                len(self._runs),
            )
            await self._wait_for_runs(self.options.shutdown_grace)
        await self._hand_back(list(self._runs))
        await self.logs.close()
        await self.store.drain()
        try:
            await self.conn.call(
                "POST", self.conn.path("disconnect"), what="disconnect", retry_for=1.0
            )
        except (ServerError, ServerUnavailableError) as exc:
            log.debug("disconnect: %s", exc)

    async def _wait_for_runs(self, timeout: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._runs and not self._hurry.is_set() and loop.time() < deadline:
            hurry = asyncio.ensure_future(self._hurry.wait())
            await asyncio.wait(
                [*self._runs.values(), hurry],
                timeout=deadline - loop.time(),
                return_when=asyncio.FIRST_COMPLETED,
            )
            hurry.cancel()

    async def _hand_back(self, roots: list[str]) -> None:
        """Stop runs without recording anything and give their leases back to the server."""
        if not roots:
            return
        log.info("handing %d unfinished run(s) back to the server", len(roots))
        held = {h.execution_id: h.epoch for h in self.store.held()}
        self.store.mark_lost(held)
        tasks = [self._runs[root] for root in roots if root in self._runs]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*(self._release(i, epoch) for i, epoch in held.items()))

    async def _release(self, execution_id: str, epoch: int) -> None:
        try:
            await self.conn.call(
                "POST",
                self.conn.path("release", execution_id),
                Release(epoch=epoch),
                what="release",
                retry_for=2.0,
            )
        except (ServerError, ServerUnavailableError) as exc:
            log.warning("could not hand back execution '%s': %s", execution_id, exc)

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    # The stream of work

    async def _listen(self) -> None:
        async for event in self.conn.listen():
            try:
                if event.event == CONNECTED:
                    self._pull()
                elif event.event in _OFFER_EVENTS:
                    self._offer(DispatchMessage.model_validate_json(event.data).execution_id)
                elif event.event == "execution_cancelled":
                    message = CancelMessage.model_validate_json(event.data)
                    self._spawn(self._cancel(message.execution_id))
            except ValidationError as exc:
                log.warning("ignored a malformed '%s' event: %s", event.event, exc)

    def _free_slots(self) -> int:
        return self.options.max_concurrency - len(self._runs) - self._reserved

    def _offer(self, execution_id: str) -> None:
        if self.draining:
            return
        if execution_id in self._runs:
            # Resumed the moment it paused, while its last run here is still winding down:
            # claimed as soon as that run is gone.
            self._reoffer.add(execution_id)
            return
        self._offers.append(execution_id)
        if not self._claim_round_scheduled:
            # Offers that arrive in the same loop turn (a burst of submissions) are claimed
            # together, in one request.
            self._claim_round_scheduled = True
            asyncio.get_running_loop().call_soon(self._claim_round)

    def _claim_round(self) -> None:
        self._claim_round_scheduled = False
        offers, self._offers = list(dict.fromkeys(self._offers)), []
        free = self._free_slots()
        if len(offers) > free:
            self._backlog = True
        count = min(free, len(offers))
        if count == 1:
            self._reserved += 1
            self._spawn(self._claim_one(offers[0]))
        elif count > 1:
            self._reserved += count
            self._spawn(self._claim_next(count))

    def _pull(self) -> None:
        """Claim queued work this worker fits, up to its free capacity (one pull at a time)."""
        free = self._free_slots()
        if self.draining or self._pulling or free <= 0:
            return
        self._pulling = True
        self._reserved += free
        task = self._spawn(self._claim_next(free))
        task.add_done_callback(self._pulled)

    def _pulled(self, task: asyncio.Task[bool]) -> None:
        self._pulling = False
        # Runs that ended while the pull was on the wire skipped theirs (one at a time): a
        # full batch means more is queued, so take it now rather than when one of the runs
        # just claimed ends (in a burst, the slots sat idle that long).
        if not task.cancelled() and task.exception() is None and task.result():
            self._pull()

    async def _claim_one(self, execution_id: str) -> None:
        try:
            claim = await self.conn.call_model(
                "POST", self.conn.path("claim", execution_id), None, Claim, what="claim"
            )
        except ServerError as exc:
            if exc.status not in (404, 409):  # 409: another worker was faster
                log.warning("claim of '%s' refused: %s", execution_id, exc)
            return
        except Exception as exc:
            log.warning("claim of '%s' failed: %s", execution_id, exc)
            return
        finally:
            self._reserved -= 1
        self._start(claim)

    async def _claim_next(self, count: int) -> bool:
        """Claim up to `count` queued runs; True when the server had that many (it may
        hold more)."""
        try:
            batch = await self.conn.call_model(
                "POST", self.conn.path("claim"), ClaimNext(max=count), ClaimBatch, what="claim"
            )
        except Exception as exc:
            log.warning("claiming queued work failed: %s", exc)
            return False
        finally:
            self._reserved -= count
        self._backlog = len(batch.claims) >= count
        for claim in batch.claims:
            self._start(claim)
        return self._backlog

    # Runs

    def _start(self, claim: Claim) -> None:
        execution_id = claim.execution.execution_id
        if self.draining:
            self._spawn(self._release(execution_id, claim.epoch))
            return
        lease = self.store.adopt(claim)
        task = asyncio.ensure_future(self._execute(lease))
        self._runs[execution_id] = task
        task.add_done_callback(lambda _: self._finished(execution_id))

    def _finished(self, execution_id: str) -> None:
        self._runs.pop(execution_id, None)
        self._cancelled.discard(execution_id)
        self.store.forget(execution_id)
        if execution_id in self._reoffer:
            self._reoffer.discard(execution_id)
            self._offer(execution_id)
        if self._backlog:
            self._pull()

    async def _execute(self, lease: Lease) -> None:
        record = lease.record
        output_sink.set(self.logs)  # this run's task context: script steps ship live output
        try:
            wf = await self.loader.load(record.workflow_name, record.workflow_version)
        except asyncio.CancelledError:
            await self._cancelled_before_start(lease)
            return
        except ServerUnavailableError as exc:
            # Not the workflow's fault: the lease expires and the run is offered again.
            log.warning("cannot fetch workflow '%s': %s", record.workflow_name, exc)
            return
        except Exception as exc:
            await self._fail(lease, f"cannot run workflow '{record.workflow_name}': {exc}")
            return
        try:
            await self._drive(wf, lease)
        except asyncio.CancelledError:
            await self._cancelled_before_start(lease)

    async def _drive(self, wf: Any, lease: Lease) -> None:
        execution_id = lease.execution_id
        try:
            await self._replay(wf, lease)
        except CheckpointError as exc:
            if isinstance(exc.__cause__, LeaseLostError):
                log.info("stopped execution '%s': %s", execution_id, exc.__cause__)
            else:
                log.warning("stopped execution '%s': %s", execution_id, exc)
        except (NondeterminismError, TamperedDataError) as exc:
            # The engine leaves such a run untouched; with a server it would only be handed
            # to the next worker and fail there the same way, so it ends here, saying why.
            await self._fail(lease, str(exc), exc)
        except Exception as exc:
            log.exception("execution '%s' stopped by an unexpected error", execution_id)
            await self._fail(lease, f"worker error: {type(exc).__name__}: {exc}")

    async def _replay(self, wf: Any, lease: Lease) -> None:
        """Run the execution; when its log holds values of a class from an uploaded file not
        loaded yet (a subworkflow's, called by name), load that file and try again."""
        engine = self._engine_for(wf)
        called = [
            e.name.removeprefix("call:") for e in lease.record.events if e.name.startswith("call:")
        ]
        for _ in range(_MAX_MISSING_MODULES):
            try:
                await engine.run_existing(wf, lease.execution_id)
                return
            except ModuleNotFoundError as exc:
                if exc.name is None or not await self.loader.load_missing_module(exc.name, called):
                    raise
        await engine.run_existing(wf, lease.execution_id)

    async def _cancelled_before_start(self, lease: Lease) -> None:
        # A cancel (or a lost lease) that came before the engine had the run: nothing was
        # recorded; handing the lease back lets the server finish the cancel.
        if self.draining or lease.lost or lease.ended:
            return
        self.store.mark_lost([lease.execution_id])
        await self._release(lease.execution_id, lease.epoch)

    async def _fail(self, lease: Lease, message: str, error: BaseException | None = None) -> None:
        assert self._engine is not None
        log.warning("execution '%s' failed: %s", lease.execution_id, message)
        value = error if error is not None else ExecutionError(message=message)
        blob = self._engine.services.codec.dumps(value, "the error")
        try:
            if isinstance(self._engine.services.store, OffloadingStore):
                await self._engine.services.store.flush()  # a very large error message
            await self.store.record_failure(lease, blob)
        except Exception as exc:
            # The lease will expire and the run go to another worker; nothing else to do.
            log.warning("could not record the failure of '%s': %s", lease.execution_id, exc)

    async def _cancel(self, execution_id: str) -> None:
        lease = self.store.lease(execution_id)
        root = lease.root if lease is not None else execution_id
        task = self._runs.get(root)
        if task is None or execution_id in self._cancelled:
            return
        self._cancelled.add(execution_id)
        if not await live_runs.cancel(execution_id) and execution_id == root:
            task.cancel()

    # Heartbeats

    async def _heartbeats(self, interval: float) -> None:
        failures = 0
        while True:
            await asyncio.sleep(interval)
            body = Heartbeat(
                executions=self.store.held(),
                resources=self._resources(),
            )
            try:
                reply = await self.conn.call_model(
                    "POST",
                    self.conn.path("heartbeat"),
                    body,
                    HeartbeatReply,
                    what="heartbeat",
                    retry_for=interval,
                )
            except Exception as exc:
                # A heartbeat that fails is retried at the next tick; leases last several.
                failures += 1
                log.log(logging.WARNING if failures == 1 else logging.DEBUG, "heartbeat: %s", exc)
                continue
            failures = 0
            if reply.lost:
                await self._lost(reply.lost)

    async def _lost(self, execution_ids: list[str]) -> None:
        for root in self.store.mark_lost(execution_ids):
            task = self._runs.get(root)
            if task is None:
                continue
            log.warning("lease of execution '%s' lost: stopping it", root)
            if not await live_runs.cancel(root):
                task.cancel()


def _job_capabilities() -> tuple[dict[str, list[str]], str]:
    """The script runtimes and the sandbox this worker offers jobs, found once at start (a
    `jobs.sandbox` that cannot work here stops the worker with the reason)."""
    from flux.jobs.runner import default_runner  # only workers load the sandbox code

    runner = default_runner(Configuration.get().settings)
    return runner.runtimes.report(), runner.sandbox.name
