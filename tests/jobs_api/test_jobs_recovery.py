"""Jobs are executions: they survive a server restart and move to another worker when
theirs dies (real processes, SIGKILL)."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.worker.processes import Cluster

from .conftest import submit, wait_job

pytestmark = pytest.mark.slow


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    cluster = Cluster(tmp_path, extra_env={"FLUX_JOBS__RETRY_DELAY": "0.05"})
    try:
        yield cluster
    finally:
        cluster.stop()


def test_a_job_whose_worker_is_killed_finishes_on_another(cluster: Cluster) -> None:
    cluster.start_server()
    first = cluster.start_worker("w1")
    with cluster.client() as api:
        job_id = submit(api, "echo begin; sleep 2; echo done", "bash", maxRetries=0)
        running = wait_job(api, job_id, ("RUNNING",))
        assert running["workerName"] == "w1"
        first.stop(signal.SIGKILL)
        killed_at = time.monotonic()
        cluster.start_worker("w2")
        job = wait_job(api, job_id, timeout=30)
    assert job["state"] == "COMPLETED", job
    assert job["workerName"] == "w2"
    assert job["logs"] == "begin\ndone\n"
    # The interrupted attempt was never recorded as failed: it ran again, as attempt 1.
    assert len(job["attempts"]) == 1
    assert time.monotonic() - killed_at < 15


def test_jobs_survive_a_server_restart(cluster: Cluster) -> None:
    cluster.start_server()
    port = int(cluster.url.rsplit(":", 1)[1])
    run_at = datetime.now(UTC) + timedelta(seconds=3)
    with cluster.client() as api:
        queued = submit(api, "echo queued", "bash")  # no worker yet: it waits in the queue
        delayed = submit(api, "echo delayed", "bash", runAt=run_at.isoformat())
    assert cluster.server is not None
    cluster.server.stop()
    cluster.start_server(port)
    cluster.start_worker("w1")
    with cluster.client() as api:
        assert wait_job(api, queued)["logs"] == "queued\n"
        job = wait_job(api, delayed, timeout=30)
    assert job["logs"] == "delayed\n"
    assert datetime.fromisoformat(job["attempts"][0]["startedAt"]) >= run_at


def test_a_runtime_no_worker_has_waits_with_a_reason(cluster: Cluster) -> None:
    cluster.start_server()
    with cluster.client() as api:
        job_id = submit(api, "echo hi", "bash")
        execution = api.get(f"/executions/{job_id}").json()
    assert execution["state"] == "SCHEDULED"
    assert execution["pending_reason"] == "no worker is connected"
