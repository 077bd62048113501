"""`flux worker list` against a server with its embedded worker."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from flux.client import FluxClient

pytestmark = pytest.mark.slow


def _connected(server_url: str) -> list[Any]:
    deadline = time.monotonic() + 30
    with FluxClient(server_url) as client:
        while time.monotonic() < deadline:
            workers = [w for w in client.list_workers() if w.status == "connected"]
            if workers:
                return workers
            time.sleep(0.1)
    raise AssertionError("the embedded worker never connected")


def test_worker_list_shows_the_embedded_worker(flux_cli: Any, server_url: str) -> None:
    embedded = _connected(server_url)[0]
    table = flux_cli.at(server_url)("worker", "list")
    assert table.returncode == 0, table.stderr
    header, *rows = table.stdout.splitlines()
    assert header.split()[:3] == ["NAME", "STATUS", "CPUS"]
    assert any(row.split()[:2] == [embedded.name, "connected"] for row in rows)
    as_json = flux_cli.at(server_url)("worker", "list", "--format", "json")
    assert embedded.name in [w["name"] for w in json.loads(as_json.stdout)]


def test_worker_list_with_no_server(flux_cli: Any, dead_server_url: str) -> None:
    result = flux_cli.at(dead_server_url)("worker", "list")
    assert result.returncode == 3
    assert "flux start server" in result.stderr
