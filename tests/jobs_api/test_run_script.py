"""`run_script`: a sandboxed script as a step of a Python workflow (polyglot steps)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import httpx
import pytest

from flux import workflow
from flux.domain.execution_context import ExecutionContext
from flux.errors import ScriptError
from flux.jobs import run_script
from tests.conftest import FluxServer

pytestmark = pytest.mark.slow


@workflow
async def polyglot(ctx: ExecutionContext[int]) -> dict[str, object]:
    doubled = await run_script("node", "module.exports = async (n) => n * 2;", ctx.input)
    squared = await run_script(
        "python",
        "import json, os\n"
        "n = json.loads(os.environ['PAYLOAD'])\n"
        "json.dump(n * n, open(os.environ['FLUX_OUTPUT'], 'w'))\n",
        doubled,
    )
    try:
        await run_script("bash", "echo oops >&2; exit 4")
    except ScriptError as exc:
        failure = {"reason": exc.attempt["reason"], "logs": exc.attempt["logs"]}
    return {"doubled": doubled, "squared": squared, "failure": failure}


def test_run_script_in_a_local_workflow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    ctx = polyglot.run(5)
    assert ctx.has_succeeded, ctx.output
    assert ctx.output == {
        "doubled": 10,
        "squared": 100,
        "failure": {"reason": "exit code 4", "logs": "oops\n"},
    }


def test_run_script_through_the_server(
    jobs_server: FluxServer, api: httpx.Client, tmp_path: Path
) -> None:
    source = textwrap.dedent(
        """
        from flux import workflow
        from flux.jobs import run_script

        @workflow
        async def shout(ctx):
            return await run_script("bash", 'printf %s "${PAYLOAD^^}" > "$FLUX_OUTPUT"', ctx.input)
        """
    )
    upload = api.post("/workflows", files={"file": ("shout.py", source.encode(), "text/x-python")})
    assert upload.status_code == 200, upload.text
    result = api.post("/workflows/shout/run/sync", json="hello").json()
    assert result["state"] == "COMPLETED", result
    assert result["output"] == "HELLO"
