"""Large outputs in distributed mode, with real `flux start server --no-worker` and
`flux start worker` processes: the server owns the output store, workers upload to it over
the worker protocol and fetch from it to replay; workers get a home of their own, so they
cannot be reading the server's disk."""

from __future__ import annotations

import os
import signal
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flux.codec.references import digest_of
from tests.outputs.s3server import S3Server, running_moto

from .processes import TOKEN, Cluster, wait_until

pytestmark = pytest.mark.slow

WORKFLOWS = Path(__file__).parent / "e2e_large.py"
MIB = 1024 * 1024


def _cluster(path: Path) -> Cluster:
    cluster = Cluster(path)
    cluster.start_server()
    cluster.upload(WORKFLOWS)
    return cluster


def _worker(cluster: Cluster, name: str) -> Any:
    home = cluster.cwd / f"home-{name}"
    return cluster.start_worker(name, FLUX_HOME=str(home))


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    cluster = _cluster(tmp_path_factory.mktemp("large"))
    try:
        _worker(cluster, "large-worker")
        yield cluster
    finally:
        cluster.stop()


def _server_blobs(cluster: Cluster) -> dict[str, Path]:
    root = cluster.cwd / ".flux" / "outputs"
    return {p.name: p for p in root.rglob("*") if p.is_file()} if root.exists() else {}


def _stored(cluster: Cluster, execution_id: str, type: str) -> bytes:
    with sqlite3.connect(cluster.cwd / ".flux" / "flux.db") as db:
        (value,) = db.execute(
            "SELECT value FROM events WHERE execution_id = ? AND type = ?", (execution_id, type)
        ).fetchone()
    return bytes(value)


def test_a_large_output_is_uploaded_to_the_server_and_shown_by_the_api(shared: Cluster) -> None:
    marker = uuid.uuid4().hex
    view = shared.run("large_report", {"marker": marker, "size": 2 * MIB})
    assert view["state"] == "COMPLETED", view
    text = (marker * (2 * MIB // 32 + 1))[: 2 * MIB]
    assert view["output"] == {"size": 2 * MIB, "text": text}  # the sync answer

    execution_id = view["execution_id"]
    with shared.client() as client:
        shown = client.get(f"/executions/{execution_id}", params={"detailed": "true"}).json()
    assert shown["output"] == view["output"]
    assert any(e["value"] == text for e in shown["events"] if e["type"] == "TASK_COMPLETED")

    # The log holds references; the bytes are in the server's store, none on the worker.
    assert _stored(shared, execution_id, "TASK_COMPLETED")[:1] == b"R"
    assert len(_stored(shared, execution_id, "WORKFLOW_COMPLETED")) < 200
    assert len(_server_blobs(shared)) >= 2  # the task's value and the workflow's
    assert not (shared.cwd / "home-large-worker" / "outputs").exists()


def test_a_changed_blob_is_refused_by_the_api_and_by_replay(shared: Cluster) -> None:
    marker = uuid.uuid4().hex
    paused = shared.run("large_then_pause", marker)
    assert paused["state"] == "PAUSED", paused
    before = set(_server_blobs(shared))
    reference = _stored(shared, paused["execution_id"], "TASK_COMPLETED")
    digest = next(d for d in _server_blobs(shared) if d.encode() in reference)
    assert digest in before
    blob = _server_blobs(shared)[digest]
    data = blob.read_bytes()
    blob.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))

    with shared.client() as client:
        shown = client.get(
            f"/executions/{paused['execution_id']}", params={"detailed": "true"}
        ).json()
        task_value = next(e["value"] for e in shown["events"] if e["type"] == "TASK_COMPLETED")
        assert task_value == "<value failed its signature check>"
        resumed = client.post(
            f"/workflows/large_then_pause/resume/{paused['execution_id']}/sync", json="yes"
        ).json()
    assert resumed["state"] == "FAILED", resumed
    assert "does not match its reference" in str(resumed["output"])


def test_the_upload_endpoint(shared: Cluster) -> None:
    with shared.client() as client:
        registration = {
            "name": "probe",
            "resources": {
                "cpu_total": 1,
                "cpu_available": 1,
                "memory_total": 1,
                "memory_available": 1,
            },
            "python_version": "3.11",
            "platform": "test",
        }
        session = client.post(
            "/workers/register", json=registration, headers={"authorization": f"Bearer {TOKEN}"}
        )
        assert session.status_code == 200, session.text
        auth = {"authorization": f"Bearer {session.json()['session_token']}"}
        data = os.urandom(1000)
        digest = digest_of(data)
        path = f"/workers/probe/outputs/{digest}"

        assert client.put(path, content=data).status_code == 401
        assert client.put(path, content=data + b"!", headers=auth).status_code == 400
        assert (
            client.put("/workers/probe/outputs/xyz", content=data, headers=auth).status_code == 400
        )
        assert client.get(path, headers=auth).status_code == 404
        assert client.put(path, content=data, headers=auth).status_code == 204
        assert client.put(path, content=data, headers=auth).status_code == 204  # idempotent
        got = client.get(path, headers=auth)
        assert got.status_code == 200 and got.content == data
        assert client.get(f"/workers/other/outputs/{digest}", headers=auth).status_code == 403


def test_replay_after_the_worker_is_killed_reuses_the_stored_blob(tmp_path: Path) -> None:
    cluster = _cluster(tmp_path)
    try:
        effects, gate = tmp_path / "effects.txt", tmp_path / "gate"
        first = _worker(cluster, "first")
        marker = uuid.uuid4().hex
        started = cluster.run(
            "large_then_gate",
            {"effects": str(effects), "gate": str(gate), "marker": marker},
            mode="async",
        )
        execution_id = started["execution_id"]
        wait_until(
            lambda: effects.exists() and f"waiting {first.pid}" in effects.read_text(),
            what="the first worker to wait at the gate",
        )
        assert _server_blobs(cluster)  # uploaded before the checkpoint that cites it
        os.kill(first.pid, signal.SIGKILL)
        first.popen.wait(10)

        second = _worker(cluster, "second")
        wait_until(
            lambda: f"waiting {second.pid}" in effects.read_text(),
            what="the second worker to replay up to the gate",
        )
        gate.touch()
        done = cluster.wait_state("large_then_gate", execution_id, ("COMPLETED", "FAILED"))
        assert done["state"] == "COMPLETED", done
        assert done["output"] == {"size": 3 * MIB, "head": (marker * 2)[:32]}
        lines = effects.read_text().split("\n")
        assert [line for line in lines if line.startswith("big")] == [f"big {first.pid}"]
    finally:
        cluster.stop()


def test_an_s3_store_behind_the_server(tmp_path: Path, s3_server: S3Server) -> None:
    prefix = f"cluster-{uuid.uuid4().hex[:8]}/"
    cluster = Cluster(tmp_path, extra_env=s3_server.env(prefix))
    cluster.start_server()
    try:
        cluster.upload(WORKFLOWS)
        _worker(cluster, "s3-worker")
        marker = uuid.uuid4().hex
        view = cluster.run("large_report", {"marker": marker, "size": MIB})
        assert view["state"] == "COMPLETED", view
        assert view["output"]["size"] == MIB and view["output"]["text"][:32] == marker
        with cluster.client() as client:
            shown = client.get(f"/executions/{view['execution_id']}").json()
        assert shown["output"] == view["output"]
        assert len(s3_server.keys(prefix)) == 2
        assert not _server_blobs(cluster)
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    with running_moto(tmp_path_factory.mktemp("moto")) as server:
        yield server
