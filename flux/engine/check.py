"""Checking new workflow code against recorded runs, without running anything.

A deploy is safe for a run in flight when its new code, replayed against the run's log,
makes the same calls at the same step positions (docs/replay.md). `check_replay` drives the
new code the way the engine replays a run, with a history that never lets a step run: a
recorded outcome is returned (or its failure raised) as usual, and the first step the
record has no outcome for ends the check there, before any task body, subworkflow, sleep
or cache lookup could happen. Nothing is written: events the replay itself would add (a
resumed pause point, a progress report) go to a store that discards them.

The verdict of one run:

- `diverged`: a recorded position now calls something else (step id, recorded name, new
  name), or the code returns without making a recorded call, or lets a recorded failure
  escape where the old code went on to later recorded steps;
- `error`: the new code raised something no recorded failure explains before reaching the
  recorded steps that follow, so the check cannot tell (values shown by a server are plain
  data: a step that returned an object of the user's own class is seen as its description);
- `ok`: otherwise, with how far the replay went.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flux.codec import Codec
from flux.domain.events import ExecutionEvent, ExecutionState
from flux.domain.execution_context import ExecutionContext, set_current
from flux.engine.checkpoint import Checkpointer
from flux.engine.engine import Engine, WorkflowDefinition
from flux.engine.replay import History, RecordedStep
from flux.engine.runtime import ActiveRun, Services, WorkflowResolver, current_run
from flux.engine.steps import Scope, current_scope
from flux.engine.store import EventRow, ExecutionRow
from flux.errors import ExecutionError, NondeterminismError

OK, DIVERGED, ERROR = "ok", "diverged", "error"
# Steps that only record something of the workflow's own: replaying one that the record
# does not have yet (a progress report added by the new code) has no side effect.
_HARMLESS = "progress"
_DEFAULT_TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class ReplayCheck:
    """The verdict on one recorded run. `expected` is the name recorded at `step_id`;
    `found` the name the new code calls there instead (None when it calls nothing there:
    `detail` says what it does)."""

    execution_id: str
    status: str
    detail: str
    step_id: str | None = None
    expected: str | None = None
    found: str | None = None
    replayed: int = 0  # recorded steps the new code went through

    @property
    def diverged(self) -> bool:
        return self.status == DIVERGED


class _EndOfRecord(BaseException):
    """The code reached a step the record has no outcome for. A BaseException, so that the
    workflow's own `except Exception` cannot swallow it."""

    def __init__(self, step_id: str):
        super().__init__(step_id)
        self.step_id = step_id


class _Diverged(BaseException):
    def __init__(self, step_id: str, expected: str, found: str):
        super().__init__(step_id)
        self.step_id, self.expected, self.found = step_id, expected, found


class _CheckHistory(History):
    def __init__(self, execution_id: str, events: list[ExecutionEvent]):
        super().__init__(execution_id, events)
        self.divergence: _Diverged | None = None
        self.end: str | None = None
        # Failures handed back to the code, to tell them from errors of the code itself.
        self.replayed_failures: set[int] = set()

    def visit(self, step_id: str, name: str) -> RecordedStep | None:
        step = self._steps.get(step_id)
        if step is None:
            if name == _HARMLESS:
                return None
            raise self._stop(step_id)
        self._visited.add(step_id)
        if step.name != name:
            # Kept even if the workflow code catches it, so that it is always reported.
            self.divergence = self.divergence or _Diverged(step_id, step.name, name)
            raise self.divergence
        if step.completed or step.has_resume_value or step.name == _HARMLESS:
            return step
        if step.failed:
            if not isinstance(step.value, BaseException):
                # Shown by a server as text: raise it as the engine raises such values.
                step.value = ExecutionError(message=str(step.value))
            self.replayed_failures.add(id(step.value))
            return step
        raise self._stop(step_id)

    def _stop(self, step_id: str) -> _EndOfRecord:
        if self.end is None:
            self.end = step_id
        return _EndOfRecord(step_id)

    def missed(self) -> tuple[str, str] | None:
        """The first recorded step the code never reached (and whose outcome no replayed
        step covers), with its recorded name."""
        try:
            self.check_all_visited()
        except NondeterminismError as exc:
            return exc.step_id, self._steps[exc.step_id].name
        return None

    @property
    def visited(self) -> int:
        return len(self._visited)


