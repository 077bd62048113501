"""`flux execution` as a user runs it, against a server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from flux.client import FluxClient

pytestmark = pytest.mark.slow

WORKFLOWS = Path(__file__).resolve().parents[1] / "fixtures" / "server_workflows.py"


@pytest.fixture(scope="module")
def execution_ids(server_url: str) -> list[str]:
    """Three finished runs of hello_world and one failed run of broken, oldest first."""
    with FluxClient(server_url) as client:
        client.upload_workflow(WORKFLOWS)
        ids = [client.run("hello_world", str(i), mode="sync").execution_id for i in range(3)]
        ids.append(client.run("broken", mode="sync").execution_id)
    return ids


@pytest.fixture
def flux(flux_cli: Any, server_url: str, execution_ids: list[str]) -> Any:
    return flux_cli.at(server_url)


def test_list_newest_first_as_a_table(flux: Any, execution_ids: list[str]) -> None:
    result = flux("execution", "list")
    assert result.returncode == 0
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["EXECUTION_ID", "WORKFLOW", "STATE", "CREATED", "UPDATED"]
    assert [row.split()[0] for row in rows] == execution_ids[::-1]
    assert rows[0].split()[1:3] == ["broken", "FAILED"]


def test_list_filters_and_pages(flux: Any, execution_ids: list[str]) -> None:
    page = json.loads(
        flux(
            "execution", "list", "--workflow", "hello_world", "--limit", "2", "--format", "json"
        ).stdout
    )
    assert (page["count"], page["limit"], page["offset"]) == (3, 2, 0)
    assert [v["execution_id"] for v in page["executions"]] == execution_ids[2:0:-1]
    table = flux("execution", "list", "--workflow", "hello_world", "--limit", "2")
    assert "Showing 1-2 of 3; next page: --offset 2" in table.stderr
    failed = json.loads(flux("execution", "list", "--state", "failed", "--format", "json").stdout)
    assert [v["execution_id"] for v in failed["executions"]] == [execution_ids[3]]
    empty = flux("execution", "list", "--workflow", "nothing-ran")
    assert (empty.returncode, empty.stdout, empty.stderr) == (0, "", "No executions.\n")


def test_bad_filters_are_usage_errors(flux: Any) -> None:
    assert flux("execution", "list", "--state", "DONE").returncode == 2
    assert flux("execution", "list", "--limit", "0").returncode == 2


def test_show_an_execution(flux: Any, execution_ids: list[str]) -> None:
    shown = flux("execution", "show", execution_ids[0])
    assert shown.returncode == 0
    fields = dict(line.split(None, 1) for line in shown.stdout.splitlines())
    assert (fields["workflow"], fields["state"], fields["output"]) == (
        "hello_world",
        "COMPLETED",
        '"Hello, 0"',
    )
    detailed = json.loads(
        flux("execution", "show", execution_ids[3], "--detailed", "--format", "json").stdout
    )
    assert detailed["state"] == "FAILED"
    assert "boom" in detailed["error"]
    assert "WORKFLOW_FAILED" in [event["type"] for event in detailed["events"]]


def test_unknown_execution_exits_1(flux: Any) -> None:
    result = flux("execution", "show", "no-such-id")
    assert (result.returncode, result.stdout) == (1, "")
    assert "no-such-id" in result.stderr
