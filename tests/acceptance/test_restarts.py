"""Restart the server, or PostgreSQL, in the middle of a run: nothing stays stuck, finished
steps are not repeated."""

from __future__ import annotations

import glob
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.acceptance.conftest import WORKFLOWS, lines, make_cluster
from tests.worker.processes import Cluster, wait_until

pytestmark = pytest.mark.slow


@pytest.fixture
def cluster_sqlite(tmp_path: Path, effects: Path) -> Iterator[Cluster]:
    cluster = make_cluster(tmp_path, effects)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def cluster_postgres(tmp_path: Path, effects: Path, postgres_url: str) -> Iterator[Cluster]:
    cluster = make_cluster(tmp_path, effects, postgres_url)
    try:
        yield cluster
    finally:
        cluster.stop()


def _start_slow_run(cluster: Cluster, effects: Path) -> str:
    cluster.start_server()
    cluster.start_worker("w1")
    cluster.upload(WORKFLOWS)
    execution_id: str = cluster.run("three_steps", 3.0, mode="async")["execution_id"]
    wait_until(lambda: "b-start" in lines(effects), what="step b to start")
    return execution_id


def _assert_finished_once(cluster: Cluster, execution_id: str, effects: Path) -> None:
    view = cluster.wait_state("three_steps", execution_id, ("COMPLETED", "FAILED"), 60)
    assert view["state"] == "COMPLETED", view
    assert view["output"] == ["a", "b", "c"]
    done = lines(effects)
    # Step a had finished before the restart: it must not run again. Step b was in flight, so
    # it may have run again; step c ran once.
    assert done.count("a") == 1 and done.count("a-start") == 1
    assert done.count("c") == 1
    assert done.count("b") >= 1


def test_server_killed_and_restarted_mid_run(cluster_sqlite: Cluster, effects: Path) -> None:
    cluster = cluster_sqlite
    execution_id = _start_slow_run(cluster, effects)
    port = int(cluster.url.rsplit(":", 1)[1])
    assert cluster.server is not None
    cluster.server.stop(signal.SIGKILL)
    cluster.start_server(port)
    _assert_finished_once(cluster, execution_id, effects)


def _postgres_cluster_name() -> tuple[str, str]:
    versions = sorted(glob.glob("/etc/postgresql/*/main"))
    if not versions:
        pytest.skip("no local PostgreSQL cluster to restart (pg_ctlcluster)")
    return versions[-1].split("/")[3], "main"


def test_postgres_restarted_mid_run(cluster_postgres: Cluster, effects: Path) -> None:
    version, name = _postgres_cluster_name()
    execution_id = _start_slow_run(cluster_postgres, effects)
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, name, "restart"],
        check=True,
        timeout=60,
    )
    _assert_finished_once(cluster_postgres, execution_id, effects)
