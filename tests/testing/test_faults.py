"""Fault injection: fail a step or an attempt, delay it, and crash the simulated process."""

from __future__ import annotations

import asyncio

import pytest

from flux import ExecutionContext, ExecutionEventType, ExecutionState, parallel, task, workflow
from flux.testing import Harness

E = ExecutionEventType
effects: list[str] = []
handled: list[str] = []


@pytest.fixture(autouse=True)
def _clean() -> None:
    effects.clear()
    handled.clear()


@task
async def do(name: str) -> str:
    effects.append(name)
    return name.upper()


@workflow
async def three_steps(ctx: ExecutionContext[None]) -> list[str]:
    return [await do("a"), await do("b"), await do("c")]


def test_fail_step_n(h: Harness) -> None:
    h.fail(ValueError("boom"), step=1)
    result = h.run(three_steps)

    assert result.failed and isinstance(result.error, ValueError)
    assert str(result.error) == "boom"
    assert [(s.step_id, s.status) for s in result.steps] == [("0", "completed"), ("1", "failed")]
    assert effects == ["a"]  # step 1's body never ran, step 2 was never reached
    (call,) = h.calls(step=1)
    assert call.injected and isinstance(call.error, ValueError)


def test_an_exception_class_gets_a_message_naming_the_step(h: Harness) -> None:
    h.fail(KeyError, task="do", step="2")
    result = h.run(three_steps)
    assert result.failed
    assert "step 2 (do), attempt 1" in str(result.error)


@task.with_options(retry_max_attempts=3, retry_delay=1)
async def charge(amount: int) -> str:
    effects.append(f"charged {amount}")
    return f"receipt {amount}"


@workflow
async def checkout(ctx: ExecutionContext[int]) -> str:
    return await charge(ctx.input)


def test_fail_a_task_on_given_attempts_then_let_it_succeed(h: Harness) -> None:
    h.fail(ConnectionError("declined"), task="charge", attempt=[1, 2])
    result = h.run(checkout, 25)

    assert result.succeeded and result.output == "receipt 25"
    assert result.step("charge").retries == 2
    assert [c.injected for c in h.calls("charge")] == [True, True, False]
    assert effects == ["charged 25"]


def test_times_limits_how_often_a_fault_fires(h: Harness) -> None:
    fault = h.fail(ConnectionError, task="charge", times=1)
    first = h.run(checkout, 1)
    second = h.run(checkout, 2)
    assert first.step("charge").retries == 1 and second.step("charge").retries == 0
    assert fault.fired == 1


@task.with_options(fallback=lambda order: f"queued {order}")
async def notify(order: str) -> str:
    return f"sent {order}"


@workflow
async def with_fallback(ctx: ExecutionContext[str]) -> str:
    return await notify(ctx.input)


def test_an_injected_failure_goes_through_the_fallback(h: Harness) -> None:
    h.fail(TimeoutError, task="notify")
    result = h.run(with_fallback, "A-1")
    assert result.output == "queued A-1"
    assert result.step("notify").used_fallback


def test_kill_after_step_n_then_recover_does_not_rerun_finished_steps(h: Harness) -> None:
    h.kill_after(step=1)
    crashed = h.run(three_steps)

    assert crashed.crashed and crashed.state is ExecutionState.RUNNING
    assert crashed.event_types == [
        E.WORKFLOW_STARTED,
        E.TASK_STARTED,
        E.TASK_COMPLETED,
        E.TASK_STARTED,
        E.TASK_COMPLETED,
    ]
    assert effects == ["a", "b"]
    assert h.crashed_runs == [crashed.execution_id]
    assert h.crashes == ["killed after step 1 (do) completed"]

    result = h.recover(crashed)
    assert result.succeeded and not result.crashed
    assert result.output == ["A", "B", "C"]
    assert effects == ["a", "b", "c"]  # a and b were replayed from the log
    assert [c.step_id for c in h.calls("do")] == ["0", "1", "2"]
    assert result.event_types.count(E.TASK_STARTED) == 3
    assert h.crashed_runs == []


