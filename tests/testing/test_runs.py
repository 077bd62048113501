"""Runs in a harness: results, pause and resume, secrets, values, subworkflows, errors."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from flux import ExecutionContext, ExecutionState, call, pause, task, workflow
from flux.errors import NondeterminismError, SecretNotFoundError, SerializationError
from flux.testing import Harness, harness


@task
async def double(n: int) -> int:
    return 2 * n


@task
async def describe(n: int) -> str:
    return f"n={n}"


@workflow
async def two_doubles(ctx: ExecutionContext[int]) -> int:
    return await double(await double(ctx.input))


def test_a_result_shows_state_output_events_and_steps(h: Harness) -> None:
    result = h.run(two_doubles, 3, execution_id="my-run")

    assert result.execution_id == "my-run" and result.input == 3
    assert result.state is ExecutionState.COMPLETED and result.succeeded and result.finished
    assert result.output == 12 and result.error is None
    assert [(s.step_id, s.name, s.input, s.output) for s in result.steps] == [
        ("0", "double", [3], 6),
        ("1", "double", [6], 12),
    ]
    assert result.step(1).output == 12 and result.step("1") is not None
    assert [s.step_id for s in result.steps_named("double")] == ["0", "1"]
    assert h.get("my-run").output == 12
    assert repr(result) == "RunResult('two_doubles', 'my-run', COMPLETED)"


def test_step_lookup_by_name_must_be_unambiguous(h: Harness) -> None:
    result = h.run(two_doubles, 1)
    with pytest.raises(KeyError, match="ran in steps 0, 1"):
        result.step("double")
    with pytest.raises(KeyError, match=r"steps: 0 \(double\), 1 \(double\)"):
        result.step("nothing")


@workflow
async def approval(ctx: ExecutionContext[int]) -> str:
    amount = await double(ctx.input)
    decision = await pause("manager", output=amount)
    return f"{decision} {await describe(amount)}"


def test_pause_and_resume(h: Harness) -> None:
    paused = h.run(approval, 50)
    assert paused.paused and paused.output == 100
    resumed = h.resume(paused, "approved")
    assert resumed.succeeded and resumed.output == "approved n=100"
    assert len(h.calls("double")) == 1


def test_resume_input_is_only_for_paused_runs(h: Harness) -> None:
    done = h.run(two_doubles, 1)
    with pytest.raises(ValueError, match="not paused"):
        h.resume(done, "input")


@workflow
async def fails(ctx: ExecutionContext[None]) -> None:
    await describe(1)
    raise LookupError("no such order")


def test_a_failed_run_exposes_its_error(h: Harness) -> None:
    result = h.run(fails)
    assert result.failed and isinstance(result.error, LookupError)
    assert result.finished_at is not None and result.duration is not None


@task.with_options(secret_requests=["API_KEY"])
async def uses_secret(secrets: dict[str, Any]) -> int:
    return len(secrets["API_KEY"])


@workflow
async def needs_secret(ctx: ExecutionContext[None]) -> int:
    return await uses_secret()


def test_secrets_come_from_the_harness() -> None:
    with harness(secrets={"API_KEY": "abcdef"}) as h:
        assert h.run(needs_secret).output == 6
        h.secrets.clear()
        result = h.run(needs_secret)
        assert result.failed and isinstance(result.error, SecretNotFoundError)


class Order:
    pass


@workflow
async def returns_an_object(ctx: ExecutionContext[None]) -> Order:
    return Order()


def test_the_json_serializer_catches_values_json_cannot_store() -> None:
    with harness(serializer="json") as h:
        result = h.run(returns_an_object)
        assert result.failed and isinstance(result.error, SerializationError)
    with harness() as h:
        assert isinstance(h.run(returns_an_object).output, Order)


@workflow
async def parent(ctx: ExecutionContext[int]) -> list[Any]:
    return [await call(two_doubles, ctx.input), await describe(ctx.input)]


def test_subworkflows_run_in_the_harness(h: Harness) -> None:
    result = h.run(parent, 2)
    assert result.output == [8, "n=2"]
    child = h.get(f"{result.execution_id}-0")
    assert child.succeeded and child.context.parent_execution_id == result.execution_id


shape = {"changed": False}


@workflow
async def changes_shape(ctx: ExecutionContext[None]) -> str:
    if shape["changed"]:
        return await describe(0)
    await double(1)
    return await describe(1)


def test_engine_errors_propagate_to_the_test(h: Harness) -> None:
    h.kill_after(step=0)
    crashed = h.run(changes_shape)
    shape["changed"] = True
    try:
        with pytest.raises(NondeterminismError):
            h.recover(crashed)
    finally:
        shape["changed"] = False


def test_a_harness_needs_no_configuration_files_or_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with harness() as h:
        assert h.run(two_doubles, 1).succeeded
    assert os.listdir(tmp_path) == []


def test_a_closed_harness_refuses_work() -> None:
    h = harness()
    h.close()
    h.close()
    with pytest.raises(RuntimeError, match="closed"):
        h.run(two_doubles, 1)
