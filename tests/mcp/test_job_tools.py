"""Script jobs, JSON DAGs and workers through the MCP tools, run by the real server's
embedded worker."""

from __future__ import annotations

import time
from typing import Any

import anyio
import pytest
from mcp import ClientSession

from tests.mcp.conftest import call, call_error, streamable_http_session

pytestmark = pytest.mark.slow

BASH_JOB = """\
echo "payload: $PAYLOAD"
echo "to stderr" >&2
echo '{"sum": 3}' > "$FLUX_OUTPUT"
"""


async def wait_for(
    session: ClientSession, tool: str, key: str, value: str, *states: str, timeout: float = 90
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        found = await call(session, tool, **{key: value})
        view = found.get("run", found)
        if view["state"] in states:
            return view
        assert time.monotonic() < deadline, f"{value} is {view['state']}, not {states}"
        await anyio.sleep(0.05)


async def test_a_bash_job_runs_and_get_job_shows_output_and_logs(mcp_url: str) -> None:
    async with streamable_http_session(mcp_url) as session:
        submitted = await call(
            session,
            "submit_job",
            script=BASH_JOB,
            runtime="bash",
            name="mcp-sum",
            payload={"a": 1, "b": 2},
            max_retries=0,
        )
        job = await wait_for(
            session, "get_job", "job_id", submitted["jobId"], "COMPLETED", "FAILED"
        )
        listed = await call(session, "list_jobs", name="mcp-sum")
    assert submitted["state"] == "PENDING" and "success" not in submitted
    assert job["state"] == "COMPLETED", job
    assert job["output"] == {"sum": 3} and job["exitCode"] == 0
    assert 'payload: {"a": 1, "b": 2}' in job["logs"] and "to stderr" in job["logs"]
    assert job["name"] == "mcp-sum" and job["maxRetries"] == 0
    assert [a["state"] for a in job["attempts"]] == ["COMPLETED"]
    assert [j["jobId"] for j in listed["jobs"]] == [submitted["jobId"]]


async def test_a_failing_job_and_a_cancelled_one(mcp_url: str) -> None:
    async with streamable_http_session(mcp_url) as session:
        failing = await call(
            session, "submit_job", script="echo broken\nexit 3\n", runtime="bash", max_retries=0
        )
        sleeper = await call(session, "submit_job", script="sleep 60\n", runtime="bash")
        failed = await wait_for(session, "get_job", "job_id", failing["jobId"], "FAILED")
        await wait_for(session, "get_job", "job_id", sleeper["jobId"], "RUNNING")
        answer = await call(session, "cancel_job", job_id=sleeper["jobId"])
        cancelled = await wait_for(session, "get_job", "job_id", sleeper["jobId"], "CANCELLED")
        refused = await call_error(session, "cancel_job", job_id=failing["jobId"])
    assert failed["exitCode"] == 3 and "broken" in failed["logs"]
    assert answer["jobId"] == sleeper["jobId"] and answer["state"] in ("RUNNING", "CANCELLED")
    assert cancelled["attempts"][-1]["state"] != "COMPLETED"
    assert "not allowed now" in refused


async def test_job_refusals_are_tool_errors(mcp_url: str) -> None:
    async with streamable_http_session(mcp_url) as session:
        runtime = await call_error(session, "submit_job", script="print(1)", runtime="cobol")
        syntax = await call_error(session, "submit_job", script="def f(:\n", runtime="python")
        unknown = await call_error(session, "get_job", job_id="no-such-job")
    assert "invalid request" in runtime and "unknown runtime 'cobol'" in runtime
    assert "invalid request" in syntax and "line 1" in syntax
    assert "not found" in unknown and "no-such-job" in unknown


async def test_submit_a_dag_and_follow_its_run(mcp_url: str) -> None:
    nodes = [
        {
            "id": "extract",
            "jobName": "Extract",
            "runtime": "bash",
            "handler": 'echo extracting\necho \'{"rows": 2}\' > "$FLUX_OUTPUT"\n',
        },
        {
            "id": "report",
            "job_name": "Report",  # snake_case is accepted too
            "runtime": "bash",
            "handler": 'echo "$PAYLOAD" > "$FLUX_OUTPUT"\n',
            "dependencies": ["extract"],
        },
    ]
    async with streamable_http_session(mcp_url) as session:
        submitted = await call(
            session, "submit_dag", nodes=nodes, name="mcp-dag", input={"day": "monday"}
        )
        run = await wait_for(
            session, "get_dag_run", "run_id", submitted["runId"], "COMPLETED", "FAILED"
        )
        status = await call(session, "get_execution_status", execution_id=submitted["runId"])
    assert submitted["workflowId"] == "mcp-dag" and submitted["scheduleId"] is None
    assert run["state"] == "COMPLETED", run
    by_id = {node["id"]: node for node in run["nodes"]}
    assert by_id["extract"]["jobName"] == "Extract" and by_id["report"]["jobName"] == "Report"
    assert by_id["extract"]["logs"] == "extracting\n"
    assert by_id["report"]["output"] == {
        "input": {"day": "monday"},
        "upstream": {"extract": {"rows": 2}},
    }
    assert status["state"] == "COMPLETED" and status["workflow_name"] == "mcp-dag"


async def test_a_dag_with_cron_is_scheduled_and_a_bad_dag_refused(mcp_url: str) -> None:
    node = {"id": "only", "runtime": "bash", "handler": "echo hi\n"}
    async with streamable_http_session(mcp_url) as session:
        scheduled = await call(
            session, "submit_dag", nodes=[node], cron="0 9 * * *", timezone="Europe/Lisbon"
        )
        cycle = await call_error(
            session,
            "submit_dag",
            nodes=[
                {**node, "id": "a", "dependencies": ["b"]},
                {**node, "id": "b", "dependencies": ["a"]},
            ],
        )
        empty = await call_error(session, "submit_dag", nodes=[])
        unknown = await call_error(session, "get_dag_run", run_id="no-such-run")
    assert scheduled["runId"] is None and scheduled["scheduleId"].startswith("sch-")
    assert scheduled["nextFireAt"]
    assert "invalid request" in cycle and "cycle" in cycle
    assert "nodes" in empty
    assert "not found" in unknown


async def test_list_workers_shows_the_embedded_worker(mcp_url: str) -> None:
    async with streamable_http_session(mcp_url) as session:
        workers = (await call(session, "list_workers"))["workers"]
    assert any(w["status"] == "connected" and w["name"].startswith("embedded-") for w in workers)
