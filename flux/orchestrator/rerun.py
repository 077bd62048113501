"""Re-running a FAILED or CANCELLED execution from where it stopped.

A rerun is a new execution (new id) of the same workflow whose log starts with the steps the
original finished: the worker's engine replays them (their bodies do not run again, their
recorded values are returned) and runs everything else. The original is left as it was; the
rerun's first event (`WORKFLOW_SCHEDULED`) names it, so no column is needed for the link.

Which steps are reused (`plan_rerun`): the log is read up to the run's end event; its first
step failure that escaped into the workflow code (a failure inside a step that still
completed does not count) is the point the rerun goes back to. Every step that had started
before that failure and finished (completed; for a `pause`, was resumed) is reused with all
its events; the failed step, the steps in flight and everything that started after the
failure run again. Cutting at the failure keeps the rerun deterministic when the workflow
caught the error and went on: what it did next depended on that failure, which may not
happen again. Parallel branches that started before the failure are reused even if they
finished after it.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flux.api.rerun import LATEST, ORIGINAL, RerunRequest
from flux.builtin_workflows import is_builtin
from flux.domain.events import ExecutionEventType, ExecutionState, new_event_id, utcnow
from flux.domain.limits import RunLimits
from flux.engine.store import EventRow, ExecutionExistsError, ExecutionRow
from flux.errors import ExecutionNotFoundError, FluxError, WorkflowNotFoundError
from flux.orchestrator.idempotency import derived_id
from flux.orchestrator.limits import queue_options
from flux.orchestrator.store import RunRow, WorkflowRow, server_event

if TYPE_CHECKING:
    from flux.orchestrator.service import Orchestrator, Outcome

_E = ExecutionEventType
_S = ExecutionState
RERUNNABLE = (_S.FAILED, _S.CANCELLED)
_ENDS = {_E.WORKFLOW_COMPLETED.value, _E.WORKFLOW_FAILED.value, _E.WORKFLOW_CANCELLED.value}
# Steps that only record something of the workflow's own (no body runs): never overridden.
_NOT_OVERRIDABLE = {"pause", "progress"}
# Shortest prefix of a version hash accepted in place of the whole (the CLI shows 12).
_MIN_VERSION_PREFIX = 6


class RerunError(FluxError, ValueError):
    """A rerun request that does not fit the execution (an unknown step, a version the
    workflow never had): 400."""


class RerunRefusedError(FluxError):
    """The execution cannot be rerun (not FAILED or CANCELLED, a subworkflow, a built-in
    workflow): 409."""


@dataclass(frozen=True, slots=True)
class RerunPlan:
    """What a rerun starts from: the original's events to copy (in log order, not yet
    renumbered), the steps they reuse, and the failure the rerun goes back to."""

    events: list[EventRow]
    reused: list[str]
    failed_step: str | None


def plan_rerun(events: Sequence[EventRow]) -> RerunPlan:
    """Which of an ended run's events a rerun keeps (see the module's docstring)."""
    log = _until_end(events)
    completed = {e.source_id for e in log if e.type == _E.TASK_COMPLETED.value}
    cut = _first_escaped_failure(log, completed)
    before = log if cut is None else log[:cut]
    started = list(dict.fromkeys(e.source_id for e in before if not _is_workflow_event(e)))
    resumed = {e.source_id for e in log if e.type == _E.WORKFLOW_RESUMED.value}
    progress = {e.source_id for e in log if e.type == _E.TASK_PROGRESS.value}
    finished = completed | resumed | progress
    reused = [step for step in started if step in finished]
    keep = set(reused)
    # The resume answers of reused pause points are workflow events, indexed by their step.
    copied = [
        e
        for e in log
        if e.source_id in keep
        and (not _is_workflow_event(e) or e.type == _E.WORKFLOW_RESUMED.value)
    ]
    failed = log[cut].source_id if cut is not None else None
    return RerunPlan(copied, reused, failed)


def _until_end(events: Sequence[EventRow]) -> list[EventRow]:
    log: list[EventRow] = []
    for event in events:
        if event.type in _ENDS:
            break
        log.append(event)
    return log


def _is_workflow_event(event: EventRow) -> bool:
    return event.type.startswith("WORKFLOW_")


def _first_escaped_failure(log: list[EventRow], completed: set[str]) -> int | None:
    for index, event in enumerate(log):
        if event.type != _E.TASK_FAILED.value:
            continue
        # A failure inside a step that went on to complete was handled by that step.
        if not any(a in completed for a in _ancestors(event.source_id)):
            return index
    return None


def _ancestors(step_id: str) -> list[str]:
    parts = step_id.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _inside(step_id: str, ancestor: str) -> bool:
    return step_id.startswith(ancestor + ".")


def _step_name(events: Sequence[EventRow], step_id: str) -> str | None:
    return next(
        (e.name for e in events if e.source_id == step_id and not _is_workflow_event(e)), None
    )


def override_step(
    plan: RerunPlan, events: Sequence[EventRow], step_id: str | None
) -> tuple[str, str, list[EventRow]]:
    """The step `step_output` stands in for (default: the failed one), its recorded name,
    and the plan's events without that step's inner steps (its body will not run).
    RerunError when it cannot be overridden."""
    target = step_id or plan.failed_step
    if target is None:
        raise RerunError(
            "the execution has no failed step to give an output for; name one with step_id"
        )
    name = _step_name(events, target)
    if name is None:
        raise RerunError(f"the execution has no step '{target}'")
    if target in plan.reused:
        raise RerunError(
            f"step '{target}' finished in the original run and is reused as recorded; "
            "only a step that runs again can be given an output"
        )
    outer = next((a for a in _ancestors(target) if a in plan.reused), None)
    if outer is not None:
        raise RerunError(
            f"step '{target}' is inside step '{outer}', which is reused as recorded, so it "
            "does not run again"
        )
    if name in _NOT_OVERRIDABLE:
        raise RerunError(f"step '{target}' is a '{name}' point, not a task or subworkflow call")
    kept = [e for e in plan.events if not _inside(e.source_id, target)]
    return target, name, kept


async def rerun(
    service: Orchestrator,
    execution_id: str,
    request: RerunRequest,
    *,
    wait: bool,
    detailed: bool,
    idempotency_key: str | None = None,
) -> Outcome:
    """Start the rerun of `execution_id` and answer at once, or when it settles (a sync
    wait ends after `server.sync_timeout`, `settled` False). With an idempotency key the
    server has seen, the execution that key started is answered instead (`replayed`)."""
    from flux.orchestrator.service import SETTLED, Outcome

    original = await service.store.get_run(execution_id, with_events=True)
    if original is None:
        raise ExecutionNotFoundError(execution_id)
    new_id = derived_id(idempotency_key) if idempotency_key else uuid.uuid4().hex
    row = await prepare_rerun(service, original.execution, request, new_id)
    with service.core.waiters.watch(new_id) as watch:
        try:
            run, replayed = await service.enqueue(row), False
        except ExecutionExistsError:
            assert idempotency_key is not None  # a random id cannot collide
            await service.existing_run(new_id, row.workflow_name, idempotency_key)
            run, replayed = await _with_events(service, new_id), True
        if not wait:
            return Outcome(await service.view(run, detailed), replayed=replayed)
        # Read with events whatever `detailed` says: the link to the original is in them.
        outcome = await service._wait(run, watch, SETTLED, True)
    view = outcome.view if detailed else outcome.view.model_copy(update={"events": None})
    return Outcome(view, outcome.settled, replayed)


async def _with_events(service: Orchestrator, execution_id: str) -> RunRow:
    run = await service.store.get_run(execution_id, with_events=True)
    if run is None:  # pruned between the insert that failed and this read
        raise ExecutionNotFoundError(execution_id)
    return run


async def prepare_rerun(
    service: Orchestrator, original: ExecutionRow, request: RerunRequest, execution_id: str
) -> ExecutionRow:
    """The SCHEDULED execution (with its first events) that reruns `original`, not stored
    yet. RerunRefusedError, RerunError, WorkflowNotFoundError."""
    _check_rerunnable(original)
    workflow = await _version(service, original, request.version)
    codec = service.core.codec
    plan = plan_rerun(original.events)
    events, overridden = plan.events, None
    extra: list[tuple[_E, str, str, bytes | None]] = []
    if request.has_step_output:
        overridden, name, events = override_step(plan, original.events, request.step_id)
        value = codec.dumps(request.step_output, f"the output given for step '{overridden}'")
        extra = [
            (_E.TASK_STARTED, overridden, name, None),
            (_E.TASK_COMPLETED, overridden, name, value),
        ]
    elif request.step_id is not None:
        raise RerunError("step_id names the step that step_output is for; give step_output too")
    now = utcnow()
    origin = {
        "rerun_of": original.execution_id,
        "failed_step": plan.failed_step,
        "reused_steps": len(plan.reused),
        "step_output_for": overridden,
    }
    first = server_event(
        execution_id,
        0,
        _E.WORKFLOW_SCHEDULED,
        original.workflow_name,
        codec.dumps(origin, "the rerun's origin"),
        now,
    )
    copied = [_renumbered(e, execution_id, seq) for seq, e in enumerate(events, start=1)]
    seq = len(copied) + 1
    added = [
        EventRow(execution_id, seq + i, new_event_id(), kind.value, step, name, value, now)
        for i, (kind, step, name, value) in enumerate(extra)
    ]
    metadata = json.loads(workflow.metadata)
    requests = metadata.get("requests")
    input_blob = (
        codec.dumps(request.input, "the workflow input") if request.has_input else original.input
    )
    limits = _rerun_limits(service, original, workflow, metadata, request)
    # Built from the original so that what else describes how it runs (its place in the
    # queue) carries over; everything of the original's own run is replaced.
    return dataclasses.replace(
        original,
        execution_id=execution_id,
        state=_S.SCHEDULED,
        input=input_blob,
        output=None,
        created_at=now,
        updated_at=now,
        workflow_version=workflow.version,
        requests=json.dumps(requests) if requests else None,
        limits=limits,
        events=[first, *copied, *added],
    )


def _rerun_limits(
    service: Orchestrator,
    original: ExecutionRow,
    workflow: WorkflowRow,
    metadata: dict[str, Any],
    request: RerunRequest,
) -> RunLimits | None:
    """The limits the rerun is admitted under: a limit key is read from the input (e.g. a
    concurrency per customer), and the chosen version may declare other limits, so they are
    worked out again whenever either differs from the original's. Its priority carries over."""
    if not request.has_input and workflow.version == original.workflow_version:
        return original.limits
    if request.has_input:
        value = request.input
    else:
        try:
            value = service.core.codec.loads(original.input) if original.input else None
        except Exception:  # an input the server cannot decode: keep the keys it had
            return original.limits
    return queue_options(original.workflow_name, metadata, value, original.priority)[1]


