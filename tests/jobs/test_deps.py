"""The dependency cache, against the real npm registry and PyPI."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import pytest

from flux.jobs.deps import MANIFEST, DependencyCache, DependencyInstallError
from flux.jobs.runner import ScriptRunner
from flux.jobs.runtimes import Runtimes
from flux.jobs.sandbox import BwrapSandbox
from flux.jobs.spec import ScriptSpec, parse_runtime

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("no_leftovers")]

MISSING_NPM = "flux-test-no-such-package-8c1f2e"


async def test_npm_package_installs_once_and_mounts_read_only(runner: ScriptRunner) -> None:
    source = """
const isNumber = require('is-number');
const fs = require('fs');
module.exports = async (payload) => {
  let writable = true;
  try { fs.writeFileSync(require.resolve('is-number'), 'x'); } catch (e) { writable = false; }
  return { five: isNumber(payload.value), text: isNumber('abc'), writable };
};
"""
    spec = ScriptSpec(
        "node", source, "uses-dep.js", payload={"value": 5}, dependencies=("is-number",)
    )
    before = runner.deps.installs
    first = await runner.run(spec)
    assert first.ok, first.logs
    assert first.output == {"five": True, "text": False, "writable": False}
    second = await runner.run(spec)
    assert second.output == first.output
    assert runner.deps.installs - before <= 1  # the second run was a cache hit


async def test_pypi_package_installs_and_imports(runner: ScriptRunner) -> None:
    source = (
        "import json, os, six\n"
        "output = {'six': six.__name__, 'from': six.__file__}\n"
        "json.dump(output, open(os.environ['FLUX_OUTPUT'], 'w'))\n"
    )
    result = await runner.run(ScriptSpec("python", source, "uses_six.py", dependencies=("six",)))
    assert result.ok, result.logs
    assert result.output["six"] == "six"
    assert result.output["from"].startswith(str(runner.deps.root))


async def test_concurrent_first_requests_install_once(
    bwrap: BwrapSandbox, runtimes: Runtimes, tmp_path: Path
) -> None:
    node = runtimes.resolve(parse_runtime("node"))
    here = DependencyCache(tmp_path, bwrap)
    # A second cache object on the same directory stands for another worker process: its
    # asyncio locks are its own, so only the file lock keeps it from installing too.
    other = DependencyCache(tmp_path, bwrap)
    packages = ["is-number"]
    mounts = await asyncio.gather(
        *(here.ensure(node, packages) for _ in range(4)),
        *(other.ensure(node, list(reversed(packages))) for _ in range(2)),
    )
    assert here.installs + other.installs == 1
    assert len({m.path for m in mounts if m is not None}) == 1
    mount = mounts[0]
    assert mount is not None
    assert mount.env == {"NODE_PATH": str(mount.path / "node_modules")}
    manifest = json.loads((mount.path / MANIFEST).read_text())
    assert manifest["packages"] == ["is-number"]
    assert manifest["runtime"] == node.label
    assert [p.name for p in mount.path.parent.iterdir() if p.name.startswith(".tmp")] == []


async def test_a_warm_hit_installs_nothing(
    bwrap: BwrapSandbox, runtimes: Runtimes, tmp_path: Path
) -> None:
    node = runtimes.resolve(parse_runtime("node"))
    cache = DependencyCache(tmp_path, bwrap)
    first = await cache.ensure(node, ["is-number"])
    warm = DependencyCache(tmp_path, bwrap)
    for _ in range(100):
        assert await warm.ensure(node, ["is-number"]) == first
    assert warm.installs == 0
    assert await warm.ensure(node, []) is None


async def test_a_failed_install_says_what_the_installer_said(
    runner: ScriptRunner, bwrap: BwrapSandbox, runtimes: Runtimes, tmp_path: Path
) -> None:
    node = runtimes.resolve(parse_runtime("node"))
    cache = DependencyCache(tmp_path, bwrap)
    with pytest.raises(DependencyInstallError) as failed:
        await cache.ensure(node, [MISSING_NPM])
    assert "404" in failed.value.log_tail
    assert MISSING_NPM in failed.value.log_tail
    assert list(cache.path_for(node, [MISSING_NPM]).parent.iterdir()) != []  # only the lock
    assert not cache.path_for(node, [MISSING_NPM]).exists()
    spec = ScriptSpec(
        "node", "module.exports = async () => 1;", "x.js", dependencies=(MISSING_NPM,)
    )
    result = await runner.run(spec)
    assert result.reason is not None
    assert result.reason.startswith("dependency install failed: ")
    assert "404" in result.reason


async def test_list_and_prune(bwrap: BwrapSandbox, runtimes: Runtimes, tmp_path: Path) -> None:
    node = runtimes.resolve(parse_runtime("node"))
    cache = DependencyCache(tmp_path, bwrap)
    mount = await cache.ensure(node, ["is-number"])
    assert mount is not None
    [entry] = cache.list_entries()
    assert entry.path == mount.path
    assert entry.packages == ("is-number",)
    assert entry.runtime == node.label
    assert entry.size_bytes > 0
    assert cache.prune(older_than=timedelta(days=1)) == []
    assert cache.prune() == [entry]
    assert cache.list_entries() == []
    assert not mount.path.exists()
