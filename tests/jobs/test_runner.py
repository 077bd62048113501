"""ScriptRunner: the job platform's script conventions, outputs, reasons and clean-up."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flux.config import FluxSettings
from flux.jobs.runner import ScriptRunner, default_runner, limits_from_settings, read_output
from flux.jobs.spec import JobSpecError, Limits, ScriptSpec, check_filename

pytestmark = pytest.mark.usefixtures("no_leftovers")

# The document's examples, minus their HTTP calls (tests/jobs_api runs those against a
# loopback service).
NODE_EXAMPLE = """
/**
 * @param {Object} payload - JSON data passed to the job
 * @returns {Promise<Object>} - Output data (will be saved to DB)
 */
module.exports = async (payload) => {
    console.log("🚀 Starting Job for:", payload.userId);
    console.log("✅ Data processed");
    return { status: 'success', data: { id: payload.userId } };
};
"""
PYTHON_EXAMPLE = """
import os
import json

payload_str = os.environ.get("PAYLOAD", "{}")
payload = json.loads(payload_str)

print(f"🐍 Processing for User: {payload.get('userId')}")
with open(os.environ["FLUX_OUTPUT"], "w") as f:
    json.dump({"user": payload.get("userId")}, f)
"""
BASH_EXAMPLE = """#!/bin/bash

