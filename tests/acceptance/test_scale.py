"""Two server replicas and three workers on one PostgreSQL; a run that kills its workers."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.acceptance.conftest import WORKFLOWS, lines, make_cluster
from tests.worker.processes import Cluster, wait_until

pytestmark = pytest.mark.slow

EXECUTIONS = 2000


@pytest.fixture
def replicas(tmp_path: Path, effects: Path, postgres_url: str) -> Iterator[list[Cluster]]:
    first = make_cluster(tmp_path, effects, postgres_url)
    second = make_cluster(tmp_path, effects, postgres_url)
    try:
        first.start_server()
        second.start_server()
        first.start_worker("w1")
        first.start_worker("w2")
        second.start_worker("w3")
        yield [first, second]
    finally:
        first.stop()
        second.stop()


def _submit(url: str, count: int) -> list[str]:
    with httpx.Client(base_url=url, timeout=60) as client:
        ids = []
        for _ in range(count):
            response = client.post("/workflows/once/run/async", json=None)
            assert response.status_code in (200, 201, 202), response.text
            ids.append(response.json()["execution_id"])
        return ids


def _completed(url: str) -> int:
    with httpx.Client(base_url=url, timeout=60) as client:
        response = client.get(
            "/executions", params={"workflow": "once", "state": "COMPLETED", "limit": 1}
        )
    assert response.status_code == 200, response.text
    total: int = response.json()["count"]  # all matching executions, whatever the page size
    return total


def test_two_replicas_three_workers_run_each_execution_once(
    replicas: list[Cluster], effects: Path
) -> None:
    replicas[0].upload(WORKFLOWS)
    with ThreadPoolExecutor(4) as pool:
        batches = pool.map(lambda i: _submit(replicas[i % 2].url, EXECUTIONS // 4), range(4))
        submitted = [execution_id for batch in batches for execution_id in batch]
    assert len(set(submitted)) == EXECUTIONS
    wait_until(lambda: _completed(replicas[1].url) == EXECUTIONS, 180, "all runs to complete")
    ran = lines(effects)
    assert sorted(ran) == sorted(submitted)


def test_a_run_that_kills_every_worker_ends_failed(tmp_path: Path, effects: Path) -> None:
    cluster = make_cluster(tmp_path, effects)
    cluster.extra_env["FLUX_WORKERS__MAX_ATTEMPTS"] = "3"
    try:
        cluster.start_server()
        for name in ("w1", "w2", "w3"):
            cluster.start_worker(name)
        cluster.upload(WORKFLOWS)
        execution_id = cluster.run("crash_loop", None, mode="async")["execution_id"]
        view = cluster.wait_state("crash_loop", execution_id, ("FAILED", "COMPLETED"), 60)
    finally:
        cluster.stop()
    assert view["state"] == "FAILED"
    assert view["attempts"] == 3
    assert "3" in (view["error"] or "") and "worker" in (view["error"] or "")
    assert lines(effects).count("killed") == 3
