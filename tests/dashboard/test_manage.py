"""Managing the platform from the dashboard: upload a workflow file and run it, pause and
resume a schedule, add and delete a secret (whose value is never shown)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import FluxServer

from .conftest import Page, run_async, running_server, stop_and_report, upload, wait_state

pytestmark = pytest.mark.slow

SOURCE = """
from flux import ExecutionContext, task, workflow


@task
async def greet(name: str) -> str:
    return f"Hello, {name}"


@workflow
async def hello_dashboard(ctx: ExecutionContext[str]):
    return await greet(ctx.input)
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FluxServer]:
    server = running_server(tmp_path_factory.mktemp("manage-dashboard"))
    try:
        yield server
    finally:
        stop_and_report(server)


def test_upload_a_workflow_file_and_run_it(
    server: FluxServer, open_page: Callable[..., Page], tmp_path: Path
) -> None:
    source = tmp_path / "hello_dashboard.py"
    source.write_text(SOURCE)
    page = open_page(server.url)
    browser_page = page.open("/workflows")

    browser_page.set_input_files("input[type=file]", str(source))
    browser_page.get_by_role("button", name="Upload").click()
    link = browser_page.get_by_role("link", name="hello_dashboard")
    expect(link).to_be_visible(timeout=15000)
    link.click()
    page.settle()
    expect(browser_page.locator("pre.source")).to_contain_text("async def hello_dashboard")
    page.shot("workflow-detail")

    browser_page.get_by_label("Input (JSON)").fill('"Ada"')
    browser_page.get_by_role("button", name="Run", exact=True).click()
    browser_page.wait_for_url("**/#/executions/*")
    expect(browser_page.locator("#view .page-head h1 .badge")).to_have_text(
        "COMPLETED", timeout=30000
    )
    browser_page.get_by_role("tab", name="Input & output").click()
    expect(browser_page.locator("#view")).to_contain_text("Hello, Ada")


def test_pause_and_resume_a_schedule(server: FluxServer, open_page: Callable[..., Page]) -> None:
    httpx.post(
        f"{server.url}/workflows",
        files={"file": ("hello_dashboard.py", SOURCE.encode(), "text/x-python")},
        timeout=10,
    ).raise_for_status()
    created = httpx.post(
        f"{server.url}/schedules",
        json={
            "name": "daily-hello",
            "workflow": "hello_dashboard",
            "input": "cron",
            "cron": "0 6 * * *",
            "timezone": "Europe/Lisbon",
        },
        timeout=10,
    )
    assert created.status_code == 201, created.text
    page = open_page(server.url)
    browser_page = page.open("/schedules")
    row = browser_page.locator("tr[data-schedule='daily-hello']")
    expect(row).to_contain_text("cron '0 6 * * *' (Europe/Lisbon)")
    expect(row).to_contain_text("in ")
    page.shot("schedules")

    row.get_by_role("button", name="Pause").click()
    expect(row.locator(".badge")).to_have_text("paused")
    assert httpx.get(f"{server.url}/schedules/daily-hello", timeout=10).json()["state"] == "paused"
    row.get_by_role("button", name="Resume").click()
    expect(row.locator(".badge")).to_have_text("active")

    browser_page = page.open("/")
    expect(browser_page.locator(".card", has_text="Next schedule fires")).to_contain_text(
        "daily-hello"
    )


def test_secrets_show_names_only(server: FluxServer, open_page: Callable[..., Page]) -> None:
    value = "s3cr3t-value-never-shown"
    page = open_page(server.url)
    browser_page = page.open("/secrets")

    browser_page.fill("input[name=name]", "PAYMENTS_TOKEN")
    browser_page.fill("input[name=value]", value)
    browser_page.get_by_role("button", name="Save secret").click()
    item = browser_page.locator("li[data-secret='PAYMENTS_TOKEN']")
    expect(item).to_be_visible()
    assert value not in browser_page.content()
    page.shot("secrets")
    assert httpx.get(f"{server.url}/admin/secrets", timeout=10).json() == ["PAYMENTS_TOKEN"]

    item.get_by_role("button", name="Delete").click()
    browser_page.locator("dialog.modal").get_by_role("button", name="Delete").click()
    expect(browser_page.locator("#view")).to_contain_text("No secrets stored.")


def test_an_api_key_is_sent_with_every_request(
    server: FluxServer, open_page: Callable[..., Page]
) -> None:
    # A real key: the server checks every key it is sent, even from loopback.
    created = httpx.post(f"{server.url}/auth/keys", json={"name": "dashboard", "role": "viewer"})
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    page = open_page(server.url)
    browser_page = page.open("/settings")
    browser_page.fill("input[name=apiKey]", key)
    browser_page.get_by_role("button", name="Save").click()
    with browser_page.expect_request("**/stats/overview*") as request:
        page.open("/")
    assert request.value.headers.get("authorization") == f"Bearer {key}"


LIMITED = """
import asyncio
from flux import ExecutionContext, workflow


@workflow.with_options(concurrency=1, concurrency_key="customer", priority=3)
async def one_per_customer(ctx: ExecutionContext[dict]):
    await asyncio.sleep(ctx.input["hold"])
    return ctx.input["customer"]
"""


def test_limits_show_who_holds_each_slot(
    server: FluxServer, open_page: Callable[..., Page]
) -> None:
    upload(server.url, "limited.py", LIMITED)
    first = run_async(server.url, "one_per_customer", {"customer": "acme", "hold": 3})
    wait_state(server.url, first, ("RUNNING",))
    second = run_async(server.url, "one_per_customer", {"customer": "acme", "hold": 0})
    page = open_page(server.url)

    browser_page = page.open("/limits")
    limit = browser_page.locator("section.limit").first
    expect(limit).to_contain_text('one_per_customer[customer="acme"]')
    expect(limit).to_contain_text("1 waiting")
    expect(limit.locator("table.holders tbody tr")).to_have_count(1)
    expect(limit.locator(f"a[href='#/executions/{first}']")).to_be_visible()
    expect(browser_page.locator("#view")).to_contain_text("1 per customer")
    page.shot("limits")

    # The slot passes to the waiting run; once both ended, no slot is held (live).
    wait_state(server.url, first, ("COMPLETED",))
    wait_state(server.url, second, ("COMPLETED",))
    expect(browser_page.locator("section.limit")).to_have_count(0, timeout=15000)
    expect(browser_page.locator("#view")).to_contain_text("No limit is in use.")
