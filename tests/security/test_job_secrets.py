"""Jobs and DAG nodes get the secrets they ask for, and only those, as environment
variables; a request naming an unknown or unusable secret is refused before anything is
stored. Against a real `flux start server` with its embedded worker (bubblewrap)."""

from __future__ import annotations

import secrets
import time
from typing import Any

import httpx
import pytest

from flux.client import FluxClient
from tests.conftest import FluxCLI

SERVER_ENV = {"FLUX_JOBS__RETRY_DELAY": "0.05"}
ENV_DUMP = "env | sort"


@pytest.fixture(scope="module")
def planted(server_url: str) -> dict[str, str]:
    values = {name: f"{name.lower()}-{secrets.token_hex(8)}" for name in ("ALPHA", "BETA")}
    with FluxClient(server_url) as client:
        for name, value in values.items():
            client.set_secret(name, value)
    return values


def _finished(client: FluxClient, job_id: str) -> Any:
    deadline = time.monotonic() + 120
    while (view := client.get_job(job_id)).state.value in ("PENDING", "RUNNING"):
        assert time.monotonic() < deadline, view
        time.sleep(0.1)
    return view


def _job_count(http: httpx.Client) -> int:
    count: int = http.get("/jobs").json()["count"]
    return count


def test_a_job_gets_exactly_the_secrets_it_asked_for(
    server_url: str, planted: dict[str, str]
) -> None:
    script = 'echo "ALPHA=${ALPHA:-unset} BETA=${BETA:-unset} LEN=${#ALPHA}"'
    with FluxClient(server_url) as client:
        job = client.submit_job_source(script, "bash", secrets=["ALPHA"])
        view = _finished(client, job.job_id)
    assert view.state.value == "COMPLETED", view
    assert view.logs.strip() == f"ALPHA=*** BETA=unset LEN={len(planted['ALPHA'])}"


def test_a_multipart_job_and_a_dag_node_get_their_secrets(
    server_url: str, planted: dict[str, str]
) -> None:
    with httpx.Client(base_url=server_url, timeout=60) as http:
        submitted = http.post(
            "/jobs/submit",
            files={"script": ("s.sh", b'echo "beta is $BETA"')},
            data={"runtime": "bash", "secrets": '["BETA"]'},
        )
        assert submitted.status_code == 201, submitted.text
        dag = http.post(
            "/workflows/submit",
            json={
                "nodes": [
                    {
                        "id": "a",
                        "runtime": "python",
                        "handler": "import os\nprint(len(os.environ['ALPHA']))",
                        "secrets": ["ALPHA"],
                    }
                ]
            },
        )
        assert dag.status_code == 201, dag.text
    with FluxClient(server_url) as client:
        view = _finished(client, submitted.json()["jobId"])
        assert view.logs.strip() == "beta is ***"
        run_id = dag.json()["runId"]
        deadline = time.monotonic() + 120
        while (run := client.get_dag_run(run_id)).state not in ("COMPLETED", "FAILED"):
            assert time.monotonic() < deadline, run
            time.sleep(0.1)
        assert run.state == "COMPLETED", run
        assert str(len(planted["ALPHA"])) in run.nodes[0].logs


@pytest.mark.parametrize(
    ("secrets_field", "message"),
    [
        (["ALPHA", "MISSING_ONE", "MISSING_TWO"], "unknown secret(s): MISSING_ONE, MISSING_TWO"),
        (["not-an-env-name"], "cannot be an environment variable name"),
        (["PATH"], "would replace the sandbox's own variable 'PATH'"),
        (["FLUX_OUTPUT"], "would replace the sandbox's own variable"),
        ({"ALPHA": 1}, "must be a JSON array of secret names"),
    ],
)
def test_bad_secret_requests_are_refused_and_nothing_is_stored(
    server_url: str, planted: dict[str, str], secrets_field: Any, message: str
) -> None:
    with httpx.Client(base_url=server_url, timeout=60) as http:
        before = _job_count(http)
        as_json = http.post(
            "/jobs/submit", json={"runtime": "bash", "script": "true", "secrets": secrets_field}
        )
        assert as_json.status_code == 400, as_json.text
        assert message in as_json.json()["detail"]
        dag = http.post(
            "/workflows/submit",
            json={
                "name": "refused-dag",
                "nodes": [
                    {"id": "a", "runtime": "bash", "handler": "true", "secrets": secrets_field}
                ],
            },
        )
        assert dag.status_code == 400, dag.text
        assert message in dag.json()["detail"]
        assert _job_count(http) == before
        assert http.get("/workflows/refused-dag").status_code == 404


def test_cli_submit_with_secret(
    server_url: str, planted: dict[str, str], flux_cli: FluxCLI, tmp_path: Any
) -> None:
    (tmp_path / "show.sh").write_text('echo "alpha: $ALPHA"\n')
    cli = flux_cli.at(server_url)
    done = cli("job", "submit", "show.sh", "-r", "bash", "--secret", "ALPHA", "--follow")
    assert done.returncode == 0, done.stderr
    assert "alpha: ***" in done.stderr
    assert planted["ALPHA"] not in done.stdout + done.stderr
    refused = cli("job", "submit", "show.sh", "-r", "bash", "--secret", "NOPE")
    assert refused.returncode != 0
    assert "unknown secret(s): NOPE" in refused.stderr
