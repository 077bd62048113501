"""The dashboard's read endpoints over HTTP, against a real server and worker: the live
stream of state changes, the overview, the filtered list with cursors, step logs, workers."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import FluxServer

from .conftest import running_server, stop_and_report, submit_job, upload, wait_state

pytestmark = pytest.mark.slow

SOURCE = """
from flux import ExecutionContext, task, workflow


@task
async def double(n: int) -> int:
    return n * 2


@workflow
async def doubler(ctx: ExecutionContext[int]):
    return await double(ctx.input)
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FluxServer]:
    server = running_server(tmp_path_factory.mktemp("read-api"))
    try:
        upload(server.url, "doubler.py", SOURCE)
        yield server
    finally:
        stop_and_report(server)


class Listener:
    """Reads `GET /executions/live` in a thread, keeping every event."""

    def __init__(self, url: str) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.ready = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, args=(url,), daemon=True)
        self._thread.start()
        assert self.ready.wait(10), "the live stream did not start"

    def _read(self, url: str) -> None:
        # The stream ends when the server stops, after the test that used it.
        with (
            contextlib.suppress(httpx.HTTPError),
            httpx.stream("GET", url, timeout=httpx.Timeout(5, read=None)) as response,
        ):
            name = ""
            for line in response.iter_lines():
                if self._stop.is_set():
                    return
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: "):
                    self.events.append((name, json.loads(line[6:])))
                    if name == "ready":
                        self.ready.set()

    def states(self, execution_id: str) -> list[str]:
        return [
            d["state"]
            for n, d in self.events
            if n == "execution" and d["execution_id"] == execution_id
        ]

    def wait_for(self, execution_id: str, state: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while state not in self.states(execution_id):
            if time.monotonic() > deadline:
                raise AssertionError(f"no {state} event for {execution_id}: {self.events}")
            time.sleep(0.02)

    def close(self) -> None:
        self._stop.set()


def test_live_stream_announces_new_runs_and_their_end(server: FluxServer) -> None:
    everything = Listener(f"{server.url}/executions/live")
    only_doubler = Listener(f"{server.url}/executions/live?workflow=doubler")
    try:
        run = httpx.post(f"{server.url}/workflows/doubler/run/async", json=21, timeout=10).json()
        job_id = submit_job(server.url, "echo hi")
        everything.wait_for(run["execution_id"], "COMPLETED")
        everything.wait_for(job_id, "COMPLETED")
        only_doubler.wait_for(run["execution_id"], "COMPLETED")
    finally:
        everything.close()
        only_doubler.close()

    event = next(d for n, d in everything.events if n == "execution" and d["state"] == "COMPLETED")
    assert set(event) == {
        "execution_id",
        "workflow",
        "state",
        "updated_at",
        "created_at",
        "parent_execution_id",
        "worker",
    }
    assert not [
        d for n, d in only_doubler.events if n == "execution" and d["execution_id"] == job_id
    ]


def test_live_stream_of_one_run_tells_when_it_prints(server: FluxServer) -> None:
    job_id = submit_job(server.url, "sleep 1; for i in 1 2 3; do echo line $i; sleep 0.3; done")
    listener = Listener(f"{server.url}/executions/live?execution_id={job_id}")
    try:
        listener.wait_for(job_id, "COMPLETED")
    finally:
        listener.close()
    assert any(n == "output" and d == {"execution_id": job_id} for n, d in listener.events)
    steps = httpx.get(f"{server.url}/executions/{job_id}/logs", timeout=10).json()["steps"]
    assert steps and "line 3" in steps[0]["text"]


def test_overview_counts_what_ran(server: FluxServer) -> None:
    failing = submit_job(server.url, "exit 4", maxRetries=0)
    wait_state(server.url, failing, ("FAILED",))
    overview = httpx.get(f"{server.url}/stats/overview", params={"minutes": 15}, timeout=10).json()

    assert len(overview["throughput"]) == 15
    assert overview["states"]["FAILED"] >= 1 and overview["failed"] >= 1
    assert 0 < overview["failure_rate"] <= 1
    assert overview["fleet"]["healthy"] == 1 and overview["fleet"]["slots"] > 0
    assert overview["queue"] == {
        "depth": 0,
        "oldest_queued_at": None,
        "delayed": 0,
        "next_delayed_at": None,
    }
    assert httpx.get(f"{server.url}/stats/overview?minutes=0", timeout=10).status_code == 422


def test_search_filters_pages_and_refuses_bad_input(server: FluxServer) -> None:
    ids = [
        httpx.post(f"{server.url}/workflows/doubler/run/async", json=n, timeout=10).json()[
            "execution_id"
        ]
        for n in range(5)
    ]
    for execution_id in ids:
        wait_state(server.url, execution_id, ("COMPLETED",))
    with httpx.Client(base_url=server.url, timeout=10) as api:
        first = api.get("/executions/search", params={"workflow": "doubler", "limit": 3}).json()
        second = api.get(
            "/executions/search",
            params={"workflow": "doubler", "limit": 3, "cursor": first["next_cursor"]},
        ).json()
        python = api.get("/executions/search", params={"kind": "workflow"}).json()
        jobs = api.get("/executions/search", params={"kind": "job", "state": "FAILED"}).json()
        bad_cursor = api.get("/executions/search", params={"cursor": "nonsense"})
        naive = api.get("/executions/search", params={"since": "2025-01-01T00:00:00"})
        workers = api.get("/stats/workers").json()
        unknown_logs = api.get("/executions/nope/logs")

    listed = [r["execution_id"] for r in first["executions"] + second["executions"]]
    assert listed[:5] == ids[::-1]
    assert first["count"] == second["count"] >= 5
    assert {r["kind"] for r in python["executions"]} == {"workflow"}
    assert jobs["executions"] and {r["workflow_name"] for r in jobs["executions"]} == {"flux.job"}
    assert bad_cursor.status_code == 400 and naive.status_code == 400
    assert workers[0]["healthy"] is True and workers[0]["running"] == []
    assert unknown_logs.status_code == 404
