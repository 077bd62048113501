"""Every page of the dashboard on a server with an empty database: each says so sensibly,
on a laptop and on a phone, without a browser error; `/docs` keeps working beside it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import FluxServer

from .conftest import DESKTOP, PHONE, Page, running_server, stop_and_report

pytestmark = pytest.mark.slow

PAGES = [
    ("/", "Overview", ["No executions yet.", "No active schedules.", "No failed runs."]),
    ("/executions", "Executions", ["No executions yet."]),
    ("/jobs", "Jobs", ["No jobs yet.", "Submit a script"]),
    ("/workflows", "Workflows", ["No workflows yet."]),
    ("/schedules", "Schedules", ["No schedules."]),
    ("/workers", "Workers", ["embedded-", "healthy", "Idle."]),
    ("/limits", "Limits", ["No limit is in use."]),
    ("/secrets", "Secrets", ["No secrets stored."]),
    ("/settings", "Settings", ["API key"]),
]


@pytest.fixture(scope="module")
def empty_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FluxServer]:
    server = running_server(tmp_path_factory.mktemp("empty-dashboard"))
    try:
        yield server
    finally:
        stop_and_report(server)


@pytest.mark.parametrize(("route", "title", "texts"), PAGES, ids=[p[1] for p in PAGES])
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["laptop", "phone"])
def test_page_on_an_empty_database(
    empty_server: FluxServer,
    open_page: Callable[..., Page],
    route: str,
    title: str,
    texts: list[str],
    viewport: dict[str, int],
) -> None:
    page = open_page(empty_server.url, viewport)
    browser_page = page.open(route)

    assert browser_page.locator("#view h1").first.inner_text() == title
    body = browser_page.locator("#view").inner_text()
    for text in texts:
        assert text in body, f"{title}: {text!r} not shown"
    # No horizontal scrolling of the whole page on a phone: wide content scrolls in place.
    scroll_width = browser_page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= viewport["width"] + 1
    name = "phone" if viewport is PHONE else "laptop"
    page.shot(f"empty-{title}-{name}")


def test_an_unknown_execution_and_page_say_so(
    empty_server: FluxServer, open_page: Callable[..., Page]
) -> None:
    page = open_page(empty_server.url)
    browser_page = page.open("/nowhere")
    assert "No page at /nowhere" in browser_page.locator("#view").inner_text()


def test_the_dashboard_is_served_with_its_files_and_the_api_docs_stay(
    empty_server: FluxServer,
) -> None:
    url = empty_server.url
    index = httpx.get(f"{url}/", timeout=10)
    script = httpx.get(f"{url}/dashboard/js/app.js", timeout=10)
    escape = httpx.get(f"{url}/dashboard/..%2F..%2Fapp.py", timeout=10)
    unknown = httpx.get(f"{url}/dashboard/js/nothing.js", timeout=10)
    again = httpx.get(f"{url}/", headers={"If-None-Match": index.headers["etag"]}, timeout=10)
    docs = httpx.get(f"{url}/docs", timeout=10)
    schema = httpx.get(f"{url}/openapi.json", timeout=10).json()

    assert index.status_code == 200 and index.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in index.headers["content-security-policy"]
    assert '<script type="module" src="/dashboard/js/app.js">' in index.text
    assert again.status_code == 304
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert escape.status_code == 404 and unknown.status_code == 404
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    assert "/stats/overview" in schema["paths"] and "/executions/live" in schema["paths"]
    assert "/" not in schema["paths"]


def test_no_asset_comes_from_another_origin() -> None:
    # Works offline: the page, its styles and modules only ever name files of this server.
    assets = Path(__file__).resolve().parents[2] / "flux" / "server" / "dashboard"
    for path in assets.rglob("*"):
        if path.suffix in (".html", ".css", ".js"):
            # The SVG namespace is a name, not a download.
            text = path.read_text().replace("http://www.w3.org/2000/svg", "")
            for pattern in ("http://", "https://", "//cdn", "@import"):
                assert pattern not in text, f"{path.name} refers to {pattern}"
