"""`flux.testing.harness()`: your workflows run inline, on an in-memory store, in virtual time.

A harness is one simulated process: one `Engine` on one `InMemoryStore`, driven on one
`VirtualTimeLoop` whose clock the engine also reads (event timestamps, durable-sleep
deadlines, cache expiry). The loop only runs during a harness call (`run`, `advance`, ...),
so virtual time stands still between calls; runs still in flight at the end of a call (ones
a schedule started, typically) carry on in the next.

The synchronous methods run the loop on the calling thread. Called from async code, where
the thread already runs a loop, they use a thread of the harness's own; the `*_async`
variants always do, and await the outcome.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import threading
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, TypeVar

from flux.codec import Codec
from flux.domain.events import ExecutionState
from flux.domain.execution_context import ExecutionContext
from flux.domain.schedule import Schedule
from flux.engine.engine import Engine, WorkflowDefinition
from flux.engine.runtime import Services
from flux.engine.store import EventRow, ExecutionRow
from flux.errors import ExecutionNotFoundError, SecretNotFoundError
from flux.storage.memory import InMemoryStore
from flux.testing.faults import Call, Fault, Faults
from flux.testing.loop import VirtualClock, VirtualTimeLoop
from flux.testing.process import SimulatedProcess
from flux.testing.results import RunResult
from flux.testing.schedules import Fire, Overlap, ScheduledWorkflow, fire_times

T = TypeVar("T")
_S = ExecutionState
# How much virtual time closing grants a crashed process's frozen tasks to unwind.
_UNWIND_LIMIT = 10 * 365 * 86400.0
DEFAULT_RUN_LIMIT = timedelta(days=366)

RunRef = RunResult | str
_Start = Callable[[], Awaitable[ExecutionContext[Any]]]


class HarnessStore(InMemoryStore):
    """The InMemoryStore, except that a crashed process's writes never land: the writing
    task freezes (see `flux.testing.process`)."""

    def __init__(self, process: SimulatedProcess):
        super().__init__()
        self._process = process

    async def create_execution(self, execution: ExecutionRow, events: Sequence[EventRow]) -> None:
        await self._process.check_alive()
        await super().create_execution(execution, events)

    async def append_events(
        self,
        execution_id: str,
        events: Sequence[EventRow],
        *,
        state: ExecutionState | None = None,
        output: bytes | None = None,
    ) -> None:
        await self._process.check_alive()
        await super().append_events(execution_id, events, state=state, output=output)

    async def cache_set(self, key: str, value: bytes, expires_at: datetime | None) -> None:
        await self._process.check_alive()
        await super().cache_set(key, value, expires_at)


class _DictSecrets:
    """Secrets from a plain dict, with the engine's error for missing names."""

    def __init__(self, values: dict[str, Any]):
        self._values = values

    async def get(self, names: list[str]) -> dict[str, Any]:
        missing = [name for name in names if name not in self._values]
        if missing:
            raise SecretNotFoundError(missing)
        return {name: self._values[name] for name in names}


def harness(
    *,
    start: datetime | None = None,
    secrets: Mapping[str, Any] | None = None,
    serializer: str = "pkl",
    run_limit: timedelta | None = DEFAULT_RUN_LIMIT,
) -> Harness:
    """A new `Harness` (see `Harness.__init__`); use it as a context manager (`with` or
    `async with`) so that its event loop is closed."""
    return Harness(start=start, secrets=secrets, serializer=serializer, run_limit=run_limit)


