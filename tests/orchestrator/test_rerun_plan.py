"""Which events of an ended run a rerun starts from (`flux.orchestrator.rerun.plan_rerun`),
and which step a `step_output` can stand in for."""

from __future__ import annotations

import pytest

from flux.domain.events import ExecutionEventType, new_event_id, utcnow
from flux.engine.store import EventRow
from flux.orchestrator.rerun import RerunError, override_step, plan_rerun

E = ExecutionEventType


def log(*entries: tuple[ExecutionEventType, str, str]) -> list[EventRow]:
    """Events (type, step id, name) in log order; workflow events use the run id as step."""
    now = utcnow()
    return [
        EventRow("run", seq, new_event_id(), kind.value, step, name, b"J1", now)
        for seq, (kind, step, name) in enumerate(entries)
    ]


def steps_of(events: list[EventRow]) -> list[tuple[str, str]]:
    return [(e.type, e.source_id) for e in events]


START = [(E.WORKFLOW_SCHEDULED, "run", "wf"), (E.WORKFLOW_STARTED, "run", "wf")]


def test_a_sequential_run_reuses_the_steps_before_the_failure() -> None:
    events = log(
        *START,
        (E.TASK_STARTED, "0", "fetch"),
        (E.TASK_COMPLETED, "0", "fetch"),
        (E.TASK_STARTED, "1", "charge"),
        (E.TASK_RETRY_STARTED, "1", "charge"),
        (E.TASK_RETRY_FAILED, "1", "charge"),
        (E.TASK_FAILED, "1", "charge"),
        (E.WORKFLOW_FAILED, "run", "wf"),
    )
    plan = plan_rerun(events)
    assert (plan.reused, plan.failed_step) == (["0"], "1")
    assert steps_of(plan.events) == [("TASK_STARTED", "0"), ("TASK_COMPLETED", "0")]


def test_parallel_branches_that_started_before_the_failure_are_reused() -> None:
    events = log(
        *START,
        (E.TASK_STARTED, "0", "a"),
        (E.TASK_STARTED, "1", "b"),
        (E.TASK_STARTED, "2", "c"),
        (E.TASK_FAILED, "1", "b"),
        (E.TASK_COMPLETED, "0", "a"),
        (E.TASK_COMPLETED, "2", "c"),
        (E.WORKFLOW_FAILED, "run", "wf"),
    )
    plan = plan_rerun(events)
    assert (plan.reused, plan.failed_step) == (["0", "2"], "1")


def test_after_a_failure_the_workflow_caught_everything_runs_again() -> None:
    events = log(
        *START,
        (E.TASK_STARTED, "0", "try_card"),
        (E.TASK_FAILED, "0", "try_card"),
        (E.TASK_STARTED, "1", "try_invoice"),
        (E.TASK_COMPLETED, "1", "try_invoice"),
        (E.TASK_STARTED, "2", "ship"),
        (E.TASK_FAILED, "2", "ship"),
        (E.WORKFLOW_FAILED, "run", "wf"),
    )
    plan = plan_rerun(events)
    assert (plan.reused, plan.failed_step) == ([], "0")


def test_a_failure_handled_inside_a_step_that_completed_is_not_the_cut() -> None:
    events = log(
        *START,
        (E.TASK_STARTED, "0", "outer"),
        (E.TASK_STARTED, "0.0", "inner"),
        (E.TASK_FAILED, "0.0", "inner"),
        (E.TASK_COMPLETED, "0", "outer"),
        (E.TASK_STARTED, "1", "after"),
        (E.TASK_COMPLETED, "1", "after"),
        (E.TASK_STARTED, "2", "last"),
        (E.TASK_STARTED, "2.0", "inner"),
        (E.TASK_COMPLETED, "2.0", "inner"),
        (E.TASK_STARTED, "2.1", "inner"),
        (E.TASK_FAILED, "2.1", "inner"),
        (E.TASK_FAILED, "2", "last"),
        (E.WORKFLOW_FAILED, "run", "wf"),
    )
    plan = plan_rerun(events)
    # "2" runs again; its inner step that completed is replayed inside it.
    assert (plan.reused, plan.failed_step) == (["0", "1", "2.0"], "2.1")


def test_resumed_pauses_and_progress_are_reused_an_open_pause_is_not() -> None:
    events = log(
        *START,
        (E.TASK_PAUSED, "0", "pause"),
        (E.WORKFLOW_PAUSED, "0", "wf"),
        (E.WORKFLOW_RESUMED, "0", "wf"),
        (E.WORKFLOW_CLAIMED, "run", "wf"),
        (E.TASK_RESUMED, "0", "pause"),
        (E.TASK_PROGRESS, "1", "progress"),
        (E.TASK_STARTED, "2", "work"),
        (E.TASK_COMPLETED, "2", "work"),
        (E.TASK_PAUSED, "3", "pause"),
        (E.WORKFLOW_PAUSED, "3", "wf"),
        (E.WORKFLOW_CANCELLED, "run", "wf"),
    )
    plan = plan_rerun(events)
    assert (plan.reused, plan.failed_step) == (["0", "1", "2"], None)
    assert ("WORKFLOW_RESUMED", "0") in steps_of(plan.events)
    assert ("WORKFLOW_PAUSED", "0") not in steps_of(plan.events)


def test_nothing_recorded_after_the_end_event_is_reused() -> None:
    events = log(
        *START,
        (E.TASK_STARTED, "0", "a"),
        (E.TASK_STARTED, "1", "b"),
        (E.TASK_COMPLETED, "0", "a"),
        (E.WORKFLOW_CANCELLED, "run", "wf"),
        (E.TASK_COMPLETED, "1", "b"),
    )
    assert plan_rerun(events).reused == ["0"]


def test_which_step_a_step_output_can_stand_in_for() -> None:
    events = log(
        *START,
        (E.TASK_STARTED, "0", "outer"),
        (E.TASK_STARTED, "0.0", "inner"),
        (E.TASK_FAILED, "0.0", "inner"),
        (E.TASK_COMPLETED, "0", "outer"),
        (E.TASK_PAUSED, "1", "pause"),
        (E.TASK_STARTED, "2", "charge"),
        (E.TASK_STARTED, "2.0", "card"),
        (E.TASK_COMPLETED, "2.0", "card"),
        (E.TASK_FAILED, "2", "charge"),
        (E.WORKFLOW_FAILED, "run", "wf"),
    )
    plan = plan_rerun(events)
    target, name, kept = override_step(plan, events, None)
    assert (target, name) == ("2", "charge")
    assert "2.0" not in {e.source_id for e in kept}, "its body does not run: inner steps go"
    with pytest.raises(RerunError, match="step '0' finished in the original run"):
        override_step(plan, events, "0")
    with pytest.raises(RerunError, match="inside step '0', which is reused"):
        override_step(plan, events, "0.0")
    with pytest.raises(RerunError, match="'pause' point"):
        override_step(plan, events, "1")
    with pytest.raises(RerunError, match="has no step '9'"):
        override_step(plan, events, "9")
    cancelled = log(
        *START,
        (E.TASK_STARTED, "0", "a"),
        (E.TASK_COMPLETED, "0", "a"),
        (E.WORKFLOW_CANCELLED, "run", "wf"),
    )
    with pytest.raises(RerunError, match="no failed step"):
        override_step(plan_rerun(cancelled), cancelled, None)
