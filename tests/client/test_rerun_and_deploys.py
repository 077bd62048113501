"""Reruns from the failed step and runs pinned to their version, against a real `flux start
server` (embedded worker). Task bodies append to a file named in the input, so each test
can see which bodies ran, and how often."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import start_server, stop_server

from flux.api.models import ExecutionView
from flux.client import ConflictError, FluxClient, InvalidRequestError, NotFoundError
from flux.domain.events import ExecutionState

pytestmark = pytest.mark.slow
S = ExecutionState

ORDERS = """
from pathlib import Path
from flux import task, workflow, parallel, pause

def note(folder, text):
    with open(Path(folder) / "effects", "a") as out:
        out.write(text + "\\n")

@task
async def fetch(job):
    note(job["dir"], "fetch")
    return {"amount": job["amount"]}

@task
async def price(job, i):
    note(job["dir"], f"price{i}")
    return i * 10

@task
async def charge(job, order):
    note(job["dir"], "charge")
    if (Path(job["dir"]) / "card-service-down").exists():
        raise RuntimeError("card service down")
    return f"charged {order['amount']}"

@workflow
async def orders(ctx):
    order = await fetch(ctx.input)
    prices = await parallel(price(ctx.input, 1), price(ctx.input, 2))
    receipt = await charge(ctx.input, order)
    return {"receipt": receipt, "prices": prices, "amount": ctx.input["amount"]}

@workflow
async def approved_orders(ctx):
    order = await fetch(ctx.input)
    decision = await pause("approve")
    return {"order": order, "decision": decision}
"""


@pytest.fixture(scope="module")
def client(server_url: str) -> Iterator[FluxClient]:
    with FluxClient(server_url, timeout=30) as client:
        client.upload_workflow_source(ORDERS, "orders.py")
        yield client


def effects(folder: Path) -> list[str]:
    path = folder / "effects"
    return path.read_text().split() if path.exists() else []


def wait_for(client: FluxClient, view: ExecutionView, *states: S) -> ExecutionView:
    deadline = time.monotonic() + 30
    while view.state not in states:
        assert time.monotonic() < deadline, f"still {view.state}, expected {states}"
        time.sleep(0.02)
        view = client.get_execution(view.execution_id)
    return view


def failed_order(client: FluxClient, folder: Path, amount: int = 25) -> ExecutionView:
    (folder / "card-service-down").touch()
    view = client.run("orders", {"dir": str(folder), "amount": amount}, mode="sync")
    assert view.state is S.FAILED, view
    assert "card service down" in (view.error or "")
    (folder / "card-service-down").unlink()
    return view


def test_a_rerun_reuses_the_finished_steps_and_runs_the_failed_one(
    client: FluxClient, tmp_path: Path
) -> None:
    original = failed_order(client, tmp_path)
    before = client.get_execution(original.execution_id, detailed=True)
    assert sorted(effects(tmp_path)) == ["charge", "fetch", "price1", "price2"]

    rerun = client.rerun(original.execution_id, mode="sync")
    assert rerun.state is S.COMPLETED, rerun
    assert rerun.execution_id != original.execution_id
    assert rerun.rerun_of == original.execution_id
    assert rerun.output == {"receipt": "charged 25", "prices": [10, 20], "amount": 25}
    # Only the failed step ran again.
    assert sorted(effects(tmp_path)) == ["charge", "charge", "fetch", "price1", "price2"]
    # The original is left as it was.
    after = client.get_execution(original.execution_id, detailed=True)
    assert after.state is S.FAILED and after.events == before.events
    shown = client.get_execution(rerun.execution_id, detailed=True)
    assert shown.rerun_of == original.execution_id
    assert shown.events is not None
    first = shown.events[0]
    assert (first.type, first.value["failed_step"], first.value["reused_steps"]) == (
        "WORKFLOW_SCHEDULED",
        "3",
        3,
    )


def test_step_output_stands_in_for_the_failed_step_and_input_replaces_the_input(
    client: FluxClient, tmp_path: Path
) -> None:
    original = failed_order(client, tmp_path)
    done = client.rerun(original.execution_id, step_output="paid by bank transfer", mode="sync")
    assert done.state is S.COMPLETED
    assert done.output["receipt"] == "paid by bank transfer"
    assert effects(tmp_path).count("charge") == 1, "the step given an output does not run"

    new_input = {"dir": str(tmp_path), "amount": 99}
    changed = client.rerun(original.execution_id, input=new_input, mode="sync")
    assert changed.input == new_input
    # Reused steps keep what they recorded; the steps that run again see the new input.
    assert changed.output == {"receipt": "charged 25", "prices": [10, 20], "amount": 99}


def test_what_cannot_be_rerun_is_refused_with_the_reason(
    client: FluxClient, tmp_path: Path
) -> None:
    original = failed_order(client, tmp_path)
    with pytest.raises(InvalidRequestError, match="step '0' finished in the original run"):
        client.rerun(original.execution_id, step_id="0", step_output=1)
    with pytest.raises(InvalidRequestError, match="has no step '7'"):
        client.rerun(original.execution_id, step_id="7", step_output=1)
    with pytest.raises(InvalidRequestError, match="has no version 'f00f00f00'"):
        client.rerun(original.execution_id, version="f00f00f00")
    with pytest.raises(NotFoundError):
        client.rerun("no-such-execution")
    done = client.rerun(original.execution_id, mode="sync")
    with pytest.raises(ConflictError, match="it is COMPLETED; only FAILED and CANCELLED"):
        client.rerun(done.execution_id)


def test_a_cancelled_run_reruns_to_its_pause_point_and_the_same_key_reruns_once(
    client: FluxClient, tmp_path: Path
) -> None:
    paused = client.run("approved_orders", {"dir": str(tmp_path), "amount": 5}, mode="sync")
    assert paused.state is S.PAUSED
    cancelled = client.cancel("approved_orders", paused.execution_id, mode="sync")
    assert cancelled.state is S.CANCELLED

    again = client.rerun(paused.execution_id, mode="sync", idempotency_key="rerun-approval")
    assert again.state is S.PAUSED and again.rerun_of == paused.execution_id
    same = client.rerun(paused.execution_id, idempotency_key="rerun-approval")
    assert same.execution_id == again.execution_id
    done = client.resume("approved_orders", again.execution_id, "yes", mode="sync")
    assert done.output == {"order": {"amount": 5}, "decision": "yes"}
    assert effects(tmp_path) == ["fetch"], "fetch finished before the cancel: not run again"


# -- runs pinned to the version they started on --------------------------------------------

DEPLOY = """
from flux import task, workflow, call, pause

