"""deploy/Dockerfile: what it copies into the image is enough to build and install Flux.

No Docker engine runs here, so the image is not built; instead the build context the
Dockerfile's COPY lines select is assembled in a directory and built into a wheel with pip,
as the image's `pip install .` does, and the wheel must carry what the server needs at run
time besides Python modules (the dashboard's files, the database migrations)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "deploy" / "Dockerfile"

pytestmark = pytest.mark.slow


def _copied_sources() -> list[str]:
    sources: list[str] = []
    for line in DOCKERFILE.read_text().splitlines():
        match = re.match(r"COPY\s+(?!--)(.+)\s+\S+$", line)
        if match:
            sources += match.group(1).split()
    return sources


def test_the_image_runs_as_a_non_root_user_and_checks_health() -> None:
    text = DOCKERFILE.read_text()

    assert text.startswith("#") and "FROM python:3.11-slim" in text
    assert re.search(r"^USER flux$", text, re.M)
    assert re.search(r"^HEALTHCHECK .*\n.*127\.0\.0\.1:8000/health", text, re.M)
    assert 'CMD ["start", "server", "--no-worker"]' in text
    assert "bubblewrap" in text


def test_the_copied_context_builds_a_complete_wheel(tmp_path: Path) -> None:
    context = tmp_path / "context"
    context.mkdir()
    for source in _copied_sources():
        path = REPO / source
        if path.is_dir():
            shutil.copytree(path, context / source, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(path, context / source)

    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), "."],
        cwd=context,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert build.returncode == 0, build.stderr
    [wheel] = tmp_path.glob("flux_orchestrator-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "flux/server/dashboard/index.html" in names
    assert any(name.startswith("flux/storage/migrations/versions/0001") for name in names)
    assert any(name.endswith("entry_points.txt") for name in names)