async def check_replay(
    wf: WorkflowDefinition,
    execution_id: str,
    input: Any,
    events: Sequence[ExecutionEvent],
    *,
    workflows: WorkflowResolver | None = None,
    timeout: float = _DEFAULT_TIMEOUT,
) -> ReplayCheck:
    """Replay `wf` (the new code) against a run's recorded `events`; see the module.
    `workflows` finds what `call("name")` names, when this process may not define it (the
    replay only uses its name: a call's recorded outcome stands for the child run)."""
    history = _CheckHistory(execution_id, list(events))
    if len(history) == 0:
        return ReplayCheck(execution_id, OK, "no step recorded yet: nothing to compare")
    ctx: ExecutionContext[Any] = ExecutionContext(
        wf.name, input, execution_id, ExecutionState.RUNNING, list(events)
    )
    # The codec only encodes what the replay adds and the store drops: any key will do.
    codec = Codec("pkl", b"flux-replay-check-key-0123456789")
    services = Services(_DiscardingStore(), codec, _NoSecrets(), workflows)
    checkpointer = Checkpointer(services.store, codec, ctx, len(events))
    run = ActiveRun(ctx, checkpointer, history, services, Engine(services))
    task = asyncio.ensure_future(_drive(wf, run))
    try:
        ending = await asyncio.wait_for(task, timeout)
    except TimeoutError:
        return ReplayCheck(
            execution_id,
            ERROR,
            f"the replay did not finish within {timeout:g} s (does the workflow code wait "
            "on something other than its steps?)",
            replayed=history.visited,
        )
    return _verdict(history, execution_id, ending)


@dataclass(frozen=True, slots=True)
class _Ending:
    stopped: bool = False
    error: BaseException | None = None


async def _drive(wf: WorkflowDefinition, run: ActiveRun) -> _Ending:
    # Its own task: these context variables stay private to this replay, as in the engine.
    current_run.set(run)
    current_scope.set(Scope())
    set_current(run.ctx)
    try:
        await wf.func(run.ctx)
    except (_EndOfRecord, _Diverged):
        return _Ending(stopped=True)
    except Exception as exc:
        return _Ending(error=exc)
    return _Ending()


def _verdict(history: _CheckHistory, execution_id: str, ending: _Ending) -> ReplayCheck:
    replayed = history.visited
    if history.divergence is not None:
        d = history.divergence
        return ReplayCheck(
            execution_id,
            DIVERGED,
            f"step {d.step_id}: the record has a call to '{d.expected}', "
            f"the new code calls '{d.found}'",
            d.step_id,
            d.expected,
            d.found,
            replayed,
        )
    if ending.stopped:
        where = f" at step {history.end}" if history.end else ""
        return ReplayCheck(
            execution_id, OK, f"matches the record up to its end{where}", replayed=replayed
        )
    missed = history.missed()
    if missed is None:
        how = "completes" if ending.error is None else f"raises {_describe(ending.error)}"
        return ReplayCheck(
            execution_id, OK, f"matches the whole record, then {how}", replayed=replayed
        )
    step_id, expected = missed
    if ending.error is None:
        instead = "returns without making it"
    elif _from_record(ending.error, history.replayed_failures):
        instead = f"raises {_describe(ending.error)} before making it"
    else:
        return ReplayCheck(
            execution_id,
            ERROR,
            f"the new code raised {_describe(ending.error)} before reaching step {step_id} "
            f"(a call to '{expected}'); cannot tell whether it diverges",
            step_id,
            expected,
            None,
            replayed,
        )
    return ReplayCheck(
        execution_id,
        DIVERGED,
        f"step {step_id}: the record has a call to '{expected}', the new code {instead}",
        step_id,
        expected,
        None,
        replayed,
    )


def _from_record(error: BaseException, replayed: set[int]) -> bool:
    """Whether `error`, or an exception it was raised from, is a replayed step failure."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if id(current) in replayed:
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _describe(error: BaseException) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


class _NoSecrets:
    async def get(self, names: list[str]) -> dict[str, Any]:
        raise RuntimeError("a replay check never runs a task, so it reads no secret")


class _DiscardingStore:
    """The store of a replay check: what the replay writes is dropped, nothing is read."""

    async def create_execution(self, execution: ExecutionRow, events: Sequence[EventRow]) -> None:
        raise RuntimeError("a replay check never starts an execution")

    async def append_events(
        self,
        execution_id: str,
        events: Sequence[EventRow],
        *,
        state: ExecutionState | None = None,
        output: bytes | None = None,
    ) -> None:
        return None

    async def get_execution(
        self, execution_id: str, *, with_events: bool = True
    ) -> ExecutionRow | None:
        return None

    async def get_events(self, execution_id: str, *, after_seq: int = -1) -> list[EventRow]:
        return []

    async def list_executions(
        self,
        *,
        workflow_name: str | None = None,
        state: ExecutionState | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[ExecutionRow]:
        return []

    async def cache_get(self, key: str, now: datetime) -> bytes | None:
        return None

    async def cache_set(self, key: str, value: bytes, expires_at: datetime | None) -> None:
        return None

    async def secret_get(self, names: Sequence[str]) -> dict[str, bytes]:
        return {}

    async def secret_set(self, name: str, value: bytes) -> None:
        return None

    async def secret_delete(self, name: str) -> bool:
        return False

    async def secret_names(self) -> list[str]:
        return []

    async def close(self) -> None:
        return None


__all__ = ["DIVERGED", "ERROR", "OK", "ReplayCheck", "check_replay"]
