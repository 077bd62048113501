"""The real thing: `flux start server --no-worker` and `flux start worker` processes on
loopback, driven over HTTP as a user would. Workers are killed with SIGKILL and stopped with
SIGTERM; side effects are counted in a file to check that finished steps ran exactly once."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .processes import Cluster, wait_until

pytestmark = pytest.mark.slow

HERE = Path(__file__).parent
WORKFLOWS = HERE / "e2e_workflows.py"
CALLEE = HERE / "e2e_callee.py"


def _cluster(path: Path) -> Cluster:
    cluster = Cluster(path)
    cluster.start_server()
    cluster.upload(WORKFLOWS)
    cluster.upload(CALLEE)
    return cluster


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """One server and one worker for the tests that do not kill anything."""
    cluster = _cluster(tmp_path_factory.mktemp("shared"))
    try:
        cluster.start_worker("shared-worker")
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    """A server of the test's own, with no worker yet."""
    cluster = _cluster(tmp_path)
    try:
        yield cluster
    finally:
        cluster.stop()


def _effects(path: Path) -> list[tuple[str, int]]:
    if not path.exists():
        return []
    return [
        (name, int(pid))
        for name, pid in (line.split() for line in path.read_text().split("\n") if line)
    ]


def test_sync_and_async_runs(shared: Cluster) -> None:
    view = shared.run("hello", "world")
    assert view["state"] == "COMPLETED", view
    assert view["output"] == "hello world"
    started = shared.run("hello", "async", mode="async")
    done = shared.wait_state("hello", started["execution_id"], ("COMPLETED",))
    assert done["output"] == "hello async"


def test_pause_and_resume(shared: Cluster) -> None:
    paused = shared.run("approval", "deploy")
    assert paused["state"] == "PAUSED", paused
    with shared.client() as client:
        response = client.post(
            f"/workflows/approval/resume/{paused['execution_id']}/sync", json="yes"
        )
    assert response.status_code == 200, response.text
    assert response.json()["output"] == "deploy: yes"


def test_cancel_a_running_execution(shared: Cluster) -> None:
    started = shared.run("sleeper", 60, mode="async")
    execution_id = started["execution_id"]
    shared.wait_state("sleeper", execution_id, ("RUNNING",))
    with shared.client() as client:
        response = client.get(f"/workflows/sleeper/cancel/{execution_id}", params={"mode": "sync"})
    assert response.status_code == 200, response.text
    assert shared.wait_state("sleeper", execution_id, ("CANCELLED",))["state"] == "CANCELLED"


def test_subworkflow_from_another_file(shared: Cluster) -> None:
    view = shared.run("caller", 7)
    assert view["state"] == "COMPLETED", view
    assert view["output"] == 50


def test_a_request_no_worker_fits_stays_queued_with_a_reason(shared: Cluster) -> None:
    started = shared.run("huge", None, mode="async")
    time.sleep(0.5)
    view = shared.status("huge", started["execution_id"])
    assert view["state"] == "SCHEDULED"
    assert view["pending_reason"], view


def test_sigkill_mid_step_resumes_on_another_worker_exactly_once(
    cluster: Cluster, tmp_path: Path
) -> None:
    effects, gate = tmp_path / "effects.txt", tmp_path / "gate"
    first = cluster.start_worker("first")
    started = cluster.run("steps", {"effects": str(effects), "gate": str(gate)}, mode="async")
    execution_id = started["execution_id"]
    wait_until(lambda: ("c-started", first.pid) in _effects(effects), what="step c on first")
    second = cluster.start_worker("second")
    os.kill(first.pid, signal.SIGKILL)
    first.popen.wait(10)
    killed_at = time.monotonic()
    wait_until(lambda: ("c-started", second.pid) in _effects(effects), what="step c on the second")
    recovery = time.monotonic() - killed_at
    gate.touch()
    view = cluster.wait_state("steps", execution_id, ("COMPLETED", "FAILED"))
    assert view["state"] == "COMPLETED", view
    assert view["output"] == ["a", "b", "c", "d"]
    names = [name for name, _ in _effects(effects)]
    assert names.count("a") == 1 and names.count("b") == 1, names
    assert names.count("c-done") == 1 and names.count("d") == 1, names
    assert names.count("c-started") == 2, "only the step in flight ran again"
    print(f"recovery after SIGKILL: {recovery * 1000:.0f} ms")


def test_the_server_killed_and_restarted_mid_step(cluster: Cluster, tmp_path: Path) -> None:
    effects, gate = tmp_path / "effects.txt", tmp_path / "gate"
    worker = cluster.start_worker("survivor")
    started = cluster.run("steps", {"effects": str(effects), "gate": str(gate)}, mode="async")
    wait_until(lambda: ("c-started", worker.pid) in _effects(effects), what="step c")
    assert cluster.server is not None
    cluster.server.stop(signal.SIGKILL)
    gate.touch()  # step c ends while the server is down: its checkpoint waits for it
    cluster.start_server(port=int(cluster.url.rsplit(":", 1)[1]))
    view = cluster.wait_state("steps", started["execution_id"], ("COMPLETED", "FAILED"))
    assert view["state"] == "COMPLETED", view
    names = [name for name, _ in _effects(effects)]
    assert names.count("a") == 1 and names.count("b") == 1 and names.count("d") == 1, names
    assert worker.popen.poll() is None, "the worker rode out the restart"


def test_a_wrong_bootstrap_token_exits_1_with_a_clear_message(cluster: Cluster) -> None:
    worker = cluster.start_worker(
        "intruder", wait=False, FLUX_WORKERS__BOOTSTRAP_TOKEN="not-the-token"
    )
    assert worker.popen.wait(30) == 1
    assert "bootstrap token" in worker.output()


def test_a_missing_bootstrap_token_exits_1(cluster: Cluster) -> None:
    worker = cluster.start_worker("tokenless", wait=False, FLUX_WORKERS__BOOTSTRAP_TOKEN="")
    assert worker.popen.wait(30) == 1
    assert "no bootstrap token" in worker.output()


def test_sigterm_lets_a_busy_worker_finish_its_run(cluster: Cluster, tmp_path: Path) -> None:
    worker = cluster.start_worker("busy")
    started = cluster.run("sleeper", 1.0, mode="async")
    execution_id = started["execution_id"]
    cluster.wait_state("sleeper", execution_id, ("RUNNING",))
    assert worker.stop(signal.SIGTERM) == 0, worker.output()
    view = cluster.status("sleeper", execution_id)
    assert view["state"] == "COMPLETED", view


def test_many_sync_runs_in_a_row(shared: Cluster) -> None:
    """Keep-alive connections and leases hold up over many runs. The latency is printed
    (`-s`) for information only: speed is the benchmarks' business, not a test's."""
    timings = []
    with httpx.Client(base_url=shared.url, timeout=60) as client:
        for i in range(200):
            started = time.perf_counter()
            response = client.post("/workflows/hello/run/sync", json=str(i))
            timings.append(time.perf_counter() - started)
            assert response.json()["state"] == "COMPLETED"
    timings.sort()
    p50, p95 = timings[len(timings) // 2], timings[int(len(timings) * 0.95)]
    print(json.dumps({"sync_p50_ms": p50 * 1000, "sync_p95_ms": p95 * 1000}))
