"""`flux audit list` as a user runs it, against a real `flux start server` (loopback, no key
needed): a secret set and read shows up as a table and as JSON, filtered and paged; a bad
`--since` is a usage error."""

from __future__ import annotations

import json

import pytest
from conftest import FluxCLI, FluxServer

pytestmark = pytest.mark.slow


def test_audit_list_shows_secret_actions(flux_server: FluxServer, flux_cli: FluxCLI) -> None:
    cli = flux_cli.at(flux_server.url)
    assert cli("secrets", "set", "CLI_AUDIT", "hidden-value-31337").returncode == 0
    assert cli("secrets", "get", "--yes", "CLI_AUDIT").returncode == 0

    shown = cli("audit", "list", "--action", "secret", "--since", "1h")
    assert shown.returncode == 0, shown.stderr
    header, *rows = shown.stdout.splitlines()
    assert header.split() == ["TIME", "ACTOR", "ROLE", "ACTION", "TARGET", "STATUS", "CLIENT"]
    assert [row.split()[5:8] for row in rows] == [
        ["secret.read", "CLI_AUDIT", "200"],
        ["secret.set", "CLI_AUDIT", "204"],
    ]
    assert "anonymous (loopback)" in rows[0]
    assert "hidden-value-31337" not in shown.stdout

    first = cli("audit", "list", "--target", "CLI_AUDIT", "--limit", "1", "--format", "json")
    page = json.loads(first.stdout)
    assert [e["action"] for e in page["entries"]] == ["secret.read"]
    more = cli("audit", "list", "--target", "CLI_AUDIT", "--cursor", page["next_cursor"])
    assert more.returncode == 0, more.stderr
    assert [row.split()[5] for row in more.stdout.splitlines()[1:]] == ["secret.set"]

    paged = cli("audit", "list", "--target", "CLI_AUDIT", "--limit", "1")
    assert f"--cursor {page['next_cursor']}" in paged.stderr


def test_audit_list_refuses_a_bad_time(flux_server: FluxServer, flux_cli: FluxCLI) -> None:
    refused = flux_cli.at(flux_server.url)("audit", "list", "--since", "yesterday")
    assert refused.returncode == 2
    assert "neither an age like 30m" in refused.stderr