def _check_rerunnable(original: ExecutionRow) -> None:
    execution_id = original.execution_id
    if original.state not in RERUNNABLE:
        raise RerunRefusedError(
            f"cannot rerun execution '{execution_id}': it is {original.state.value}; only "
            "FAILED and CANCELLED executions can be rerun"
        )
    if original.parent_execution_id is not None:
        raise RerunRefusedError(
            f"execution '{execution_id}' is a subworkflow of "
            f"'{original.parent_execution_id}': rerun that execution instead"
        )
    if is_builtin(original.workflow_name):
        raise RerunRefusedError(
            f"execution '{execution_id}' is a run of the built-in workflow "
            f"'{original.workflow_name}', which cannot be rerun"
        )


async def _version(service: Orchestrator, original: ExecutionRow, wanted: str) -> WorkflowRow:
    name, store = original.workflow_name, service.store
    if wanted == LATEST or (wanted == ORIGINAL and original.workflow_version is None):
        found = await store.get_workflow(name)
        if found is None:
            raise WorkflowNotFoundError(name)
        return found
    version = original.workflow_version if wanted == ORIGINAL else wanted
    assert version is not None
    found = await store.get_workflow(name, version)
    if found is None and wanted != ORIGINAL and len(version) >= _MIN_VERSION_PREFIX:
        matches = [v for v in await store.workflow_versions(name) if v.startswith(version)]
        if len(matches) == 1:
            found = await store.get_workflow(name, matches[0])
    if found is None:
        raise RerunError(f"workflow '{name}' has no version '{version}'")
    return found


def _renumbered(event: EventRow, execution_id: str, seq: int) -> EventRow:
    # A fresh event id: the copy is a new event of another execution; its time stays the
    # time the step really ran.
    return EventRow(
        execution_id,
        seq,
        new_event_id(),
        event.type,
        event.source_id,
        event.name,
        event.value,
        event.time,
    )


__all__ = [
    "RERUNNABLE",
    "RerunError",
    "RerunPlan",
    "RerunRefusedError",
    "plan_rerun",
    "prepare_rerun",
    "rerun",
]
