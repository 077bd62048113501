"""Settings for the output tests: a scratch home and database, and a real S3-compatible
server (moto's `moto_server`, over HTTP on loopback) for the S3 tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from flux.config import Configuration

from .s3server import S3Server, running_moto

KEY = "outputs-tests-key-0123456789abcdef"


@pytest.fixture
def flux_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Configuration]:
    monkeypatch.chdir(tmp_path)
    config = Configuration.get()
    config.override(
        database_url=f"sqlite:///{tmp_path / 'flux.db'}",
        home=str(tmp_path / ".flux"),
        security={"encryption_key": KEY},
    )
    yield config
    config.reset()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    with running_moto(tmp_path_factory.mktemp("moto")) as server:
        yield server
