"""Workflow tools over streamable HTTP against a real Flux server: upload, details, sync and
async runs, status, pause and resume, cancel, listing; and how refusals come back."""

from __future__ import annotations

from hashlib import sha256

import pytest

from tests.mcp.conftest import call, call_error, streamable_http_session, wait_state

pytestmark = pytest.mark.slow

GREETER = """\
from flux import ExecutionContext, task, workflow


@task
async def shout(text: str) -> str:
    return text.upper() + "!"


@workflow
async def mcp_greeter(ctx: ExecutionContext[dict]):
    return await shout(f"hi {ctx.input['name']}")
"""


async def test_upload_show_and_run_a_workflow_from_source_text(mcp_url: str) -> None:
    async with streamable_http_session(mcp_url) as session:
        uploaded = await call(session, "upload_workflow", source=GREETER, filename="greeter.py")
        listed = await call(session, "list_workflows")
        brief = await call(session, "get_workflow_details", workflow_name="mcp_greeter")
        full = await call(
            session, "get_workflow_details", workflow_name="mcp_greeter", include_source=True
        )
        view = await call(
            session, "execute_workflow_sync", workflow_name="mcp_greeter", input={"name": "ada"}
        )
    version = sha256(GREETER.encode()).hexdigest()
    [info] = uploaded["workflows"]
    assert (info["name"], info["version"], info["filename"]) == (
        "mcp_greeter",
        version,
        "greeter.py",
    )
    assert "mcp_greeter" in {w["name"] for w in listed["workflows"]}
    assert brief["versions"] == [version] and "source" not in brief
    assert full["source"] == GREETER
    assert (view["state"], view["output"], view["input"]) == (
        "COMPLETED",
        "HI ADA!",
        {"name": "ada"},
    )
    assert "note" not in view


async def test_a_file_that_does_not_parse_is_refused_with_the_parsers_message(
    mcp_url: str,
) -> None:
    source = "from flux import workflow\n\n@workflow\nasync def oops(ctx)\n    return 1\n"
    async with streamable_http_session(mcp_url) as session:
        message = await call_error(session, "upload_workflow", source=source, filename="oops.py")
        missing = await call_error(session, "get_workflow_details", workflow_name="oops")
    assert "invalid request" in message and "line 4" in message
    assert "not found" in missing and "oops" in missing


async def test_async_run_then_status_by_id_and_by_workflow(mcp_url: str) -> None:
    async with streamable_http_session(mcp_url) as session:
        started = await call(
            session, "execute_workflow_async", workflow_name="hello_world", input="later"
        )
        execution_id = started["execution_id"]
        done = await wait_state(session, execution_id, "COMPLETED")
        detailed = await call(
            session,
            "get_execution_status",
            execution_id=execution_id,
            workflow_name="hello_world",
            detailed=True,
        )
    assert started["workflow_name"] == "hello_world" and "events" not in started
    assert done["output"] == "Hello, later"
    types = [event["type"] for event in detailed["events"]]
    assert "WORKFLOW_STARTED" in types and types[-1] == "WORKFLOW_COMPLETED"
    assert "TASK_COMPLETED" in types


async def test_a_run_that_fails_is_a_result_with_its_error(mcp_url: str) -> None:
    async with streamable_http_session(mcp_url) as session:
        view = await call(session, "execute_workflow_sync", workflow_name="broken")
    assert view["state"] == "FAILED" and "boom" in view["error"]


async def test_pause_then_resume_sync_and_async(mcp_url: str) -> None:
    async with streamable_http_session(mcp_url) as session:
        paused = await call(session, "execute_workflow_sync", workflow_name="approval", input="A-1")
        execution_id = paused["execution_id"]
        # The workflow's name is looked up from the execution when it is left out.
        resumed = await call(
            session, "resume_workflow_sync", execution_id=execution_id, input={"approved": True}
        )
        again = await call(session, "execute_workflow_sync", workflow_name="approval", input="A-2")
        queued = await call(
            session,
            "resume_workflow_async",
            execution_id=again["execution_id"],
            workflow_name="approval",
            input={"approved": False},
        )
        rejected = await wait_state(session, again["execution_id"], "COMPLETED")
        refused = await call_error(
            session, "resume_workflow_sync", execution_id=execution_id, input={}
        )
    assert paused["state"] == "PAUSED"
    assert "resume_workflow_sync" in paused["note"] and execution_id in paused["note"]
    assert (resumed["state"], resumed["output"]) == ("COMPLETED", "A-1: approved")
    assert queued["execution_id"] == again["execution_id"]
    assert rejected["output"] == "A-2: rejected"
    assert refused.startswith("Error executing tool resume_workflow_sync: not allowed now:")


async def test_cancel_a_running_execution(mcp_url: str) -> None:
    async with streamable_http_session(mcp_url) as session:
        started = await call(session, "execute_workflow_async", workflow_name="slow")
        execution_id = started["execution_id"]
        await wait_state(session, execution_id, "RUNNING")
        cancelled = await call(session, "cancel_execution", execution_id=execution_id, wait=True)
        refused = await call_error(session, "cancel_execution", execution_id=execution_id)
    assert cancelled["state"] == "CANCELLED" and cancelled["execution_id"] == execution_id
    assert "not allowed now" in refused


async def test_unknown_workflow_and_execution_are_tool_errors(mcp_url: str) -> None:
    async with streamable_http_session(mcp_url) as session:
        run = await call_error(session, "execute_workflow_sync", workflow_name="no_such_flow")
        run_async = await call_error(session, "execute_workflow_async", workflow_name="nope")
        status = await call_error(session, "get_execution_status", execution_id="e-missing")
        cancel = await call_error(session, "cancel_execution", execution_id="e-missing")
        resume = await call_error(
            session, "resume_workflow_async", execution_id="e-missing", workflow_name="approval"
        )
    assert "not found" in run and "no_such_flow" in run
    assert "not found" in run_async
    for message in (status, cancel, resume):
        assert "not found" in message and "e-missing" in message, message


async def test_bad_arguments_are_tool_errors(mcp_url: str) -> None:
    async with streamable_http_session(mcp_url) as session:
        # Refused by the tool's input schema, before anything is sent.
        missing = await call_error(session, "execute_workflow_sync")
        too_small = await call_error(session, "list_executions", limit=0)
        # Refused by the Flux server (400/422 detail).
        state = await call_error(session, "list_executions", state="sleepy")
    assert "workflow_name" in missing
    assert "limit" in too_small
    assert state.startswith("Error executing tool list_executions: invalid request:")
    assert "state" in state


async def test_list_executions_filters_and_pages(mcp_url: str) -> None:
    async with streamable_http_session(mcp_url) as session:
        for name in ("p1", "p2", "p3"):
            await call(session, "execute_workflow_sync", workflow_name="hello_world", input=name)
        first = await call(
            session, "list_executions", workflow_name="hello_world", state="completed", limit=2
        )
        second = await call(
            session, "list_executions", workflow_name="hello_world", limit=2, offset=2
        )
    assert first["count"] >= 3 and (first["limit"], first["offset"]) == (2, 0)
    assert len(first["executions"]) == 2
    assert {e["workflow_name"] for e in first["executions"] + second["executions"]} == {
        "hello_world"
    }
    assert {e["state"] for e in first["executions"]} == {"COMPLETED"}
    ids = [e["execution_id"] for e in first["executions"] + second["executions"]]
    assert len(ids) == len(set(ids))
