"""`flux db prune` also deletes the large outputs that no stored execution references."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flux import ExecutionContext, task, workflow
from flux.config import Configuration

from .conftest import KEY

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@task
async def export_rows(count: int) -> list[int]:
    return list(range(count))


@workflow
async def nightly_export(ctx: ExecutionContext[int]) -> int:
    return len(await export_rows(ctx.input))


def prune(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("FLUX_")}
    env.update(
        PYTHONPATH=str(REPO),
        FLUX_DATABASE_URL=f"sqlite:///{tmp_path / 'flux.db'}",
        FLUX_HOME=str(tmp_path / ".flux"),
        FLUX_SECURITY__ENCRYPTION_KEY=KEY,
        FLUX_OUTPUTS__PRUNE_GRACE="0",
    )
    return subprocess.run(
        [sys.executable, "-m", "flux.cli.main", "db", "prune", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_db_prune_deletes_outputs_of_deleted_executions(
    flux_config: Configuration, tmp_path: Path
) -> None:
    assert nightly_export.run(100_000).output == 100_000
    outputs = tmp_path / ".flux" / "outputs"
    assert sum(p.is_file() for p in outputs.rglob("*")) == 1

    kept = prune(tmp_path, "--dry-run")
    assert kept.returncode == 0, kept.stderr
    assert "would delete 0 unreferenced output(s), 0 bytes" in kept.stderr

    time.sleep(1.1)
    done = prune(tmp_path, "--older-than", "1s")
    assert done.returncode == 0, done.stderr
    assert "nightly_export: deleted 1" in done.stdout
    assert "deleted 1 unreferenced output(s)" in done.stderr
    assert sum(p.is_file() for p in outputs.rglob("*")) == 0
