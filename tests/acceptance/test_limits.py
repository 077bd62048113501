"""Queues and limits with real processes: 50 racing submissions of a workflow limited to 2
at once never run 3 at once across 3 workers (one server on SQLite, and two replicas on
one PostgreSQL); a worker killed with SIGKILL (or frozen) gives its slot back within the
lease time."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.acceptance.conftest import make_cluster
from tests.worker.processes import Cluster, wait_until

pytestmark = pytest.mark.slow

WORKFLOWS = Path(__file__).with_name("limits_workflows.py")
RUNS = 50
LEASE_TTL = 3.0  # make_cluster's workers.lease_ttl


def max_overlap(intervals: list[tuple[float, float]]) -> int:
    """The most intervals open at one moment (an end before a start at the same time)."""
    edges = sorted([(began, 1) for began, _ in intervals] + [(end, -1) for _, end in intervals])
    running = most = 0
    for _, step in sorted(edges, key=lambda edge: (edge[0], edge[1])):
        running += step
        most = max(most, running)
    return most


def submit(url: str, name: str, input: Any) -> str:
    response = httpx.post(f"{url}/workflows/{name}/run/async", json=input, timeout=60)
    assert response.status_code == 200, response.text
    return str(response.json()["execution_id"])


def views(url: str, name: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{url}/executions", params={"workflow": name, "limit": 1000})
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["executions"]
    return found


def limits(url: str) -> dict[str, Any]:
    response = httpx.get(f"{url}/limits", timeout=30)
    assert response.status_code == 200, response.text
    return {item["key"]: item for item in response.json()["limits"]}


@pytest.fixture
def single(tmp_path: Path, effects: Path) -> Iterator[list[Cluster]]:
    cluster = make_cluster(tmp_path, effects)
    try:
        cluster.start_server()
        for name in ("w1", "w2", "w3"):
            cluster.start_worker(name)
        yield [cluster]
    finally:
        cluster.stop()


@pytest.fixture
def replicas(tmp_path: Path, effects: Path, postgres_url: str) -> Iterator[list[Cluster]]:
    first = make_cluster(tmp_path, effects, postgres_url)
    second = make_cluster(tmp_path, effects, postgres_url)
    try:
        first.start_server()
        second.start_server()
        first.start_worker("w1")
        second.start_worker("w2")
        first.start_worker("w3")
        yield [first, second]
    finally:
        first.stop()
        second.stop()


def _never_three_at_once(servers: list[Cluster]) -> None:
    servers[0].upload(WORKFLOWS)
    urls = [server.url for server in servers]
    with ThreadPoolExecutor(10) as pool:
        submitted = list(
            pool.map(lambda i: submit(urls[i % len(urls)], "two_at_once", 0.3), range(RUNS))
        )
    assert len(set(submitted)) == RUNS

    def done() -> list[dict[str, Any]] | None:
        found = views(urls[-1], "two_at_once")
        finished = [v for v in found if v["state"] in ("COMPLETED", "FAILED")]
        return found if len(finished) == RUNS else None

    found = wait_until(done, 120, "every run to finish")
    assert {v["state"] for v in found} == {"COMPLETED"}
    intervals = [(v["output"][0], v["output"][1]) for v in found]
    assert max_overlap(intervals) == 2  # never 3, and the limit's two slots were used
    assert len({v["worker_name"] for v in found}) >= 2
    left = limits(urls[0])["two_at_once"]
    assert (left["in_use"], left["waiting"], left["holders"]) == (0, 0, [])


def test_fifty_racing_runs_never_exceed_the_limit(single: list[Cluster]) -> None:
    _never_three_at_once(single)


def test_two_replicas_on_postgres_never_exceed_the_limit(replicas: list[Cluster]) -> None:
    _never_three_at_once(replicas)


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGSTOP], ids=["killed", "frozen"])
def test_a_lost_worker_gives_its_slot_back_within_the_lease_time(
    tmp_path: Path, effects: Path, how: signal.Signals
) -> None:
    cluster = make_cluster(tmp_path, effects)
    try:
        cluster.start_server()
        holder = cluster.start_worker("w1")
        cluster.upload(WORKFLOWS)
        first = submit(cluster.url, "one_at_once", 60.0)
        cluster.wait_state("one_at_once", first, ("RUNNING",))
        cluster.start_worker("w2")
        second = submit(cluster.url, "one_at_once", 0.1)
        time.sleep(0.5)
        waiting = cluster.status("one_at_once", second)
        assert waiting["state"] == "SCHEDULED"
        assert "waiting for a slot of concurrency limit 'one_at_once'" in waiting["pending_reason"]
        assert [h["execution_id"] for h in limits(cluster.url)["one_at_once"]["holders"]] == [first]

        holder.popen.send_signal(how)
        lost_at = time.monotonic()

        def holder() -> str | None:
            found = limits(cluster.url)["one_at_once"]["holders"]
            if not found:
                return None
            run = cluster.status("one_at_once", found[0]["execution_id"])
            return str(run["worker_name"])

        # A killed worker's stream closes at once; a frozen one's lease must expire first,
        # then the next sweep (every lease_ttl / 4) frees it.
        within = 1.0 if how is signal.SIGKILL else LEASE_TTL * 1.25 + 1.0
        wait_until(lambda: holder() != "w1", within + 5, "w1 to lose the slot")
        assert time.monotonic() - lost_at <= within
        # The freed slot goes to the other worker (a frozen one's unanswered offer expires
        # first: server.dispatch_offer_timeout).
        wait_until(lambda: holder() == "w2", 10, "the slot to move to worker w2")
    finally:
        if cluster.workers and cluster.workers[0].popen.poll() is None:
            cluster.workers[0].popen.send_signal(signal.SIGCONT)
        cluster.stop()
