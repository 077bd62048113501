"""The Audit page: who did what, filtered by action, without any secret's value."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import FluxServer

from .conftest import Page, running_server, stop_and_report

pytestmark = pytest.mark.slow

VALUE = "audit-page-secret-value-4242"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FluxServer]:
    server = running_server(tmp_path_factory.mktemp("audit-dashboard"))
    try:
        yield server
    finally:
        stop_and_report(server)


def test_audit_page_lists_actions_and_filters_them(
    server: FluxServer, open_page: Callable[..., Page]
) -> None:
    secret = {"name": "BILLING_TOKEN", "value": VALUE}
    assert httpx.post(f"{server.url}/admin/secrets", json=secret, timeout=10).status_code == 204
    assert httpx.get(f"{server.url}/admin/secrets/BILLING_TOKEN", timeout=10).status_code == 200
    assert httpx.delete(f"{server.url}/admin/secrets/BILLING_TOKEN", timeout=10).status_code == 204

    page = open_page(server.url)
    browser_page = page.open("/audit")
    rows = browser_page.locator("table.audit tbody tr")
    expect(rows.filter(has_text="secret.set")).to_have_count(1)
    expect(rows.filter(has_text="secret.read")).to_contain_text("BILLING_TOKEN")
    expect(rows.filter(has_text="secret.delete")).to_contain_text("204")
    page.shot("audit")

    expect(browser_page.get_by_role("button", name="Older")).to_have_count(0)  # one page

    browser_page.get_by_label("Action").fill("secret.read")
    browser_page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("secret.read")
    assert "action=secret.read" in browser_page.url
    assert VALUE not in browser_page.content()
