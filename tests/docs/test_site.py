"""The documentation site (mkdocs.yml, MkDocs Material) builds with `--strict`: every page is
in the navigation, and every link and anchor between pages resolves."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]


def _build(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(site)],
        cwd=config.parent,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        timeout=300,
        check=False,
    )


def _nav_pages(nav: list[object]) -> set[str]:
    pages: set[str] = set()
    for entry in nav:
        value = next(iter(entry.values())) if isinstance(entry, dict) else entry
        if isinstance(value, list):
            pages |= _nav_pages(value)
        elif isinstance(value, str):
            pages.add(value)
    return pages


@pytest.fixture(scope="module")
def config() -> dict[str, object]:
    loaded: dict[str, object] = yaml.load((REPO / "mkdocs.yml").read_text(), Loader=yaml.Loader)
    return loaded


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    result = _build(REPO / "mkdocs.yml", tmp_path / "site")

    assert result.returncode == 0, result.stderr
    api = (tmp_path / "site" / "reference" / "api" / "index.html").read_text()
    assert "POST /jobs/submit" in api
    cli = (tmp_path / "site" / "reference" / "cli" / "index.html").read_text()
    assert "flux start server" in cli
    assert (tmp_path / "site" / "getting-started" / "index.html").is_file()


def test_every_page_is_in_the_navigation(config: dict[str, object]) -> None:
    nav = config["nav"]
    assert isinstance(nav, list)
    pages = {str(p.relative_to(REPO / "docs")) for p in (REPO / "docs").rglob("*.md")}

    assert pages - _nav_pages(nav) == set()
    assert _nav_pages(nav) - pages == set()


def test_a_broken_link_fails_the_build(tmp_path: Path) -> None:
    """The strict settings really catch a link to a heading that does not exist."""
    shutil.copytree(REPO / "docs", tmp_path / "docs")
    shutil.copy(REPO / "mkdocs.yml", tmp_path / "mkdocs.yml")
    page = tmp_path / "docs" / "concepts.md"
    page.write_text(page.read_text() + "\nSee [replay](replay.md#no-such-heading).\n")

    result = _build(tmp_path / "mkdocs.yml", tmp_path / "site")

    assert result.returncode != 0
    assert "no-such-heading" in result.stderr