def test_resume_also_recovers_a_crashed_run(h: Harness) -> None:
    h.kill_after(task="do")
    crashed = h.run(three_steps)
    assert h.resume(crashed.execution_id).output == ["A", "B", "C"]
    assert effects == ["a", "b", "c"]


def test_kill_before_a_step_leaves_it_in_flight_so_recovery_runs_it(h: Harness) -> None:
    h.kill_before(step=2)
    crashed = h.run(three_steps)
    assert effects == ["a", "b"]
    assert crashed.steps[-1].step_id == "1"  # step 2 had not been recorded yet

    assert h.recover(crashed).output == ["A", "B", "C"]
    assert effects == ["a", "b", "c"]


@workflow
async def handles_errors(ctx: ExecutionContext[None]) -> str:
    try:
        await do("a")
        await do("b")
    except Exception as exc:
        handled.append(repr(exc))
        return "handled"
    return "done"


def test_a_crash_runs_none_of_the_workflows_handlers(h: Harness) -> None:
    h.kill_after(step=0)
    crashed = h.run(handles_errors)
    assert crashed.crashed and handled == [] and effects == ["a"]
    assert E.WORKFLOW_FAILED not in crashed.event_types
    assert E.WORKFLOW_CANCELLED not in crashed.event_types
    assert h.recover(crashed).output == "done"
    assert handled == []


@task
async def branch(name: str) -> str:
    effects.append(f"start {name}")
    await asyncio.sleep(10 if name == "slow" else 1)
    effects.append(f"end {name}")
    return name


@workflow
async def fan_out(ctx: ExecutionContext[None]) -> list[str]:
    return await parallel(branch("fast"), branch("slow"))


def test_a_crash_freezes_parallel_branches_too(h: Harness) -> None:
    h.kill_after(step=0)  # the fast branch
    crashed = h.run(fan_out)
    assert effects == ["start fast", "start slow", "end fast"]
    h.advance(60)  # the slow branch belongs to the dead process: it never records its end
    assert h.get(crashed).event_types.count(E.TASK_COMPLETED) == 1

    result = h.recover(crashed)
    assert result.output == ["fast", "slow"]
    assert effects.count("start fast") == 1  # replayed, not run again
    assert [s.status for s in result.steps] == ["completed", "completed"]


def test_recover_all_finishes_every_crashed_run(h: Harness) -> None:
    h.kill_after(step=0, times=2)
    first, second = h.run(three_steps), h.run(three_steps)
    assert first.crashed and second.crashed
    results = h.recover_all()
    assert [r.execution_id for r in results] == [first.execution_id, second.execution_id]
    assert all(r.succeeded for r in results)


def test_recovering_a_finished_run_returns_it_as_recorded(h: Harness) -> None:
    done = h.run(three_steps)
    again = h.recover(done)
    assert again.output == done.output and effects == ["a", "b", "c"]


def test_fault_arguments_are_checked(h: Harness) -> None:
    with pytest.raises(ValueError, match="task="):
        h.fail(ValueError)
    with pytest.raises(ValueError, match="from 1"):
        h.fail(ValueError, task="do", attempt=0)
    with pytest.raises(ValueError, match="times"):
        h.kill_after(task="do", times=0)
    with pytest.raises(TypeError, match="Exception"):
        h.fail(KeyboardInterrupt, task="do")
    with pytest.raises(ValueError, match=">= 0"):
        h.delay(-1, task="do")


def test_a_harness_with_a_crashed_run_closes_cleanly(caplog: pytest.LogCaptureFixture) -> None:
    from flux.testing import harness

    with harness() as h:
        h.kill_after(task="branch")
        h.run(fan_out)
    assert [r for r in caplog.records if r.levelname == "ERROR"] == []
