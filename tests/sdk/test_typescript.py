"""The TypeScript SDK (`sdk/typescript`) built and tested with the npm toolchain against a
real `flux start server` (with its embedded worker), as its users and CI would: `npm ci`,
`npm run build` (tsc, strict, which also type-checks the tests against the generated
types), then `npm test` (Node's test runner) with FLUX_URL pointing at the server. Also: the
committed `src/schema.d.ts` must be what the server's /openapi.json generates now.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO, FluxServer, clean_env, start_server, stop_server

SDK = REPO / "sdk" / "typescript"
NPM = shutil.which("npm")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        NPM is None, reason="npm is not installed (the TypeScript SDK needs Node.js 18+ and npm)"
    ),
    # npm ci, two tsc passes and ~40 tests against the server: more than the default 120 s
    # on a loaded machine.
    pytest.mark.timeout(600),
]


def npm(*args: str, server: FluxServer | None = None, timeout: float = 300) -> str:
    """Runs `npm args` in the SDK; fails the test with npm's whole output if it fails."""
    env = clean_env(**({"FLUX_URL": server.url} if server else {}))
    done = subprocess.run(
        [str(NPM), *args],
        cwd=SDK,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    output = f"{done.stdout}\n{done.stderr}"
    if done.returncode != 0:
        command = " ".join(args)
        pytest.fail(f"`npm {command}` exited with {done.returncode}:\n{output}", pytrace=False)
    return output


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FluxServer]:
    started = start_server(tmp_path_factory.mktemp("sdk-server"))
    try:
        yield started
    finally:
        stop_server(started)


@pytest.fixture(scope="module")
def installed() -> Path:
    """`npm ci` from the committed lock file (the dev tools only: the SDK has no runtime
    dependencies)."""
    npm("ci", "--no-audit", "--no-fund")
    return SDK


def test_the_sdk_builds_and_its_tests_pass_against_a_live_server(
    installed: Path, server: FluxServer
) -> None:
    npm("run", "build")
    assert (SDK / "dist" / "index.js").is_file()
    assert (SDK / "dist" / "index.d.ts").is_file()
    assert (SDK / "dist" / "schema.d.ts").is_file()
    output = npm("test", server=server, timeout=480)
    counts = dict(re.findall(r"^# (tests|pass|fail|skipped) (\d+)$", output, re.MULTILINE))
    assert counts.get("fail") == "0" and counts.get("skipped") == "0", output
    assert int(counts.get("pass", 0)) >= 30 and counts["pass"] == counts["tests"], output


def test_the_committed_schema_is_what_the_server_generates(
    installed: Path, server: FluxServer
) -> None:
    done = subprocess.run(
        [str(NPM), "run", "--silent", "generate", "--", "--check"],
        cwd=SDK,
        env=clean_env(FLUX_URL=server.url),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, (
        "sdk/typescript/src/schema.d.ts no longer matches the server's /openapi.json; "
        "regenerate it against a server of this checkout and commit it:\n"
        "    flux start server &\n"
        "    cd sdk/typescript && FLUX_URL=http://localhost:8000 npm run generate\n"
        f"{done.stdout}{done.stderr}"
    )
