"""Working with runs in the dashboard, against a real server and worker: submit a job and
watch it finish live, read a DAG's graph and timeline and a Python run's call tree, cancel
a running run, resume a paused one with input, re-run, and see failures explained."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import FluxServer

from .conftest import (
    PHONE,
    Page,
    run_async,
    running_server,
    stop_and_report,
    submit_job,
    upload,
    wait_state,
)

pytestmark = pytest.mark.slow

WORKFLOWS = """
import asyncio

from flux import ExecutionContext, pause, task, workflow
from flux.tasks import parallel


@task
async def prepare(order_id: str) -> dict:
    return {"order_id": order_id, "total": 125.0}


@task
async def charge(order: dict, by: str) -> str:
    return f"charged {order['total']:.2f} for {order['order_id']}, approved by {by}"


@workflow
async def order_approval(ctx: ExecutionContext[str]):
    order = await prepare(ctx.input)
    decision = await pause("manager_approval", output=order)
    return await charge(order, decision["by"])


@task
async def nap(seconds: float) -> str:
    await asyncio.sleep(seconds)
    return "rested"


@workflow
async def slow(ctx: ExecutionContext[float]):
    return await nap(ctx.input)


@task
async def shout(word: str) -> str:
    return word.upper()


@workflow
async def fan_out(ctx: ExecutionContext[list]):
    first = await shout(ctx.input[0])
    rest = await parallel(*(shout(w) for w in ctx.input[1:]))
    return [first, *rest]


@task
async def explode(value: str) -> str:
    raise ValueError(f"cannot handle {value}")


@workflow
async def broken(ctx: ExecutionContext[str]):
    return await explode(ctx.input)