@task
async def label(text):
    return text + "-{tag}"

@workflow
async def helper(ctx):
    return await label("helper")

@workflow
async def release(ctx):
    first = await call("helper")
    answer = await pause("go")
    second = await call("helper")
    return [await label(ctx.input), first, second, answer]
"""


def deploy(client: FluxClient, tag: str) -> str:
    infos = client.upload_workflow_source(DEPLOY.format(tag=tag), "release.py")
    return infos[0].version


def test_a_paused_run_finishes_on_its_version_after_an_upload(
    client: FluxClient, tmp_path: Path
) -> None:
    v1 = deploy(client, "v1")
    paused = client.run("release", "main", mode="sync")
    assert paused.state is S.PAUSED and paused.workflow_version == v1
    v2 = deploy(client, "v2")
    resumed = client.resume("release", paused.execution_id, "ok", mode="sync")
    # The subworkflow called by name after the upload is the one of the run's own file.
    assert resumed.output == ["main-v1", "helper-v1", "helper-v1", "ok"]
    assert resumed.workflow_version == v1
    children = [client.get_execution(f"{paused.execution_id}-{step}") for step in ("0", "2")]
    assert [child.workflow_version for child in children] == [v1, v1]
    fresh = client.run("release", "main", mode="sync")
    fresh = client.resume("release", fresh.execution_id, "ok", mode="sync")
    assert fresh.output == ["main-v2", "helper-v2", "helper-v2", "ok"]
    assert fresh.workflow_version == v2


def test_a_paused_run_keeps_its_version_across_a_server_restart(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    try:
        with FluxClient(server.url, timeout=30) as client:
            v1 = deploy(client, "v1")
            paused = client.run("release", "main", mode="sync")
            assert paused.state is S.PAUSED
            deploy(client, "v2")
    finally:
        stop_server(server)
    server = start_server(tmp_path)  # same folder: same database, key and worker cache
    try:
        with FluxClient(server.url, timeout=30) as client:
            resumed = client.resume("release", paused.execution_id, "ok", mode="sync")
            assert resumed.state is S.COMPLETED, resumed
            assert resumed.workflow_version == v1
            assert resumed.output == ["main-v1", "helper-v1", "helper-v1", "ok"]
    finally:
        stop_server(server)


def test_a_rerun_runs_on_the_latest_version_or_the_original_one(
    client: FluxClient, tmp_path: Path
) -> None:
    v1 = deploy(client, "v1")
    paused = client.run("release", "x", mode="sync")
    client.cancel("release", paused.execution_id, mode="sync")
    v2 = deploy(client, "v2")
    latest = client.rerun(paused.execution_id, mode="sync")
    original = client.rerun(paused.execution_id, version="original", mode="sync")
    by_prefix = client.rerun(paused.execution_id, version=v1[:12], mode="sync")
    assert [r.workflow_version for r in (latest, original, by_prefix)] == [v2, v1, v1]
    assert all(r.state is S.PAUSED for r in (latest, original, by_prefix))
    done = client.resume("release", latest.execution_id, "go", mode="sync")
    # The first call's recorded output is reused; what runs after it is v2's code.
    assert done.output == ["x-v2", "helper-v1", "helper-v2", "go"]


PER_CUSTOMER = """
from flux import task, workflow

@task
async def bill(customer):
    if customer == "acme":
        raise RuntimeError("acme's card was declined")
    return f"billed {customer}"

@workflow.with_options(concurrency=1, concurrency_key="customer", priority=4)
async def bill_customer(ctx):
    return await bill(ctx.input["customer"])
"""


def test_a_rerun_with_new_input_is_admitted_under_the_new_inputs_limit_key(
    client: FluxClient,
) -> None:
    client.upload_workflow_source(PER_CUSTOMER, "per_customer.py")
    original = wait_for(
        client, client.run("bill_customer", {"customer": "acme"}), S.FAILED, S.COMPLETED
    )
    same = client.rerun(original.execution_id)
    other = client.rerun(original.execution_id, input={"customer": "globex"})
    done = wait_for(client, other, S.COMPLETED, S.FAILED)
    wait_for(client, same, S.FAILED, S.COMPLETED)

    assert original.state is S.FAILED
    assert same.limit_keys == ['concurrency:bill_customer[customer="acme"]']
    assert other.limit_keys == ['concurrency:bill_customer[customer="globex"]']
    assert (done.state, done.output) == (S.COMPLETED, "billed globex")
    assert (same.priority, other.priority) == (4, 4)  # the original's place in the queue
