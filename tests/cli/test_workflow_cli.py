"""`flux workflow` as a user runs it: the real command in a subprocess, against a server."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from flux.client import FluxClient

pytestmark = pytest.mark.slow

WORKFLOWS = Path(__file__).resolve().parents[1] / "fixtures" / "server_workflows.py"
# Sync waits end after 3 s on this module's server, so that the 202 answer is reachable.
SERVER_ENV = {"FLUX_SERVER__SYNC_TIMEOUT": "3"}
SYNTAX_ERROR = "from flux import workflow\n\n@workflow\nasync def oops(ctx)\n    return 1\n"


@pytest.fixture(scope="module")
def registered(server_url: str) -> str:
    with FluxClient(server_url) as client:
        client.upload_workflow(WORKFLOWS)
    return server_url


@pytest.fixture
def flux(flux_cli: Any, registered: str) -> Any:
    """`flux ...` against the module's server, its workflows registered."""
    return flux_cli.at(registered)


def as_json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def wait_for_state(flux: Any, name: str, execution_id: str, state: str) -> Any:
    deadline = time.monotonic() + 30
    while True:
        view = as_json(flux("workflow", "status", name, execution_id, "--format", "json"))
        if view["state"] == state or time.monotonic() > deadline:
            return view
        time.sleep(0.05)


def test_register_names_each_workflow_of_the_file(server_url: str, flux_cli: Any) -> None:
    result = flux_cli.at(server_url)("workflow", "register", str(WORKFLOWS))
    assert result.returncode == 0, result.stderr
    lines = sorted(result.stdout.splitlines())
    assert len(lines) == 4
    assert lines[0].startswith("Registered workflow 'approval' (version ")
    assert lines[0].endswith(f") from {WORKFLOWS}")


