"""The job platform document's three example scripts, submitted with its `curl` command.

The scripts are the document's, word for word, except the URL they call: this machine has
no internet, so `https://api.example.com` and `https://httpbin.org` become a loopback
service, and the jobs that call it ask for network access (`network=true`), which is off
by default. Dependencies (`axios`, `moment`, `requests`) really come from the npm registry
and PyPI, installed once into the dependency cache.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.conftest import FluxServer

from .conftest import LoopbackService, wait_job

pytestmark = pytest.mark.slow

WORKER_JS = """\
const axios = require('axios'); // Dependencies are auto-installed if listed in job config

/**
 * @param {Object} payload - JSON data passed to the job
 * @returns {Promise<Object>} - Output data (will be saved to DB)
 */
module.exports = async (payload) => {
    console.log("🚀 Starting Job for:", payload.userId);

    // Perform Logic
    const res = await axios.get(`https://api.example.com/users/${payload.userId}`);

    console.log("✅ Data processed");

    // Return value becomes the job output
    return { status: 'success', data: res.data };
};
"""

WORKER_PY = """\
import os
import json
import requests

# 1. Read Payload from Environment
payload_str = os.environ.get("PAYLOAD", "{}")
payload = json.loads(payload_str)

print(f"🐍 Processing for User: {payload.get('userId')}")

# 2. Perform Logic
response = requests.get("https://httpbin.org/json")

# 3. Print Logs (Captured by Flux)
print(f"✅ External API Status: {response.status_code}")

# 4. Standard Output is captured as logs.
# Explicit output return via file writing is supported (see docs).
"""

WORKER_SH = """\
#!/bin/bash

echo "🔥 Starting Bash Job..."
echo "Current Directory: $(pwd)"
echo "Received Payload: $PAYLOAD"

# Simulate work
sleep 2

echo "✅ Job Finished"
"""


def curl_submit(url: str, script: Path, *fields: str) -> str:
    """The document's curl command, against this server."""
    command = ["curl", "-sS", "-X", "POST", f"{url}/jobs/submit", "-F", f"script=@{script}"]
    for field in fields:
        command += ["-F", field]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
    answer = json.loads(done.stdout)
    assert answer["success"] is True, answer
    job_id: str = answer["jobId"]
    assert job_id.startswith("job-")
    return job_id


def test_node_example_with_dependencies(
    jobs_server: FluxServer, api: httpx.Client, loopback: LoopbackService, tmp_path: Path
) -> None:
    script = tmp_path / "worker.js"
    script.write_text(WORKER_JS.replace("https://api.example.com", loopback.url))
    job_id = curl_submit(
        jobs_server.url,
        script,
        "name=invoice-processor",
        "runtime=node:18",
        'payload={"invoiceId": 1024, "userId": 7}',
        'dependencies=["axios", "moment"]',
        "maxRetries=5",
        "network=true",
    )
    job = wait_job(api, job_id, timeout=240)  # a cold npm install of axios and moment
    assert job["state"] == "COMPLETED", job
    assert job["exitCode"] == 0
    assert job["output"] == {"status": "success", "data": {"id": "7", "name": "user 7"}}
    assert "🚀 Starting Job for: 7" in job["logs"]
    assert "✅ Data processed" in job["logs"]
    assert job["name"] == "invoice-processor" and job["type"] == "GENERIC_SCRIPT"
    assert job["maxRetries"] == 5 and job["dependencies"] == ["axios", "moment"]
    assert [a["state"] for a in job["attempts"]] == ["COMPLETED"]
    assert job["attempts"][0]["runtime"].startswith("node 20")  # node:18 maps to what we have


def test_python_example_with_requests(
    jobs_server: FluxServer, api: httpx.Client, loopback: LoopbackService, tmp_path: Path
) -> None:
    script = tmp_path / "worker.py"
    script.write_text(WORKER_PY.replace("https://httpbin.org", loopback.url))
    job_id = curl_submit(
        jobs_server.url,
        script,
        "runtime=python:3.9",
        'payload={"userId": 42}',
        'dependencies=["requests"]',
        "network=true",
    )
    job = wait_job(api, job_id, timeout=240)
    assert job["state"] == "COMPLETED", job
    assert "🐍 Processing for User: 42" in job["logs"]
    assert "✅ External API Status: 200" in job["logs"]
    assert job["attempts"][0]["runtime"].startswith("python 3.9")


def test_bash_example(jobs_server: FluxServer, api: httpx.Client, tmp_path: Path) -> None:
    script = tmp_path / "worker.sh"
    script.write_text(WORKER_SH)
    job_id = curl_submit(jobs_server.url, script, "runtime=bash", 'payload={"n": 1}')
    running = wait_job(api, job_id, ("RUNNING", "COMPLETED", "FAILED"))
    assert running["state"] == "RUNNING", running
    job = wait_job(api, job_id)
    assert job["state"] == "COMPLETED", job
    lines = job["logs"].splitlines()
    assert lines[0] == "🔥 Starting Bash Job..."
    assert lines[1].startswith("Current Directory: /")
    assert lines[2] == 'Received Payload: {"n": 1}'
    assert lines[3] == "✅ Job Finished"
    attempt = job["attempts"][0]
    assert attempt["exitCode"] == 0 and attempt["sandbox"] == "bwrap"
    assert attempt["finishedAt"] > attempt["startedAt"]
