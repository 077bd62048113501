"""`flux job` as a user runs it, against a server with its embedded worker."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture
def flux(flux_cli: Any, server_url: str) -> Any:
    return flux_cli.at(server_url)


def test_submit_follow_show_list(flux: Any, tmp_path: Path) -> None:
    script = tmp_path / "hello.js"
    script.write_text(
        "module.exports = async (p) => { console.log('hi', p.who); return {greeted: p.who}; };\n"
    )
    done = flux("job", "submit", str(script), "-r", "node:18", "-p", '{"who": "ana"}', "--follow")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"greeted": "ana"}
    assert "hi ana" in done.stderr  # live logs go to stderr, the output to stdout
    job_id = done.stderr.splitlines()[0].removeprefix("job ")

    shown = flux("job", "show", job_id)
    assert shown.returncode == 0
    assert "COMPLETED" in shown.stdout and "hi ana" in shown.stdout

    listed = flux("job", "list", "--format", "json")
    assert job_id in [j["jobId"] for j in json.loads(listed.stdout)["jobs"]]

    logs = flux("job", "logs", job_id)
    assert logs.stdout == "hi ana\n"


def test_a_failing_job_exits_1_with_its_reason(flux: Any, tmp_path: Path) -> None:
    script = tmp_path / "fail.sh"
    script.write_text("echo nope; exit 3\n")
    done = flux("job", "submit", str(script), "-r", "bash", "--max-retries", "0", "--follow")
    assert done.returncode == 1
    assert "ended FAILED" in done.stderr and "exit code 3" in done.stderr


def test_bad_input_is_exit_code_1_with_the_servers_message(flux: Any, tmp_path: Path) -> None:
    script = tmp_path / "x.rb"
    script.write_text("puts 1\n")
    done = flux("job", "submit", str(script), "-r", "ruby")
    assert done.returncode == 1
    assert "unknown runtime 'ruby'" in done.stderr
    missing = flux("job", "show", "job-missing")
    assert missing.returncode == 1 and "not found" in missing.stderr


def test_dependency_cache_list_and_prune(
    flux: Any, flux_server: Any, flux_cli: Any, tmp_path: Path
) -> None:
    script = tmp_path / "dep.js"
    script.write_text(
        "const isNumber = require('is-number');\nmodule.exports = async () => isNumber(5);\n"
    )
    done = flux("job", "submit", str(script), "-r", "node", "-d", "is-number", "--follow")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "true"

    cache = {"FLUX_JOBS__DEPS_CACHE": str(flux_server.cwd / ".flux" / "cache" / "deps")}
    listed = flux_cli("worker", "deps", "list", env=cache)
    assert listed.returncode == 0, listed.stderr
    assert "is-number" in listed.stdout and listed.stdout.startswith("RUNTIME")
    kept = flux_cli("worker", "deps", "prune", "--older-than", "1d", env=cache)
    assert kept.returncode == 0 and "0 set(s) removed" in kept.stderr
    bad = flux_cli("worker", "deps", "prune", "--older-than", "soon", env=cache)
    assert bad.returncode == 2 and "not an age" in bad.stderr
    pruned = flux_cli("worker", "deps", "prune", env=cache)
    assert "removed node" in pruned.stdout and "is-number" in pruned.stdout
    empty = flux_cli("worker", "deps", "list", env=cache)
    assert "No cached dependencies" in empty.stderr


def test_a_repeated_idempotency_key_gives_the_same_job(flux: Any, tmp_path: Path) -> None:
    script = tmp_path / "export.sh"
    script.write_text('echo "exported $PAYLOAD"\n')
    args = ("job", "submit", str(script), "-r", "bash", "--format", "json")
    first = flux(*args, "-p", '"day-1"', "--idempotency-key", "export-day-1")
    again = flux(*args, "-p", '"day-1 again"', "--idempotency-key", "export-day-1")
    assert first.returncode == again.returncode == 0, again.stderr
    made, repeated = json.loads(first.stdout), json.loads(again.stdout)
    assert repeated["jobId"] == made["jobId"]
    assert (made["replayed"], repeated["replayed"]) == (False, True)
    other = json.loads(flux(*args, "--idempotency-key", "export-day-2").stdout)
    assert other["jobId"] != made["jobId"]
    logs = flux("job", "logs", made["jobId"], "--follow")
    assert logs.stdout == 'exported "day-1"\n'  # the first request's payload (JSON)