def test_register_of_a_file_with_a_syntax_error_fails_with_the_parsers_message(
    server_url: str, flux_cli: Any, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(SYNTAX_ERROR)
    result = flux_cli.at(server_url)("workflow", "register", str(bad))
    assert (result.returncode, result.stdout) == (1, "")
    assert "line 4" in result.stderr
    assert "expected ':'" in result.stderr
    missing = flux_cli.at(server_url)("workflow", "register", "nope.py")
    assert missing.returncode == 2
    assert "'nope.py' does not exist" in missing.stderr


def test_list_as_a_table_and_as_json(flux: Any) -> None:
    table = flux("workflow", "list")
    assert table.returncode == 0
    header, *rows = table.stdout.splitlines()
    assert header.split() == ["NAME", "VERSION", "FILE", "REGISTERED"]
    assert any(row.startswith("hello_world ") and "server_workflows.py" in row for row in rows)
    listed = as_json(flux("workflow", "list", "--format", "json"))
    assert {"hello_world", "approval"} <= {w["name"] for w in listed}


def test_show_a_workflow(flux: Any) -> None:
    shown = flux("workflow", "show", "hello_world")
    assert shown.returncode == 0
    assert shown.stdout.splitlines()[0].split() == ["name", "hello_world"]
    assert "async def hello_world" not in shown.stdout
    assert "async def hello_world" in flux("workflow", "show", "hello_world", "--source").stdout
    detail = as_json(flux("workflow", "show", "hello_world", "--format", "json"))
    assert detail["source"] == WORKFLOWS.read_text()


def test_run_sync_prints_the_output(flux: Any) -> None:
    result = flux("workflow", "run", "hello_world", '"World"', "--mode", "sync")
    assert result.returncode == 0, result.stderr
    fields = dict(line.split(None, 1) for line in result.stdout.splitlines())
    assert (fields["state"], fields["output"]) == ("COMPLETED", '"Hello, World"')
    view = as_json(
        flux("workflow", "run", "hello_world", '"J"', "--mode", "sync", "--format", "json")
    )
    assert (view["state"], view["output"]) == ("COMPLETED", "Hello, J")


def test_run_async_then_status(flux: Any) -> None:
    started = as_json(flux("workflow", "run", "hello_world", '"Later"', "--format", "json"))
    done = wait_for_state(flux, "hello_world", started["execution_id"], "COMPLETED")
    assert done["output"] == "Hello, Later"
    detailed = flux("workflow", "status", "hello_world", started["execution_id"], "--detailed")
    assert detailed.returncode == 0
    assert "TYPE" in detailed.stdout
    assert "WORKFLOW_COMPLETED" in detailed.stdout


def test_input_can_come_from_stdin(flux: Any) -> None:
    args = ("workflow", "run", "hello_world", "-", "--mode", "sync", "--format", "json")
    assert as_json(flux(*args, stdin='"Stdin"'))["output"] == "Hello, Stdin"


def test_run_stream_prints_events_as_they_come(flux: Any) -> None:
    text = flux("workflow", "run", "hello_world", '"S"', "--mode", "stream")
    assert text.returncode == 0, text.stderr
    assert text.stdout.splitlines()[-1].startswith("workflow.execution.completed  {")
    lines = flux("workflow", "run", "hello_world", '"S"', "--mode", "stream", "--format", "json")
    events = [json.loads(line) for line in lines.stdout.splitlines()]
    assert events[-1]["event"] == "workflow.execution.completed"
    assert events[-1]["data"]["output"] == "Hello, S"


def test_a_sync_run_still_going_when_the_server_stops_waiting(flux: Any) -> None:
    result = flux("workflow", "run", "slow", "--mode", "sync")
    assert result.returncode == 0, result.stderr
    fields = dict(line.split(None, 1) for line in result.stdout.splitlines())
    assert fields["state"] in ("SCHEDULED", "CLAIMED", "RUNNING")
    assert result.stderr == (
        f"The run is still {fields['state']}; follow it with "
        f"`flux workflow status slow {fields['execution_id']}`.\n"
    )
    assert flux("workflow", "cancel", "slow", fields["execution_id"]).returncode == 0


def test_a_streamed_run_that_fails_exits_1(flux: Any) -> None:
    result = flux("workflow", "run", "broken", "--mode", "stream")
    assert result.returncode == 1
    last = result.stdout.splitlines()[-1]
    assert last.startswith("workflow.execution.failed  {")
    assert "failed: " in result.stderr
    assert "boom" in result.stderr


def test_resume_a_paused_run(flux: Any) -> None:
    paused = as_json(
        flux("workflow", "run", "approval", '"A-7"', "--mode", "sync", "--format", "json")
    )
    assert (paused["state"], paused["output"]) == ("PAUSED", {"order": "A-7"})
    execution_id = paused["execution_id"]
    resume = ("workflow", "resume", "approval", execution_id, '{"approved": false}')
    resumed = as_json(flux(*resume, "--mode", "sync", "--format", "json"))
    assert (resumed["state"], resumed["output"]) == ("COMPLETED", "A-7: rejected")
    again = flux(*resume)
    assert again.returncode == 1
    assert again.stderr.startswith("Error: ")


def test_resume_and_stream(flux: Any) -> None:
    paused = as_json(
        flux("workflow", "run", "approval", '"B-1"', "--mode", "sync", "--format", "json")
    )
    resume = ("workflow", "resume", "approval", paused["execution_id"], '{"approved": true}')
    result = flux(*resume, "--mode", "stream", "--format", "json")
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert events[-1]["event"] == "workflow.execution.completed"
    assert events[-1]["data"]["output"] == "B-1: approved"


def test_cancel_a_running_run(flux: Any) -> None:
    execution_id = as_json(flux("workflow", "run", "slow", "--format", "json"))["execution_id"]
    assert wait_for_state(flux, "slow", execution_id, "RUNNING")["state"] == "RUNNING"
    cancelled = flux("workflow", "cancel", "slow", execution_id, "--mode", "sync")
    assert cancelled.returncode == 0, cancelled.stderr
    assert "CANCELLED" in cancelled.stdout
    again = flux("workflow", "cancel", "slow", execution_id)
    assert again.returncode == 1
    assert "cancel" in again.stderr


def test_a_failed_run_exits_1_and_says_why(flux: Any) -> None:
    result = flux("workflow", "run", "broken", "--mode", "sync")
    assert result.returncode == 1
    assert "FAILED" in result.stdout
    assert "failed: " in result.stderr
    assert "boom" in result.stderr


def test_unknown_workflow_or_execution_exits_1(flux: Any) -> None:
    result = flux("workflow", "run", "nope", "1")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.startswith("Error: ")
    assert "workflow 'nope' not found" in result.stderr
    status = flux("workflow", "status", "hello_world", "no-such-id")
    assert status.returncode == 1
    assert "no-such-id" in status.stderr


def test_input_that_is_not_json_exits_2(flux_cli: Any) -> None:
    result = flux_cli("workflow", "run", "hello_world", "World")
    assert (result.returncode, result.stdout) == (2, "")
    assert "Invalid value for 'INPUT': not valid JSON" in result.stderr
    assert "a string needs its own quotes, e.g. '\"World\"'" in result.stderr


def test_server_down_exits_3_and_says_how_to_start_it(flux_cli: Any, dead_server_url: str) -> None:
    expected = (
        f"Error: cannot reach the Flux server at {dead_server_url}: connection refused; "
        "start it with `flux start server`\n"
    )
    down = flux_cli.at(dead_server_url)
    for args in (("list",), ("run", "hello_world", '"x"', "--mode", "sync"), ("show", "w")):
        result = down("workflow", *args)
        assert (result.returncode, result.stdout, result.stderr) == (3, "", expected)


def test_server_url_defaults_to_the_setting(
    registered: str, flux_cli: Any, dead_server_url: str
) -> None:
    env = {"FLUX_WORKERS__SERVER_URL": registered}
    assert flux_cli("workflow", "list", env=env).returncode == 0
    toml = f'[flux.workers]\nserver_url = "{dead_server_url}"\n'
    (flux_cli.cwd / "flux.toml").write_text(toml)
    assert flux_cli("workflow", "list").returncode == 3
    bad = flux_cli("workflow", "list", "--server-url", "localhost:8000")
    assert bad.returncode == 2
    assert "'localhost:8000' is not an http:// or https:// URL" in bad.stderr
