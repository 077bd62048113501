"""JSON DAG workflows (`POST /workflows/submit`) end to end: real server, embedded worker,
bubblewrap sandboxes."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.slow

# The job platform document's example payload, as written.
DOCUMENT_DAG = {
    "cron": "0 9 * * *",
    "nodes": [
        {
            "id": "step-1",
            "jobName": "Extract Data",
            "runtime": "python:3.9",
            "codeDependencies": ["requests"],
            "handler": "import requests\nprint('Downloading data...')",
            "dependencies": [],
        },
        {
            "id": "step-2",
            "jobName": "Process Data",
            "runtime": "node:18",
            "handler": "module.exports = async () => { console.log('Processing...') }",
            "dependencies": ["step-1"],
        },
    ],
}


def submit_dag(api: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post("/workflows/submit", json=body)
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


def wait_run(api: httpx.Client, run_id: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        run: dict[str, Any] = api.get(f"/workflows/runs/{run_id}").json()["run"]
        if run["state"] in ("COMPLETED", "FAILED", "CANCELLED"):
            return run
        assert time.monotonic() < deadline, run
        time.sleep(0.05)


def nodes(run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {node["id"]: node for node in run["nodes"]}


def test_the_document_example_is_scheduled_and_runs_step_1_then_step_2(
    api: httpx.Client,
) -> None:
    answer = submit_dag(api, DOCUMENT_DAG)
    assert answer["success"] is True and answer["workflowId"].startswith("dag-")
    # With `cron` the DAG gets a schedule instead of a run now.
    assert answer["runId"] is None and answer["scheduleId"].startswith("sch-")
    first = datetime.fromisoformat(answer["nextFireAt"])
    assert (first.hour, first.minute, first.second) == (9, 0, 0) and first > datetime.now(UTC)
    schedule = api.get(f"/schedules/{answer['scheduleId']}").json()
    assert schedule["workflow"] == answer["workflowId"] and schedule["source"] == "dag"
    assert schedule["schedule"]["expression"] == "0 9 * * *" and schedule["state"] == "active"

    # A DAG is a workflow of the catalog: listed, and runnable by name at any time.
    listed = {w["name"] for w in api.get("/workflows").json()}
    assert answer["workflowId"] in listed
    started = api.post(f"/workflows/{answer['workflowId']}/run/async", json=None).json()
    run = wait_run(api, started["execution_id"], timeout=240)
    assert run["state"] == "COMPLETED", run
    step1, step2 = nodes(run)["step-1"], nodes(run)["step-2"]
    assert step1["logs"] == "Downloading data...\n" and step2["logs"] == "Processing...\n"
    assert step1["state"] == step2["state"] == "COMPLETED"
    assert datetime.fromisoformat(step2["startedAt"]) >= datetime.fromisoformat(step1["finishedAt"])
    again = api.post(f"/workflows/{answer['workflowId']}/run/sync", json=None).json()
    assert again["state"] == "COMPLETED"


def test_resubmitting_changes_or_removes_the_schedule(api: httpx.Client) -> None:
    body = {"name": "nightly-dag", "nodes": [{"id": "a", "runtime": "bash", "handler": "true"}]}
    first = submit_dag(api, {**body, "cron": "0 2 * * *", "timezone": "Europe/Lisbon"})
    changed = submit_dag(api, {**body, "cron": "30 3 * * 1"})
    assert changed["scheduleId"] == first["scheduleId"] and changed["version"] == first["version"]
    schedule = api.get(f"/schedules/{first['scheduleId']}").json()
    assert schedule["schedule"] == {"type": "cron", "expression": "30 3 * * 1", "timezone": "UTC"}
    # Without cron it runs now and its schedule is gone.
    now = submit_dag(api, body)
    assert now["scheduleId"] is None and wait_run(api, now["runId"])["state"] == "COMPLETED"
    assert api.get(f"/schedules/{first['scheduleId']}").status_code == 404


def test_a_name_held_by_an_api_schedule_is_refused(api: httpx.Client) -> None:
    submit_dag(
        api, {"name": "held-dag", "nodes": [{"id": "a", "runtime": "bash", "handler": "true"}]}
    )
    made = api.post(
        "/schedules", json={"name": "held-dag", "workflow": "held-dag", "interval_seconds": 3600}
    )
    assert made.status_code == 201, made.text
    before = api.get("/workflows/held-dag").json()
    response = api.post(
        "/workflows/submit",
        json={
            "name": "held-dag",
            "cron": "* * * * *",
            "nodes": [{"id": "b", "runtime": "bash", "handler": "true"}],
        },
    )
    assert response.status_code == 409 and "held-dag" in response.json()["detail"]
    assert api.get("/workflows/held-dag").json() == before  # nothing stored


def test_outputs_flow_downstream(api: httpx.Client) -> None:
    body = {
        "input": {"n": 4},
        "nodes": [
            {
                "id": "double",
                "runtime": "python",
                "handler": "import json, os\np = json.loads(os.environ['PAYLOAD'])\n"
                "json.dump(p['input']['n'] * 2, open(os.environ['FLUX_OUTPUT'], 'w'))\n",
            },
            {
                "id": "describe",
                "runtime": "node",
                "dependencies": ["double"],
                "handler": "module.exports = async (p) => ({ got: p.upstream.double, "
                "input: p.input });",
            },
        ],
    }
    run = wait_run(api, submit_dag(api, body)["runId"])
    assert run["state"] == "COMPLETED", run
    assert nodes(run)["describe"]["output"] == {"got": 8, "input": {"n": 4}}
    assert run["output"] == {"double": 8, "describe": {"got": 8, "input": {"n": 4}}}


def test_two_names_with_the_same_definition_each_run_under_their_own_name(
    api: httpx.Client,
) -> None:
    # One definition is one content version; a worker that has built the first name's
    # workflow must still run the second name's runs as that name.
    nodes_ = [{"id": "a", "runtime": "bash", "handler": "echo same"}]
    first = submit_dag(api, {"name": "twin-a", "nodes": nodes_})
    first_run = wait_run(api, first["runId"])
    second = submit_dag(api, {"name": "twin-b", "nodes": nodes_})
    second_run = wait_run(api, second["runId"])

    assert first["version"] == second["version"]
    assert (first_run["state"], second_run["state"]) == ("COMPLETED", "COMPLETED"), second_run
    assert nodes(second_run)["a"]["logs"].strip() == "same"


def test_a_diamond_runs_its_middle_nodes_at_the_same_time(api: httpx.Client) -> None:
    sleeper = "sleep 1; echo $PAYLOAD"
    body = {
        "nodes": [
            {"id": "top", "runtime": "bash", "handler": "echo top"},
            {"id": "left", "runtime": "bash", "handler": sleeper, "dependencies": ["top"]},
            {"id": "right", "runtime": "bash", "handler": sleeper, "dependencies": ["top"]},
            {
                "id": "bottom",
                "runtime": "bash",
                "handler": "echo end",
                "dependencies": ["left", "right"],
            },
        ]
    }
    run = wait_run(api, submit_dag(api, body)["runId"])
    assert run["state"] == "COMPLETED", run
    by_id = nodes(run)
    left, right, bottom = by_id["left"], by_id["right"], by_id["bottom"]
    assert left["startedAt"] < right["finishedAt"] and right["startedAt"] < left["finishedAt"]
    assert bottom["startedAt"] >= max(left["finishedAt"], right["finishedAt"])


def test_a_failed_node_skips_its_downstream_and_fails_the_run(api: httpx.Client) -> None:
    body = {
        "maxRetries": 0,
        "nodes": [
            {"id": "ok", "runtime": "bash", "handler": "echo fine"},
            {"id": "broken", "runtime": "bash", "handler": "echo bad >&2; exit 2"},
            {"id": "after", "runtime": "bash", "handler": "echo x", "dependencies": ["broken"]},
            {"id": "later", "runtime": "bash", "handler": "echo y", "dependencies": ["after"]},
        ],
    }
    run = wait_run(api, submit_dag(api, body)["runId"])
    assert run["state"] == "FAILED"
    assert "node 'broken' failed after 1 attempt: exit code 2" in run["error"]
    states = {node_id: node["state"] for node_id, node in nodes(run).items()}
    assert states == {"ok": "COMPLETED", "broken": "FAILED", "after": "SKIPPED", "later": "SKIPPED"}
    assert nodes(run)["broken"]["logs"] == "bad\n"


def test_node_retries(api: httpx.Client) -> None:
    body = {"nodes": [{"id": "flaky", "runtime": "bash", "handler": "exit 1", "maxRetries": 2}]}
    run = wait_run(api, submit_dag(api, body)["runId"])
    assert len(nodes(run)["flaky"]["attempts"]) == 3


_ONE = {"nodes": [{"id": "a", "runtime": "bash", "handler": "true"}]}


def _count(api: httpx.Client) -> tuple[int, int]:
    return len(api.get("/workflows").json()), len(api.get("/schedules").json())


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"nodes": []}, "'nodes' must be a non-empty array"),
        ({}, "'nodes' must be a non-empty array"),
        (
            {
                "nodes": [
                    {"id": "a", "runtime": "bash", "handler": "x", "dependencies": ["c"]},
                    {"id": "b", "runtime": "bash", "handler": "x", "dependencies": ["a"]},
                    {"id": "c", "runtime": "bash", "handler": "x", "dependencies": ["b"]},
                ]
            },
            "the nodes form a cycle: a -> b -> c -> a",
        ),
        (
            {"nodes": [{"id": "a", "runtime": "bash", "handler": "x", "dependencies": ["a"]}]},
            "node 'a' depends on itself",
        ),
        (
            {"nodes": [{"id": "a", "runtime": "bash", "handler": "x", "dependencies": ["zz"]}]},
            "node 'a' depends on unknown node 'zz'",
        ),
        (
            {
                "nodes": [
                    {"id": "a", "runtime": "bash", "handler": "x"},
                    {"id": "a", "runtime": "bash", "handler": "y"},
                ]
            },
            "duplicate node id 'a'",
        ),
        ({"nodes": [{"id": "a", "runtime": "cobol", "handler": "x"}]}, "unknown runtime 'cobol'"),
        (
            {"nodes": [{"id": "a", "runtime": "python", "handler": "def (:"}]},
            "node 'a': syntax error in the handler",
        ),
        ({"nodes": [{"id": "a", "runtime": "bash"}]}, "'handler' must be the script's source"),
        ({"nodes": [{"id": "../x", "runtime": "bash", "handler": "x"}]}, "'id' must be"),
        ({**_ONE, "cron": "*/0 * * * *"}, "*/0 * * * *"),
        ({**_ONE, "cron": "61 * * * *"}, "61 * * * *"),
        ({**_ONE, "cron": "0 0 30 2 *"}, "never fires"),
        ({**_ONE, "cron": "0 9 * * *", "timezone": "Mars/Olympus"}, "Mars/Olympus"),
        ({**_ONE, "cron": 5}, "'cron' must be a non-empty string"),
        ({**_ONE, "timezone": "UTC"}, "'timezone' applies to 'cron' only"),
    ],
)
def test_bad_definitions_are_refused_and_nothing_is_stored(
    api: httpx.Client, body: dict[str, Any], message: str
) -> None:
    before = _count(api)
    response = api.post("/workflows/submit", json=body)
    assert response.status_code == 400, response.text
    assert message in response.json()["detail"]
    assert _count(api) == before


def test_malformed_json_and_wrong_content_type(api: httpx.Client) -> None:
    response = api.post(
        "/workflows/submit", content=b"{nodes", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400 and "not valid JSON" in response.json()["detail"]
    response = api.post("/workflows/submit", content=b"x", headers={"content-type": "text/plain"})
    assert response.status_code == 415
    assert api.get("/workflows/runs/nope").status_code == 404