echo "🔥 Starting Bash Job..."
echo "Current Directory: $(pwd)"
echo "Received Payload: $PAYLOAD"
echo "✅ Job Finished"
"""


async def test_node_exported_function_returns_the_output(runner: ScriptRunner) -> None:
    spec = ScriptSpec("node:18", NODE_EXAMPLE, "worker.js", payload={"userId": 42})
    result = await runner.run(spec)
    assert result.ok, result.logs
    assert result.output == {"status": "success", "data": {"id": 42}}
    assert result.logs == "🚀 Starting Job for: 42\n✅ Data processed\n"
    assert result.runtime.startswith("node ")
    assert result.exit_code == 0 and result.reason is None


async def test_python_reads_payload_and_writes_flux_output(runner: ScriptRunner) -> None:
    spec = ScriptSpec("python:3.9", PYTHON_EXAMPLE, "worker.py", payload={"userId": 7})
    result = await runner.run(spec)
    assert result.ok, result.logs
    assert result.output == {"user": 7}
    assert result.logs == "🐍 Processing for User: 7\n"


async def test_bash_reads_payload(runner: ScriptRunner) -> None:
    spec = ScriptSpec("bash", BASH_EXAMPLE, "worker.sh", payload={"n": 1})
    result = await runner.run(spec)
    assert result.ok, result.logs
    lines = result.logs.splitlines()
    assert lines[0] == "🔥 Starting Bash Job..."
    assert lines[1].startswith("Current Directory: ") and "/job-" in lines[1]
    assert lines[2] == 'Received Payload: {"n": 1}'
    assert result.output is None


async def test_no_payload_is_an_empty_object(runner: ScriptRunner) -> None:
    result = await runner.run(ScriptSpec("bash", 'echo "$PAYLOAD"', "p.sh"))
    assert result.logs == "{}\n"


async def test_node_variants(runner: ScriptRunner) -> None:
    plain = await runner.run(ScriptSpec("node", "console.log('ran at load')", "plain.js"))
    assert plain.ok and plain.logs == "ran at load\n" and plain.output is None
    esm = await runner.run(
        ScriptSpec("node", "export default async (p) => ({twice: p.n * 2});", "m.mjs", {"n": 4})
    )
    assert esm.ok, esm.logs
    assert esm.output == {"twice": 8}
    nothing = await runner.run(ScriptSpec("node", "module.exports = async () => {};", "u.js"))
    assert nothing.ok and nothing.output is None
    # The job ends when the function settles, even with a timer left behind.
    lingering = "module.exports = async () => { setInterval(() => {}, 1000); return 1; };"
    done = await runner.run(ScriptSpec("node", lingering, "t.js", limits=Limits(wall_seconds=20)))
    assert done.ok and done.output == 1


async def test_a_node_exception_fails_with_its_stack(runner: ScriptRunner) -> None:
    source = "module.exports = async () => { throw new Error('boom'); };"
    result = await runner.run(ScriptSpec("node", source, "fail.js"))
    assert result.exit_code == 1
    assert result.reason == "exit code 1"
    assert "Error: boom" in result.logs and "fail.js" in result.logs


async def test_exit_codes_and_signals_are_reasons(runner: ScriptRunner) -> None:
    failed = await runner.run(ScriptSpec("bash", "echo bad >&2; exit 3", "x.sh"))
    assert (failed.exit_code, failed.reason, failed.logs) == (3, "exit code 3", "bad\n")
    killed = await runner.run(ScriptSpec("bash", "kill -TERM $$", "k.sh"))
    assert killed.exit_code is None
    assert killed.signal == 15
    assert killed.reason == "killed by signal SIGTERM"


async def test_output_json_problems(runner: ScriptRunner) -> None:
    invalid = await runner.run(ScriptSpec("bash", "echo '{nope' > $FLUX_OUTPUT", "i.sh"))
    assert invalid.exit_code == 0 and not invalid.ok
    assert invalid.reason is not None
    assert invalid.reason.startswith("output.json is not valid JSON: ")
    big = 'python3 -c \'print("[" + "1," * 40000 + "1]")\' > $FLUX_OUTPUT'
    too_large = await runner.run(
        ScriptSpec("bash", big, "b.sh", limits=Limits(max_output_bytes=64 * 1024))
    )
    assert too_large.limit == "output"
    assert too_large.reason == "output too large: output.json has 80004 bytes (limit 64 KiB)"


async def test_output_json_that_is_a_link_is_not_followed(tmp_path: Path) -> None:
    secret = tmp_path / "secret.json"
    secret.write_text('{"secret": true}')
    link = tmp_path / "output.json"
    link.symlink_to(secret)
    output, problem = read_output(link, 1000)
    assert output is None
    assert problem is not None and "cannot be read" in problem
    (tmp_path / "ok.json").write_text(json.dumps([1, 2]))
    assert read_output(tmp_path / "ok.json", 1000) == ([1, 2], None)
    assert read_output(tmp_path / "missing.json", 1000) == (None, None)


async def test_an_unavailable_runtime_is_refused_with_what_is_available(
    runner: ScriptRunner,
) -> None:
    result = await runner.run(ScriptSpec("python:3.99", "print(1)", "x.py"))
    assert result.exit_code is None
    assert result.reason is not None
    assert result.reason.startswith("runtime unavailable: runtime python:3.99 is not available")
    assert "available: python 3." in result.reason and "node " in result.reason


async def test_a_large_payload_goes_by_file_only(runner: ScriptRunner) -> None:
    payload = {"blob": "x" * 200_000}
    source = 'echo "${PAYLOAD:-unset}"; wc -c < "$FLUX_PAYLOAD_FILE"'
    result = await runner.run(ScriptSpec("bash", source, "big.sh", payload=payload))
    assert result.ok, result.logs
    lines = result.logs.splitlines()
    assert lines[0].startswith("[flux] the payload is too large for the PAYLOAD variable")
    assert lines[1:] == ["unset", str(len(json.dumps(payload)))]


async def test_job_directories_are_removed(runner: ScriptRunner) -> None:
    await runner.run(ScriptSpec("bash", "touch leftover", "x.sh"))
    assert list(runner.work_root.iterdir()) == []


def test_flux_file_names_are_reserved() -> None:
    with pytest.raises(JobSpecError, match="reserved"):
        check_filename("output.json", "python")
    assert check_filename("worker.js", "node") == "worker.js"


def test_default_runner_is_built_once_from_settings(tmp_path: Path) -> None:
    settings = FluxSettings(home=str(tmp_path / "home"))
    runner = default_runner(settings)
    assert default_runner(settings) is runner
    assert runner.work_root == tmp_path / "home" / "worker" / "jobs"
    assert runner.deps.root == tmp_path / "home" / "cache" / "deps"
    assert runner.sandbox.name == "bwrap"
    limits = limits_from_settings(settings)
    assert limits.memory_bytes == 1 << 30 and limits.network is False
