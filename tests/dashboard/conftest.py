"""Dashboard tests: the real `flux start server` (embedded worker, bubblewrap sandbox) driven
by Playwright in the Debian Chromium (`apt-get install chromium`; Playwright's own browser
download is not used).

Every page a test opens collects console errors and uncaught exceptions; the test fails if
there were any. Screenshots go to `test-artifacts/dashboard/` (git-ignored).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import sync_playwright

from tests.conftest import REPO, FluxServer, start_server, stop_server

CHROMIUM = os.environ.get("FLUX_TEST_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts" / "dashboard"
SERVER_ENV = {"FLUX_JOBS__RETRY_DELAY": "0.05", "FLUX_JOBS__TIMEOUT": "60"}
DESKTOP = {"width": 1360, "height": 900}
PHONE = {"width": 390, "height": 844}


# Per module, not per session: while Playwright's sync API runs, it holds an event loop in
# this thread, and the async tests of other modules (pytest-asyncio) could not start theirs.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: apt-get install -y chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        try:
            yield launched
        finally:
            launched.close()


def wait_for_worker(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        workers = httpx.get(f"{url}/workers", timeout=5).json()
        if any(w["status"] == "connected" for w in workers):
            return
        time.sleep(0.05)
    raise AssertionError("the embedded worker did not connect")


def running_server(cwd: Path, **env: str) -> FluxServer:
    if shutil.which("bwrap") is None:
        pytest.fail("bubblewrap is not installed: apt-get install -y bubblewrap (.ci/run does)")
    server = start_server(cwd, **{**SERVER_ENV, **env})
    try:
        wait_for_worker(server.url)
    except BaseException:
        stop_server(server)
        raise
    return server


def stop_and_report(server: FluxServer) -> None:
    """Stop the server and print the end of its log: pytest shows it when a test failed."""
    stop_server(server)
    log = server.cwd / "server.log"
    if log.exists():
        print("--- end of server.log ---\n" + "\n".join(log.read_text().splitlines()[-60:]))


class Page:
    """A browser page on the server, with its console errors and a screenshot helper."""

    def __init__(self, page: Any, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text}")

    def open(self, route: str) -> Any:
        """Go to `#<route>` and wait until the page's data has loaded."""
        self.page.goto(f"{self.base_url}/#{route}")
        self.settle()
        return self.page

    def settle(self, timeout: float = 15000) -> None:
        # Not "networkidle": the live stream keeps a request open for as long as the page.
        self.page.wait_for_function(
            "() => document.querySelector('#view h1') && !document.querySelector('#view .loading')",
            timeout=timeout,
        )

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{re.sub(r'[^a-z0-9_-]+', '-', name.lower())}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def open_page(browser: Any) -> Iterator[Callable[..., Page]]:
    """`open_page(server_url, viewport=DESKTOP)`: a fresh page; its console must stay clean."""
    pages: list[tuple[Any, Page]] = []

    def make(base_url: str, viewport: dict[str, int] = DESKTOP) -> Page:
        context = browser.new_context(viewport=viewport)
        page = Page(context.new_page(), base_url)
        pages.append((context, page))
        return page

    yield make
    errors = [error for _, page in pages for error in page.errors]
    for context, _ in pages:
        context.close()
    assert not errors, "the browser reported errors:\n" + "\n".join(errors)


def upload(url: str, filename: str, source: str) -> list[dict[str, Any]]:
    response = httpx.post(
        f"{url}/workflows", files={"file": (filename, source.encode(), "text/x-python")}, timeout=30
    )
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def run_async(url: str, workflow: str, value: Any = None) -> str:
    response = httpx.post(f"{url}/workflows/{workflow}/run/async", json=value, timeout=30)
    assert response.status_code == 200, response.text
    execution_id: str = response.json()["execution_id"]
    return execution_id


def submit_job(url: str, script: str, runtime: str = "bash", **fields: Any) -> str:
    response = httpx.post(
        f"{url}/jobs/submit", json={"runtime": runtime, "script": script, **fields}, timeout=30
    )
    assert response.status_code == 201, response.text
    job_id: str = response.json()["jobId"]
    return job_id


def wait_state(
    url: str, execution_id: str, states: tuple[str, ...], timeout: float = 60
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        view: dict[str, Any] = httpx.get(f"{url}/executions/{execution_id}", timeout=10).json()
        if view["state"] in states:
            return view
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{execution_id} is {view['state']}, not {states}: {json.dumps(view)[:500]}"
            )
        time.sleep(0.05)