class Harness:
    def __init__(
        self,
        *,
        start: datetime | None = None,
        secrets: Mapping[str, Any] | None = None,
        serializer: str = "pkl",
        run_limit: timedelta | None = DEFAULT_RUN_LIMIT,
    ):
        """`start`: the virtual instant the harness begins at (default: now, to the second).
        `secrets`: what tasks' `secret_requests` get. `serializer`: "pkl" or "json", as the
        setting of that name (use "json" to check your values would store as JSON).
        `run_limit`: the virtual time a run, resume, recover or settle call may take before
        it raises TimeoutError (None: no limit), so that a run that never ends but keeps
        setting timers fails the test instead of spinning through virtual time."""
        self._run_limit = None if run_limit is None else _seconds(run_limit, "run_limit")
        self._loop = VirtualTimeLoop()
        self._runner = asyncio.Runner(loop_factory=lambda: self._loop)
        self.clock = VirtualClock(self._loop, start or datetime.now(UTC).replace(microsecond=0))
        self._process = SimulatedProcess()
        self.store = HarnessStore(self._process)
        self.secrets: dict[str, Any] = dict(secrets or {})
        self.faults = Faults(self.clock, self._process)
        codec = Codec(serializer, os.urandom(32))
        services = Services(
            self.store, codec, _DictSecrets(self.secrets), clock=self.clock, hooks=self.faults
        )
        self.engine = Engine(services)
        self.schedules: list[ScheduledWorkflow] = []
        self.crashes: list[str] = []  # why each simulated crash happened, in order
        self._workflows: dict[str, WorkflowDefinition] = {}
        # The latest task driving each execution, with the process generation it belongs to.
        self._runs: dict[str, tuple[asyncio.Task[RunResult | None], int]] = {}
        self._frozen: set[asyncio.Task[Any]] = set()
        self._crashed: dict[str, None] = {}  # execution ids, in crash order
        self._background_errors: list[BaseException] = []
        self._crash_watch: asyncio.Future[str] | None = None
        self._scheduler: asyncio.Task[None] | None = None
        self._schedules_changed: asyncio.Event | None = None
        self._schedules_dirty = False
        self._lock = threading.Lock()
        self._offloader: concurrent.futures.ThreadPoolExecutor | None = None
        self._closed = False

    # Time

    @property
    def now(self) -> datetime:
        """The virtual instant (aware, UTC)."""
        return self.clock.utcnow()

    def advance(self, by: timedelta | float) -> list[Fire]:
        """Let `by` (a timedelta or seconds) of virtual time pass: runs in flight progress,
        schedules fire. Returns the fire times reached on the way."""
        return self._sync(lambda: self._advance(_seconds(by, "advance()")))

    def advance_to(self, moment: datetime) -> list[Fire]:
        return self.advance(max(0.0, (moment - self.now).total_seconds()))

    async def advance_async(self, by: timedelta | float) -> list[Fire]:
        return await self._async(lambda: self._advance(_seconds(by, "advance()")))

    def settle(self) -> list[RunResult]:
        """Let virtual time pass until every run in flight has ended or paused; their
        results, in the order they started."""
        return self._sync(self._settle)

    async def settle_async(self) -> list[RunResult]:
        return await self._async(self._settle)

    # Runs

    def run(
        self, workflow: WorkflowDefinition, input: Any = None, *, execution_id: str | None = None
    ) -> RunResult:
        """Start a run and drive it until it ends, pauses, or the simulated process crashes."""
        return self._sync(lambda: self._start(workflow, input, execution_id))

    async def run_async(
        self, workflow: WorkflowDefinition, input: Any = None, *, execution_id: str | None = None
    ) -> RunResult:
        return await self._async(lambda: self._start(workflow, input, execution_id))

    def resume(self, run: RunRef, input: Any = None) -> RunResult:
        """Continue a run: a paused one gets `input` as its `pause()` call's value; an
        interrupted one (a crash) is recovered by replay."""
        return self._sync(lambda: self._resume(run, input))

    async def resume_async(self, run: RunRef, input: Any = None) -> RunResult:
        return await self._async(lambda: self._resume(run, input))

    def recover(self, run: RunRef) -> RunResult:
        """Finish an interrupted run by replay, as a restarted worker would: finished steps
        return their recorded results without running again."""
        return self._sync(lambda: self._recover(run))

    async def recover_async(self, run: RunRef) -> RunResult:
        return await self._async(lambda: self._recover(run))

    def recover_all(self) -> list[RunResult]:
        """Recover every run the simulated process was running when it crashed."""
        return [self.recover(execution_id) for execution_id in list(self._crashed)]

    def get(self, run: RunRef) -> RunResult:
        """A run as recorded now, without running anything."""
        return self._sync(lambda: self._get(run))

    async def get_async(self, run: RunRef) -> RunResult:
        return await self._async(lambda: self._get(run))

    @property
    def crashed_runs(self) -> list[str]:
        """Execution ids interrupted by a simulated crash and not recovered yet."""
        return list(self._crashed)

    # Schedules

    def schedule(
        self,
        workflow: WorkflowDefinition,
        schedule: Schedule | None = None,
        *,
        input: Any = None,
        overlap: Overlap = "skip",
    ) -> ScheduledWorkflow:
        """Put `workflow` on `schedule` (default: its own `schedule=` option) from now on;
        it fires as virtual time passes, during any harness call."""
        timing = schedule if schedule is not None else getattr(workflow, "schedule", None)
        if timing is None:
            raise ValueError(f"workflow '{workflow.name}' has no schedule; pass one")
        scheduled = ScheduledWorkflow(workflow, timing, input, overlap, anchor=self.now)
        self.schedules.append(scheduled)
        self._schedules_dirty = True
        return scheduled

    def unschedule(self, scheduled: ScheduledWorkflow) -> None:
        self.schedules.remove(scheduled)
        self._schedules_dirty = True

    def fire_times(
        self,
        schedule: Schedule,
        count: int,
        *,
        after: datetime | None = None,
        anchor: datetime | None = None,
    ) -> list[datetime]:
        """The next `count` fire times of `schedule` after `after` (default: now)."""
        return fire_times(schedule, count, after=after or self.now, anchor=anchor)

    # Faults and what ran

    def fail(
        self,
        error: BaseException | type[BaseException] = RuntimeError,
        *,
        task: str | None = None,
        step: str | int | None = None,
        attempt: int | Iterable[int] | None = None,
        times: int | None = None,
    ) -> Fault:
        """Matching attempts raise `error` instead of running the task body."""
        return self.faults.fail(error, task=task, step=step, attempt=attempt, times=times)

    def delay(
        self,
        seconds: float | timedelta,
        *,
        task: str | None = None,
        step: str | int | None = None,
        attempt: int | Iterable[int] | None = None,
        times: int | None = None,
    ) -> Fault:
        """Matching attempts first wait `seconds` of virtual time (counted by timeouts)."""
        return self.faults.delay(
            _seconds(seconds, "delay()"), task=task, step=step, attempt=attempt, times=times
        )

    def kill_before(
        self,
        *,
        task: str | None = None,
        step: str | int | None = None,
        attempt: int | Iterable[int] | None = None,
        times: int | None = 1,
    ) -> Fault:
        """Crash the simulated process as a matching attempt is about to start."""
        return self.faults.kill_before(task=task, step=step, attempt=attempt, times=times)

    def kill_after(
        self, *, task: str | None = None, step: str | int | None = None, times: int | None = 1
    ) -> Fault:
        """Crash the simulated process once a matching step's outcome is durable."""
        return self.faults.kill_after(task=task, step=step, times=times)

    def calls(
        self,
        task: str | None = None,
        *,
        step: str | int | None = None,
        execution_id: str | None = None,
    ) -> list[Call]:
        """Every attempt of a task body this harness started (a replayed step has none)."""
        return self.faults.calls_of(task, step=step, execution_id=execution_id)

    # Lifecycle

    def __enter__(self) -> Harness:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> Harness:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def close(self) -> None:
        """Stop what still runs and close the event loop. Runs in flight are cancelled;
        a crashed process's frozen tasks unwind without recording anything."""
        if self._closed:
            return
        self._closed = True
        try:
            if _loop_running_here():
                self._offload().submit(self._close_loop).result()
            else:
                self._close_loop()
        finally:
            if self._offloader is not None:
                self._offloader.shutdown(wait=True)

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        offloader = self._offload()
        try:
            await asyncio.wrap_future(offloader.submit(self._close_loop))
        finally:
            offloader.shutdown(wait=True)

    # Driving the loop

    def _sync(self, make: Callable[[], Awaitable[T]]) -> T:
        self._check_open()
        if _loop_running_here():
            # Async code called the sync API: run the harness's loop on its own thread.
            return self._offload().submit(self._drive, make).result()
        return self._drive(make)

    async def _async(self, make: Callable[[], Awaitable[T]]) -> T:
        self._check_open()
        return await asyncio.wrap_future(self._offload().submit(self._drive, make))

    def _drive(self, make: Callable[[], Awaitable[T]]) -> T:
        with self._lock:
            return self._runner.run(self._operation(make))

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("this harness is closed")

    def _offload(self) -> concurrent.futures.ThreadPoolExecutor:
        if self._offloader is None:
            self._offloader = concurrent.futures.ThreadPoolExecutor(1, "flux-testing")
        return self._offloader

    async def _operation(self, make: Callable[[], Awaitable[T]]) -> T:
        """One harness call, in the live generation of the simulated process."""
        self._process.enter()
        watch = self._crash_watch = self._process.watch()
        self._wake_scheduler()
        try:
            result = await make()
        finally:
            self._crash_watch = None
            if watch.done():
                self.crashes.append(watch.result())
                self._note_crash()
            else:
                watch.cancel()
        if self._background_errors:
            error, *_ = self._background_errors
            self._background_errors.clear()
            raise error
        return result

    async def _until_done_or_crash(
        self, awaitable: asyncio.Future[Any], *, bounded: bool = False
    ) -> bool:
        """Wait for `awaitable`; False if the simulated process crashed first. `bounded`:
        raise TimeoutError once the harness's run limit of virtual time has passed."""
        watch = self._crash_watch
        assert watch is not None, "only inside a harness operation"
        loop = self._loop
        limit: asyncio.Future[None] = loop.create_future()
        if bounded and self._run_limit is not None:

            def reached() -> None:
                if not limit.done():
                    limit.set_result(None)

            loop.horizon = loop.time() + self._run_limit
            loop.on_horizon = reached
        try:
            await asyncio.wait({awaitable, watch, limit}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            loop.horizon = loop.on_horizon = None
        if awaitable.done():
            return True
        if watch.done():
            self._note_crash()
            return False
        raise TimeoutError(
            f"still running after {timedelta(seconds=self._run_limit or 0)} of virtual time "
            "(the harness's run_limit): does the workflow wait for something that never "
            "comes, or loop forever?"
        )

    def _note_crash(self) -> None:
        """Every run task of a dead generation is frozen now; its execution is crashed."""
        generation = self._process.generation
        for execution_id, (task, born) in list(self._runs.items()):
            if born < generation and not task.done():
                del self._runs[execution_id]
                self._frozen.add(task)
                self._crashed[execution_id] = None

    # Runs, inside the loop

    def _spawn(
        self, wf: WorkflowDefinition, execution_id: str, start: _Start, *, background: bool
    ) -> asyncio.Task[RunResult | None]:
        generation = self._process.generation

        async def drive() -> RunResult | None:
            # The generation it was started in: a crash before its first step freezes it too.
            self._process.enter(generation)
            self._workflows[execution_id] = wf
            self._crashed.pop(execution_id, None)
            try:
                ctx = await start()
            except Exception as exc:
                if not background:
                    raise
                # Raised from the harness call during which it happened (see _operation).
                self._background_errors.append(exc)
                return None
            return RunResult(ctx, wf)

        running = self._runs.get(execution_id)
        if running is not None and not running[0].done():
            raise RuntimeError(
                f"execution '{execution_id}' is still running in this harness; "
                "advance() or settle() to let it finish"
            )
        task = asyncio.get_running_loop().create_task(drive(), name=f"flux:{execution_id}")
        self._runs[execution_id] = (task, generation)
        return task

    async def _drive_run(
        self, wf: WorkflowDefinition, execution_id: str, start: _Start
    ) -> RunResult:
        task = self._spawn(wf, execution_id, start, background=False)
        if await self._until_done_or_crash(task, bounded=True):
            result = task.result()
            assert result is not None
            return result
        return await self._load(wf, execution_id)

    async def _start(
        self, wf: WorkflowDefinition, input: Any, execution_id: str | None
    ) -> RunResult:
        eid = execution_id or uuid.uuid4().hex
        return await self._drive_run(
            wf, eid, lambda: self.engine.start(wf, input, execution_id=eid)
        )

    async def _recover(self, run: RunRef) -> RunResult:
        wf, eid = await self._identify(run)
        return await self._drive_run(wf, eid, lambda: self.engine.run_existing(wf, eid))

    async def _resume(self, run: RunRef, input: Any) -> RunResult:
        wf, eid = await self._identify(run)

        async def resume() -> ExecutionContext[Any]:
            ctx = await self.engine.load(wf, eid)
            if ctx.state is _S.PAUSED:
                return await self.engine.resume(wf, eid, input)
            if input is not None:
                raise ValueError(
                    f"execution '{eid}' is {ctx.state.value}, not paused: an input is "
                    "only for a pause point"
                )
            return await self.engine.run_existing(wf, eid)

        return await self._drive_run(wf, eid, resume)

    async def _get(self, run: RunRef) -> RunResult:
        return await self._load(*await self._identify(run))

    async def _load(self, wf: WorkflowDefinition, execution_id: str) -> RunResult:
        ctx = await self.engine.load(wf, execution_id)
        return RunResult(ctx, wf, crashed=execution_id in self._crashed)

    async def _identify(self, run: RunRef) -> tuple[WorkflowDefinition, str]:
        if isinstance(run, RunResult):
            return run.workflow, run.execution_id
        wf = self._workflows.get(run)
        if wf is None:
            from flux.workflow import get_workflow

            row = await self.store.get_execution(run, with_events=False)
            if row is None:
                raise ExecutionNotFoundError(run)
            wf = get_workflow(row.workflow_name)
        return wf, run

    async def _advance(self, seconds: float) -> list[Fire]:
        seen = {id(s): len(s.fires) for s in self.schedules}
        await self._fire_due()
        sleeper = asyncio.ensure_future(asyncio.sleep(seconds))
        if await self._until_done_or_crash(sleeper):
            # A fire time equal to the end belongs to this call, whichever timer ran first,
            # and so does whatever is due at the end: the call returns once only later work
            # is left.
            await self._fire_due()
            await self._finish_instant()
        else:
            sleeper.cancel()
        fires = [f for s in self.schedules for f in s.fires[seen.get(id(s), 0) :]]
        return sorted(fires, key=lambda fire: fire.at)

    async def _finish_instant(self) -> None:
        """Run what is due at the current virtual instant until only later work is left
        (or a crash happens)."""
        loop = self._loop
        idle: asyncio.Future[None] = loop.create_future()

        def reached() -> None:
            if not idle.done():
                idle.set_result(None)

        loop.horizon, loop.on_horizon = loop.time(), reached
        try:
            await self._until_done_or_crash(idle)
        finally:
            loop.horizon = loop.on_horizon = None

    async def _settle(self) -> list[RunResult]:
        pending = [(eid, task) for eid, (task, _) in self._runs.items() if not task.done()]
        if pending:
            # asyncio.wait, unlike gather, leaves the runs alone if the waiter is cancelled.
            waiter = asyncio.get_running_loop().create_task(
                asyncio.wait([task for _, task in pending])
            )
            try:
                if not await self._until_done_or_crash(waiter, bounded=True):
                    waiter.cancel()
            except TimeoutError:
                waiter.cancel()
                raise
        results = []
        for eid, task in pending:
            if not task.done():
                results.append(await self._load(self._workflows[eid], eid))
            elif (result := task.result()) is not None:
                results.append(result)
        return results

    # Schedules, inside the loop

    def _wake_scheduler(self) -> None:
        if not self.schedules:
            return
        if self._scheduler is None:
            self._schedules_changed = asyncio.Event()
            self._scheduler = asyncio.get_running_loop().create_task(
                self._run_schedules(), name="flux.testing:scheduler"
            )
        elif self._schedules_dirty and self._schedules_changed is not None:
            self._schedules_changed.set()
        self._schedules_dirty = False

    async def _run_schedules(self) -> None:
        changed = self._schedules_changed
        assert changed is not None
        while True:
            changed.clear()
            await self._fire_due()
            upcoming = [s.next_fire_at for s in self.schedules if s.next_fire_at is not None]
            if not upcoming:
                await changed.wait()
                continue
            delay = self.clock.at(min(upcoming)) - self._loop.time()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), max(delay, 0.0))

    async def _fire_due(self) -> None:
        now = self.now
        for scheduled in list(self.schedules):
            while (at := scheduled.take_due(now)) is not None:
                await self._fire(scheduled, at)

    async def _fire(self, scheduled: ScheduledWorkflow, at: datetime) -> None:
        previous = scheduled.last_execution_id
        if scheduled.overlap == "skip" and previous and not await self._has_ended(previous):
            scheduled.fires.append(Fire(at, None))
            return
        eid = uuid.uuid4().hex
        wf, input = scheduled.workflow, scheduled.input
        self._spawn(
            wf, eid, lambda: self.engine.start(wf, input, execution_id=eid), background=True
        )
        scheduled.fires.append(Fire(at, eid))

    async def _has_ended(self, execution_id: str) -> bool:
        running = self._runs.get(execution_id)
        if running is not None and not running[0].done():
            return False
        row = await self.store.get_execution(execution_id, with_events=False)
        return row is None or row.state.is_terminal

    # Closing

    def _close_loop(self) -> None:
        with self._lock:
            try:
                self._runner.run(self._shutdown())
            finally:
                # asyncio's own shutdown waits on threads with timeouts: real time from here.
                self._loop.follow_real_time()
                self._runner.close()

    async def _shutdown(self) -> None:
        self._process.enter()
        if self._scheduler is not None:
            self._scheduler.cancel()
        self._process.release()
        frozen = [task for task in self._frozen if not task.done()]
        if frozen:
            await asyncio.wait(frozen, timeout=_UNWIND_LIMIT)
        for task in self._frozen:
            if task.done() and not task.cancelled():
                task.exception()  # seen: a crashed run's end is not an error to report
        current = asyncio.current_task()
        rest = [task for task in asyncio.all_tasks() if task is not current]
        for task in rest:
            task.cancel()
        await asyncio.gather(*rest, return_exceptions=True)


def _seconds(duration: timedelta | float, what: str) -> float:
    seconds = duration.total_seconds() if isinstance(duration, timedelta) else float(duration)
    if seconds < 0:
        raise ValueError(f"{what} needs a duration >= 0, not {seconds:g} s")
    return seconds


def _loop_running_here() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
