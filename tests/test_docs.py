"""Generated docs stay in step with the code."""

from __future__ import annotations

from pathlib import Path

from flux.config_reference import render

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_configuration_reference_is_current() -> None:
    written = (DOCS / "configuration.md").read_text()
    assert written == render(), (
        "docs/configuration.md is stale: run `python -m flux.config_reference > "
        "docs/configuration.md`"
    )


def test_every_setting_is_described() -> None:
    undocumented = [line for line in render().splitlines() if line.endswith("|  |")]
    assert undocumented == []
