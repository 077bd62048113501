"""`FluxClient` against a Flux server in its own process: every call, and the errors a user
meets (unknown names, wrong states, a file that does not parse)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from hashlib import sha256
from pathlib import Path

import pytest

from flux.api.models import ExecutionView
from flux.client import (
    ConflictError,
    FluxClient,
    InvalidRequestError,
    NotFoundError,
)
from flux.domain.events import ExecutionState

pytestmark = pytest.mark.slow

WORKFLOWS = Path(__file__).resolve().parents[1] / "fixtures" / "server_workflows.py"
S = ExecutionState


@pytest.fixture(scope="module")
def client(server_url: str) -> Iterator[FluxClient]:
    with FluxClient(server_url, timeout=30) as client:
        client.upload_workflow(WORKFLOWS)
        yield client


def wait_for(client: FluxClient, view: ExecutionView, *states: S) -> ExecutionView:
    deadline = time.monotonic() + 30
    while view.state not in states:
        assert time.monotonic() < deadline, f"still {view.state}, expected {states}"
        time.sleep(0.02)
        view = client.status(view.workflow_name, view.execution_id)
    return view


def test_upload_registers_every_workflow_of_the_file(client: FluxClient) -> None:
    infos = client.upload_workflow(WORKFLOWS)
    version = sha256(WORKFLOWS.read_bytes()).hexdigest()
    assert {i.name for i in infos} == {"hello_world", "approval", "slow", "broken"}
    assert {i.version for i in infos} == {version}
    listed = {w.name: w for w in client.list_workflows()}
    assert listed["hello_world"].version == version
    detail = client.get_workflow("hello_world")
    assert detail.versions[0] == version
    assert detail.source == WORKFLOWS.read_text()


def test_a_file_with_a_syntax_error_is_refused_with_the_parsers_message(
    client: FluxClient, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from flux import workflow\n\n@workflow\nasync def oops(ctx)\n    return 1\n")
    with pytest.raises(InvalidRequestError) as caught:
        client.upload_workflow(bad)
    assert caught.value.status_code in (400, 422)
    assert "line 4" in str(caught.value)
    assert "expected ':'" in str(caught.value)
    with pytest.raises(NotFoundError):
        client.get_workflow("oops")


def test_run_sync_returns_the_output(client: FluxClient) -> None:
    view = client.run("hello_world", "World", mode="sync")
    assert (view.state, view.output, view.input) == (S.COMPLETED, "Hello, World", "World")
    assert view.workflow_name == "hello_world"


def test_run_async_returns_at_once_and_status_follows_it(client: FluxClient) -> None:
    view = client.run("hello_world", "Async")
    assert view.state in set(S)
    done = wait_for(client, view, S.COMPLETED)
    assert done.output == "Hello, Async"
    detailed = client.status("hello_world", view.execution_id, detailed=True)
    assert detailed.events is not None
    assert "WORKFLOW_COMPLETED" in [e.type for e in detailed.events]
    assert client.status("hello_world", view.execution_id).events is None


def test_stream_yields_the_documented_events(client: FluxClient) -> None:
    with client.stream("hello_world", "Stream") as events:
        received = list(events)
    names = [e.event for e in received]
    assert names[-1] == "workflow.execution.completed"
    assert set(names) <= {"workflow.execution.running", "workflow.execution.completed"}
    assert received[-1].data["output"] == "Hello, Stream"


def test_a_paused_run_is_resumed_with_input(client: FluxClient) -> None:
    paused = client.run("approval", "A-1", mode="sync")
    assert (paused.state, paused.output) == (S.PAUSED, {"order": "A-1"})
    resumed = client.resume("approval", paused.execution_id, {"approved": True}, mode="sync")
    assert (resumed.state, resumed.output) == (S.COMPLETED, "A-1: approved")
    with pytest.raises(ConflictError):
        client.resume("approval", paused.execution_id, {"approved": True}, mode="sync")


def test_cancel_stops_a_running_run(client: FluxClient) -> None:
    running = wait_for(client, client.run("slow"), S.RUNNING)
    cancelled = client.cancel("slow", running.execution_id, mode="sync")
    assert cancelled.state is S.CANCELLED
    with pytest.raises(ConflictError):
        client.cancel("slow", running.execution_id)


def test_a_failed_run_says_why(client: FluxClient) -> None:
    view = client.run("broken", mode="sync")
    assert view.state is S.FAILED
    assert view.error is not None
    assert "boom" in view.error


def test_executions_are_listed_with_filters_and_pages(client: FluxClient) -> None:
    ids = [client.run("hello_world", str(i), mode="sync").execution_id for i in range(3)]
    page = client.list_executions(workflow="hello_world", state="COMPLETED", limit=2)
    assert page.count >= 3
    assert (page.limit, page.offset, len(page.executions)) == (2, 0, 2)
    assert {v.workflow_name for v in page.executions} == {"hello_world"}
    assert {v.state for v in page.executions} == {S.COMPLETED}
    newest_first = [v.execution_id for v in page.executions]
    assert newest_first == [ids[2], ids[1]]
    second = client.list_executions(workflow="hello_world", limit=2, offset=2)
    assert ids[0] in [v.execution_id for v in second.executions]
    shown = client.get_execution(ids[0], detailed=True)
    assert (shown.output, shown.events is not None) == ("Hello, 0", True)


def test_unknown_names_are_not_found(client: FluxClient) -> None:
    with pytest.raises(NotFoundError, match="nope"):
        client.get_workflow("nope")
    with pytest.raises(NotFoundError, match="nope"):
        client.run("nope", 1, mode="sync")
    with pytest.raises(NotFoundError, match="nope"):
        client.stream("nope")
    with pytest.raises(NotFoundError, match="no-such-id"):
        client.status("hello_world", "no-such-id")
    with pytest.raises(NotFoundError, match="no-such-id"):
        client.get_execution("no-such-id")


def test_secrets_round_trip(client: FluxClient) -> None:
    client.set_secret("CLIENT_KEY", "v1")
    client.set_secret("CLIENT_KEY", {"nested": [1, 2]})
    assert "CLIENT_KEY" in client.list_secrets()
    assert client.get_secret("CLIENT_KEY").value == {"nested": [1, 2]}
    client.delete_secret("CLIENT_KEY")
    assert "CLIENT_KEY" not in client.list_secrets()
    with pytest.raises(NotFoundError):
        client.get_secret("CLIENT_KEY")
    with pytest.raises(NotFoundError):
        client.delete_secret("CLIENT_KEY")


def test_health(client: FluxClient) -> None:
    assert client.health()