"""

DAG = {
    "name": "nightly-etl",
    "nodes": [
        {"id": "extract", "runtime": "bash", "handler": "echo extracting", "dependencies": []},
        {"id": "clean", "runtime": "bash", "handler": "echo cleaning", "dependencies": ["extract"]},
        {
            "id": "enrich",
            "runtime": "bash",
            "handler": "echo enriching",
            "dependencies": ["extract"],
        },
        {
            "id": "load",
            "runtime": "bash",
            "handler": "echo loading",
            "dependencies": ["clean", "enrich"],
        },
    ],
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FluxServer]:
    cwd: Path = tmp_path_factory.mktemp("runs-dashboard")
    server = running_server(cwd)
    try:
        upload(server.url, "dashboard_flows.py", WORKFLOWS)
        yield server
    finally:
        stop_and_report(server)


def header_state(page: Page) -> object:
    return page.page.locator("#view .page-head h1 .badge")


def test_submit_a_bash_job_and_watch_it_complete_live(
    server: FluxServer, open_page: Callable[..., Page]
) -> None:
    page = open_page(server.url)
    browser_page = page.open("/jobs")
    browser_page.evaluate("window.__sameDocument = true")  # gone if anything reloads the page
    browser_page.select_option("select[name=runtime]", "bash")
    browser_page.fill("input[name=name]", "ui-bash-job")
    browser_page.fill(
        "textarea[name=script]",
        'echo "hello from the browser"\nsleep 1\necho "payload was $PAYLOAD"\n'
        'echo \'{"answer": 42}\' > "$FLUX_OUTPUT"\n',
    )
    browser_page.fill("textarea[name=payload]", '{"who": "tester"}')
    browser_page.get_by_role("button", name="Submit job").click()

    browser_page.wait_for_url("**/#/executions/job-*")
    expect(header_state(page)).to_have_text("COMPLETED", timeout=60000)
    logs = browser_page.locator("pre.logs").first
    expect(logs).to_contain_text("hello from the browser", timeout=10000)
    expect(logs).to_contain_text('payload was {"who": "tester"}')
    assert browser_page.evaluate("window.__sameDocument") is True
    page.shot("job-completed-logs")

    browser_page.get_by_role("tab", name="Graph").click()
    attempts = browser_page.locator("table.attempts tbody tr")
    expect(attempts).to_have_count(1)
    expect(attempts.first).to_contain_text("COMPLETED")
    browser_page.get_by_role("tab", name="Input & output").click()
    expect(browser_page.locator("#view")).to_contain_text('"answer": 42')


def test_the_execution_list_shows_new_runs_and_their_states_without_a_reload(
    server: FluxServer, open_page: Callable[..., Page]
) -> None:
    page = open_page(server.url)
    browser_page = page.open("/executions")
    browser_page.evaluate("window.__sameDocument = true")
    expect(browser_page.locator("#live-status")).to_have_text("Live", timeout=10000)

    job_id = submit_job(server.url, 'sleep 1; echo \'{"done": true}\' > "$FLUX_OUTPUT"')
    row = browser_page.locator(f"tr[data-id='{job_id}']")
    expect(row).to_be_visible(timeout=15000)
    expect(row.locator(".badge")).to_have_text("COMPLETED", timeout=60000)
    assert browser_page.evaluate("window.__sameDocument") is True
    page.shot("executions-live")


def test_a_dag_run_shows_its_graph_and_timeline(
    server: FluxServer, open_page: Callable[..., Page]
) -> None:
    response = httpx.post(f"{server.url}/workflows/submit", json=DAG, timeout=30)
    assert response.status_code == 201, response.text
    run_id = response.json()["runId"]
    wait_state(server.url, run_id, ("COMPLETED",))
    page = open_page(server.url)

    browser_page = page.open(f"/executions/{run_id}")
    nodes = browser_page.locator("svg.graph g.node")
    expect(nodes).to_have_count(4)
    expect(browser_page.locator("svg.graph g.node.st-COMPLETED")).to_have_count(4)
    expect(browser_page.locator("svg.graph path.edge")).to_have_count(4)
    browser_page.locator("svg.graph g.node[data-node='load']").click()
    details = browser_page.locator("[data-node-details='load']")
    expect(details).to_contain_text("clean, enrich")
    expect(details.locator("pre.logs")).to_contain_text("loading")
    page.shot("dag-graph")

    browser_page.get_by_role("tab", name="Timeline").click()
    expect(browser_page.locator(".timeline .tl-label[role=rowheader]")).to_have_count(4)
    expect(browser_page.locator(".timeline .bar.st-COMPLETED")).to_have_count(4)
    page.shot("dag-timeline")

    browser_page.get_by_role("tab", name="Events").click()
    expect(browser_page.locator("table.events")).to_contain_text("WORKFLOW_COMPLETED")


def test_a_python_run_shows_its_call_tree_and_timeline(
    server: FluxServer, open_page: Callable[..., Page]
) -> None:
    execution_id = run_async(server.url, "fan_out", ["a", "b", "c"])
    wait_state(server.url, execution_id, ("COMPLETED",))
    page = open_page(server.url, PHONE)

    browser_page = page.open(f"/executions/{execution_id}")
    steps = browser_page.locator(".tree .step[data-step]")
    expect(steps).to_have_count(3)
    expect(browser_page.locator(".tree .step[data-step] .dot.st-COMPLETED")).to_have_count(3)
    steps.first.get_by_role("button").click()
    details = browser_page.locator("[data-step-details='0']")
    expect(details.locator("pre.json").first).to_contain_text('"a"')  # the arguments
    expect(details.locator("pre.json").last).to_have_text("A")  # the result
    page.shot("python-call-tree-phone")

    browser_page.get_by_role("tab", name="Timeline").click()
    expect(browser_page.locator(".timeline .tl-label[role=rowheader]")).to_have_count(3)
    page.shot("python-timeline-phone")


def test_cancel_a_running_run(server: FluxServer, open_page: Callable[..., Page]) -> None:
    execution_id = run_async(server.url, "slow", 120)
    wait_state(server.url, execution_id, ("RUNNING",))
    page = open_page(server.url)

    browser_page = page.open(f"/executions/{execution_id}")
    expect(header_state(page)).to_have_text("RUNNING")
    browser_page.locator("button[data-action=cancel]").click()
    browser_page.get_by_role("button", name="Cancel run").click()

    expect(header_state(page)).to_have_text("CANCELLED", timeout=30000)
    expect(browser_page.locator("button[data-action=cancel]")).to_have_count(0)
    assert wait_state(server.url, execution_id, ("CANCELLED",))["state"] == "CANCELLED"
    page.shot("cancelled-run")


def test_resume_a_paused_run_with_input(server: FluxServer, open_page: Callable[..., Page]) -> None:
    execution_id = run_async(server.url, "order_approval", "A-1001")
    wait_state(server.url, execution_id, ("PAUSED",))
    page = open_page(server.url)

    browser_page = page.open(f"/executions/{execution_id}")
    expect(header_state(page)).to_have_text("PAUSED")
    expect(browser_page.locator(".notice")).to_contain_text("manager_approval")
    page.shot("paused-run")
    browser_page.locator("button[data-action=resume]").click()
    dialog = browser_page.locator("dialog.modal")
    dialog.locator("textarea").fill("{not json")
    dialog.get_by_role("button", name="Resume").click()
    expect(dialog.locator(".field-error")).to_contain_text("Not valid JSON")
    dialog.locator("textarea").fill('{"by": "maria"}')
    dialog.get_by_role("button", name="Resume").click()

    expect(header_state(page)).to_have_text("COMPLETED", timeout=30000)
    browser_page.get_by_role("tab", name="Input & output").click()
    expect(browser_page.locator("#view")).to_contain_text(
        "charged 125.00 for A-1001, approved by maria"
    )


def test_rerun_starts_the_same_workflow_with_the_same_input(
    server: FluxServer, open_page: Callable[..., Page]
) -> None:
    execution_id = run_async(server.url, "fan_out", ["x", "y"])
    wait_state(server.url, execution_id, ("COMPLETED",))
    page = open_page(server.url)

    browser_page = page.open(f"/executions/{execution_id}")
    browser_page.locator("button[data-action=rerun]").click()
    browser_page.wait_for_url(lambda url: execution_id not in url and "/executions/" in url)
    expect(header_state(page)).to_have_text("COMPLETED", timeout=30000)
    new_id = browser_page.url.rsplit("/", 1)[-1].split("?")[0]
    rerun = httpx.get(f"{server.url}/executions/{new_id}", timeout=10).json()
    assert (rerun["workflow_name"], rerun["input"]) == ("fan_out", ["x", "y"])


def test_failed_runs_explain_themselves(server: FluxServer, open_page: Callable[..., Page]) -> None:
    broken = run_async(server.url, "broken", "spam")
    job = submit_job(server.url, 'echo "about to fail"; exit 3', maxRetries=1, name="failing-job")
    wait_state(server.url, broken, ("FAILED",))
    wait_state(server.url, job, ("FAILED",))
    page = open_page(server.url)

    browser_page = page.open(f"/executions/{broken}")
    expect(header_state(page)).to_have_text("FAILED")
    expect(browser_page.locator(".error-box")).to_contain_text("cannot handle spam")
    expect(browser_page.locator(".tree .step[data-step] .dot.st-FAILED")).to_have_count(1)
    page.shot("failed-python-run")

    browser_page = page.open(f"/executions/{job}")
    expect(browser_page.locator(".error-box")).to_contain_text("exit code 3")
    expect(browser_page.locator("table.attempts tbody tr")).to_have_count(2)
    browser_page.get_by_role("tab", name="Logs").click()
    expect(browser_page.locator("pre.logs").first).to_contain_text("about to fail")
    page.shot("failed-job-logs")

    browser_page = page.open("/executions?state=FAILED")
    body = browser_page.locator("#view")
    expect(body).to_contain_text("broken")
    expect(body).to_contain_text("exit code 3")
    page.shot("executions-failed")
    browser_page = page.open("/")
    expect(browser_page.locator(".metric.bad").first).to_be_visible()
    page.shot("overview-with-failures")


def test_rerun_of_a_job_submits_the_same_script_again(
    server: FluxServer, open_page: Callable[..., Page]
) -> None:
    job = submit_job(server.url, 'echo "run $PAYLOAD"', payload={"n": 7}, name="again")
    wait_state(server.url, job, ("COMPLETED",))
    page = open_page(server.url)

    browser_page = page.open(f"/executions/{job}")
    browser_page.locator("button[data-action=rerun]").click()
    browser_page.wait_for_url(lambda url: job not in url and "/executions/job-" in url)
    expect(header_state(page)).to_have_text("COMPLETED", timeout=60000)
    new_id = browser_page.url.rsplit("/", 1)[-1].split("?")[0]
    again = httpx.get(f"{server.url}/jobs/{new_id}", timeout=10).json()["job"]
    assert (again["name"], again["payload"], again["logs"]) == ("again", {"n": 7}, 'run {"n": 7}\n')


def test_retry_from_failure_reuses_the_finished_steps(
    server: FluxServer, open_page: Callable[..., Page]
) -> None:
    broken = run_async(server.url, "broken", "spam")
    wait_state(server.url, broken, ("FAILED",))
    page = open_page(server.url)

    browser_page = page.open(f"/executions/{broken}")
    browser_page.locator("button[data-action=retry-from-failure]").click()
    browser_page.wait_for_url(lambda url: broken not in url and "/executions/" in url)
    expect(header_state(page)).to_have_text("FAILED", timeout=30000)  # same code, same error
    expect(browser_page.locator("button[data-action=retry-from-failure]")).to_be_visible()
    new_id = browser_page.url.rsplit("/", 1)[-1].split("?")[0]
    detailed = httpx.get(
        f"{server.url}/executions/{new_id}", params={"detailed": "true"}, timeout=10
    ).json()
    assert detailed["rerun_of"] == broken
    page.shot("retry-from-failure")

    # A completed run offers a plain re-run only.
    done = run_async(server.url, "fan_out", ["a"])
    wait_state(server.url, done, ("COMPLETED",))
    browser_page = page.open(f"/executions/{done}")
    expect(browser_page.locator("button[data-action=rerun]")).to_be_visible()
    expect(browser_page.locator("button[data-action=retry-from-failure]")).to_have_count(0)
