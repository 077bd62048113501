"""The dashboard on a server that requires API keys: without a key each page's calls are
refused, and a banner says a key is needed and leads to Settings; once a key is saved there
the banner goes and the pages load."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import start_server

from .conftest import Page, stop_and_report

pytestmark = pytest.mark.slow

KEY = re.compile(r"flux_[0-9a-f]{12}_[A-Za-z0-9_-]{43}")


def test_a_refused_key_shows_a_banner_leading_to_settings(
    open_page: Callable[..., Page], tmp_path: Path
) -> None:
    server = start_server(
        tmp_path, FLUX_SECURITY__REQUIRE_AUTH="true", FLUX_SERVER__EMBEDDED_WORKER="false"
    )
    try:
        admin = KEY.findall((tmp_path / "server.log").read_text())[0]
        page = open_page(server.url)
        view = page.page
        view.goto(f"{server.url}/#/workflows")  # not `open`: its data never loads
        banner = view.locator("#auth-banner")

        expect(banner).to_be_visible()
        expect(banner).to_contain_text("API key needed")
        expect(banner).to_contain_text("authentication required")
        # The page says why it is empty rather than loading forever.
        expect(view.locator("#view .error-box")).to_contain_text("authentication required")
        expect(view.locator("#view .loading")).to_be_hidden()
        page.shot("auth-banner")
        banner.get_by_role("link", name="Open Settings").click()
        expect(view.locator("#view h1")).to_have_text("Settings")
        view.locator("input[name=apiKey]").fill(admin)
        view.get_by_role("button", name="Save").click()
        expect(banner).to_be_hidden()
        page.open("/workflows")
        expect(view.locator("#view")).to_contain_text("No workflows yet.")
        expect(banner).to_be_hidden()
    finally:
        stop_and_report(server)
    # The refusals this test asked for are logged by the browser; nothing else may be.
    page.errors[:] = [e for e in page.errors if "status of 401" not in e]
