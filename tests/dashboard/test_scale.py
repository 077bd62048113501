"""The dashboard on a database of 10,000 executions (seeded before the server starts), plus
real runs: every page shows sensible content, and paging through the list stays fast."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import FluxServer

from .conftest import (
    DESKTOP,
    PHONE,
    Page,
    run_async,
    running_server,
    stop_and_report,
    upload,
    wait_state,
)
from .seed import WORKFLOWS, seed

pytestmark = pytest.mark.slow

SEEDED = 10_000
DASH = "\u2013"  # the pager writes ranges with an en dash
# What the server and the page may take per page of 50 on a busy shared test machine; far
# above what they take (a few milliseconds of SQL), far below what a scan of all rows costs
# once per row.
API_PAGE_S = 1.0
BROWSER_PAGE_S = 5.0

SOURCE = "\n".join(
    [
        "from flux import ExecutionContext, task, workflow",
        "",
        "",
        "@task",
        "async def fail(n):",
        "    raise ValueError(f'broken batch {n}')",
        "",
    ]
    + [
        f"@workflow\nasync def {name}(ctx: ExecutionContext):\n    return await fail(ctx.input)\n"
        for name in WORKFLOWS
    ]
)


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FluxServer]:
    cwd = tmp_path_factory.mktemp("big-dashboard")
    seed(cwd / ".flux" / "flux.db", SEEDED)
    server = running_server(cwd)
    try:
        upload(server.url, "seeded_flows.py", SOURCE)
        failed = run_async(server.url, "nightly_report", 7)
        wait_state(server.url, failed, ("FAILED",))
        yield server
    finally:
        stop_and_report(server)


def test_overview_counts_ten_thousand_runs(big: FluxServer, open_page: Callable[..., Page]) -> None:
    page = open_page(big.url)
    browser_page = page.open("/")

    executions = browser_page.locator(".metric", has_text="Executions").locator(".value")
    expect(executions).to_have_text("10,001")
    ended = browser_page.locator(".metric", has_text="Ended").locator(".value")
    assert int(ended.inner_text().replace(",", "")) >= 1000  # one seeded run every 3 s
    expect(browser_page.locator(".chart .bar-failed").first).to_be_visible()
    expect(browser_page.locator(".card", has_text="Recent failures")).to_contain_text(
        "nightly_report"
    )
    page.shot("big-overview")


def test_the_list_pages_through_ten_thousand_runs_quickly(
    big: FluxServer, open_page: Callable[..., Page]
) -> None:
    page = open_page(big.url)
    browser_page = page.open("/executions")
    pager = browser_page.locator(".pager .muted")
    expect(pager).to_have_text(f"1{DASH}50 of 10,001")
    expect(browser_page.locator("table.runs tbody tr")).to_have_count(50)
    page.shot("big-executions")

    for n in range(1, 6):
        started = time.monotonic()
        browser_page.get_by_role("button", name="Older →").click()
        expect(pager).to_have_text(f"{n * 50 + 1}{DASH}{n * 50 + 50} of 10,001")
        assert time.monotonic() - started < BROWSER_PAGE_S
    browser_page.get_by_role("button", name="← Newer").click()
    expect(pager).to_have_text(f"201{DASH}250 of 10,001")


def test_deep_pages_cost_what_the_first_one_does(big: FluxServer) -> None:
    with httpx.Client(base_url=big.url, timeout=30) as api:
        cursor, seen, slowest = None, 0, 0.0
        while True:
            started = time.monotonic()
            params = {"limit": 500, **({"cursor": cursor} if cursor else {})}
            page = api.get("/executions/search", params=params).json()
            slowest = max(slowest, time.monotonic() - started)
            seen += len(page["executions"])
            cursor = page["next_cursor"]
            if cursor is None:
                break
        filtered = [
            api.get("/executions/search", params=params)
            for params in (
                {"state": "FAILED"},
                {"kind": "job"},
                {"kind": "workflow"},
                {"workflow": "sync_crm", "state": "CANCELLED"},
            )
        ]

    assert seen == SEEDED + 1
    assert slowest < API_PAGE_S * 5  # pages of 500 rows
    counts = [r.json()["count"] for r in filtered]
    assert counts[0] == sum(1 for n in range(SEEDED) if n % 17 == 0) + 1
    assert counts[1] == SEEDED // 5
    assert counts[2] == SEEDED - SEEDED // 5 + 1


def test_filters_narrow_the_list(big: FluxServer, open_page: Callable[..., Page]) -> None:
    page = open_page(big.url, PHONE)
    browser_page = page.open("/executions")
    browser_page.select_option("select[name=state]", "FAILED")
    expect(browser_page).to_have_url(re.compile(r"state=FAILED"))
    page.settle()
    rows = browser_page.locator("table.runs tbody tr")
    expect(rows).to_have_count(50)
    expect(rows.locator(".badge:not(.st-FAILED)")).to_have_count(0)
    expect(browser_page.locator(".pager")).to_contain_text(f"of {SEEDED // 17 + 2}")

    browser_page.select_option("select[name=kind]", "job")
    expect(browser_page).to_have_url(re.compile(r"kind=job"))
    page.settle()
    expect(rows.first).to_contain_text("flux.job")
    expect(rows.locator(".badge:not(.st-FAILED)")).to_have_count(0)
    page.shot("big-executions-failed-jobs-phone")


@pytest.mark.parametrize(
    ("route", "text"),
    [
        ("/jobs", "2,000 jobs in all"),
        ("/workflows", "sync_crm"),
        ("/workers", "healthy"),
        ("/schedules", "No schedules."),
        ("/secrets", "No secrets stored."),
        ("/settings", "Workers connected here"),
        ("/executions/seeded000017", "batch 17 was malformed"),
        ("/executions/job-seeded000005", "seeded-job"),
    ],
)
def test_every_page_stays_sensible_with_many_runs(
    big: FluxServer, open_page: Callable[..., Page], route: str, text: str
) -> None:
    page = open_page(big.url, DESKTOP)
    browser_page = page.open(route)
    expect(browser_page.locator("#view")).to_contain_text(text)
    page.shot(f"big{route.replace('/', '-')}")
