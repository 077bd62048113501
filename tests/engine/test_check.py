"""`flux.engine.check`: new workflow code replayed against recorded runs, running nothing."""

from __future__ import annotations

import asyncio
from typing import Any

from flux import ExecutionContext, ExecutionState, call, task, workflow
from flux.engine.check import DIVERGED, ERROR, OK, ReplayCheck, check_replay
from flux.tasks import parallel, pause, progress

bodies: list[str] = []


@task
async def fetch(n: int) -> dict[str, int]:
    bodies.append("fetch")
    return {"n": n}


@task
async def charge(order: dict[str, int]) -> str:
    bodies.append("charge")
    if order["n"] < 0:
        raise ValueError("negative amount")
    return f"charged {order['n']}"


@task
async def charge_card(order: dict[str, int]) -> str:
    bodies.append("charge_card")
    return f"card {order['n']}"


@task
async def notify(text: str) -> str:
    bodies.append("notify")
    return text


@workflow.with_options(name="shop")
async def shop_v1(ctx: ExecutionContext[int]) -> str:
    order = await fetch(ctx.input)
    await progress({"fetched": order["n"]})
    approved = await pause("approve")
    receipt = await charge(order)
    return f"{receipt} {approved}"


def _record(code: Any, *inputs: int, resume: Any = None) -> list[ExecutionContext[Any]]:
    """Runs of `code` recorded in the local database; paused ones resumed with `resume`."""
    runs = []
    for value in inputs:
        ctx = code.run(value)
        if resume is not None and ctx.state is ExecutionState.PAUSED:
            ctx = code.resume(ctx.execution_id, resume)
        runs.append(code.get(ctx.execution_id))
    return runs


def _check(code: Any, ctx: ExecutionContext[Any], **options: Any) -> ReplayCheck:
    bodies.clear()
    result = asyncio.run(check_replay(code, ctx.execution_id, ctx.input, ctx.events, **options))
    assert bodies == [], "a check must never run a task body"
    return result


def test_the_same_code_matches_finished_and_paused_runs() -> None:
    done, paused = _record(shop_v1, 5, resume="yes")[0], _record(shop_v1, 6)[0]
    assert done.state is ExecutionState.COMPLETED and paused.state is ExecutionState.PAUSED
    finished = _check(shop_v1, done)
    assert (finished.status, finished.replayed) == (OK, 4)
    assert "then completes" in finished.detail
    waiting = _check(shop_v1, paused)
    assert waiting.status == OK
    assert waiting.detail == "matches the record up to its end at step 2"


@workflow.with_options(name="shop")
async def shop_renamed(ctx: ExecutionContext[int]) -> str:
    order = await fetch(ctx.input)
    await progress({"fetched": order["n"]})
    approved = await pause("approve")
    return f"{await charge_card(order)} {approved}"


def test_a_renamed_task_diverges_at_its_step_but_not_before_it() -> None:
    done = _record(shop_v1, 5, resume="yes")[0]
    result = _check(shop_renamed, done)
    assert result.diverged
    assert (result.step_id, result.expected, result.found) == ("3", "charge", "charge_card")
    assert "step 3: the record has a call to 'charge', the new code calls 'charge_card'" in (
        result.detail
    )
    # A run paused before that step cannot tell the difference yet.
    assert _check(shop_renamed, _record(shop_v1, 6)[0]).status == OK


@workflow.with_options(name="shop")
async def shop_extra_step(ctx: ExecutionContext[int]) -> str:
    order = await fetch(ctx.input)
    await progress({"fetched": order["n"]})
    approved = await pause("approve")
    receipt = await charge(order)
    await notify(receipt)
    return f"{receipt} {approved}"


@workflow.with_options(name="shop")
async def shop_without_charge(ctx: ExecutionContext[int]) -> str:
    order = await fetch(ctx.input)
    await progress({"fetched": order["n"]})
    return f"free {order['n']} {await pause('approve')}"


@workflow.with_options(name="shop")
async def shop_step_inserted(ctx: ExecutionContext[int]) -> str:
    await notify("starting")
    order = await fetch(ctx.input)
    await progress({"fetched": order["n"]})
    return f"{await charge(order)} {await pause('approve')}"


def test_appending_a_step_is_compatible_removing_or_inserting_one_is_not() -> None:
    done = _record(shop_v1, 5, resume="yes")[0]
    appended = _check(shop_extra_step, done)
    assert appended.status == OK
    assert appended.detail == "matches the record up to its end at step 4"
    removed = _check(shop_without_charge, done)
    assert (removed.status, removed.step_id, removed.expected) == (DIVERGED, "3", "charge")
    assert "returns without making it" in removed.detail
    inserted = _check(shop_step_inserted, done)
    assert (inserted.step_id, inserted.expected, inserted.found) == ("0", "fetch", "notify")


@workflow.with_options(name="careful")
async def careful_v1(ctx: ExecutionContext[int]) -> str:
    order = await fetch(ctx.input)
    try:
        receipt = await charge(order)
    except ValueError:
        receipt = "refused"
    return await notify(receipt)


@workflow.with_options(name="careful")
async def careful_no_handler(ctx: ExecutionContext[int]) -> str:
    order = await fetch(ctx.input)
    receipt = await charge(order)
    return await notify(receipt)


@workflow.with_options(name="careful")
async def careful_broken(ctx: ExecutionContext[int]) -> str:
    order = await fetch(ctx.input)
    total = order["n"] + "1"  # a bug of the new code, not a recorded failure
    return await notify(str(total))


def test_a_recorded_failure_that_now_escapes_diverges_a_new_bug_is_an_error() -> None:
    refused = _record(careful_v1, -1)[0]
    assert refused.state is ExecutionState.COMPLETED and refused.output == "refused"
    assert _check(careful_v1, refused).status == OK
    escaped = _check(careful_no_handler, refused)
    assert (escaped.status, escaped.step_id, escaped.expected) == (DIVERGED, "2", "notify")
    assert "raises ValueError: negative amount before making it" in escaped.detail
    broken = _check(careful_broken, refused)
    assert (broken.status, broken.step_id) == (ERROR, "1")
    assert "TypeError" in broken.detail


@workflow.with_options(name="fanout")
async def fanout(ctx: ExecutionContext[int]) -> list[Any]:
    return await parallel(fetch(ctx.input), notify("a"), call("elsewhere", ctx.input))


@workflow.with_options(name="elsewhere")
async def elsewhere(ctx: ExecutionContext[int]) -> int:
    return ctx.input * 2


class _Names:
    async def resolve(self, name: str) -> Any:
        return elsewhere


def test_parallel_branches_and_subworkflow_calls_replay_from_the_record() -> None:
    done = _record(fanout, 3)[0]
    assert done.output == [{"n": 3}, "a", 6]
    result = _check(fanout, done, workflows=_Names())
    assert (result.status, result.replayed) == (OK, 3)


def test_a_run_with_nothing_recorded_is_ok() -> None:
    ctx: ExecutionContext[int] = ExecutionContext("shop", 1, "nothing-yet")
    result = _check(shop_v1, ctx)
    assert result.status == OK and "nothing to compare" in result.detail
