"""The distributed-mode settings: defaults, environment variables, validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from flux.config import Configuration
from flux.errors import ConfigurationError


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Configuration:
    monkeypatch.chdir(tmp_path)
    configuration = Configuration()
    return configuration


def test_defaults(config: Configuration) -> None:
    s = config.settings

    assert (s.workers.lease_ttl, s.workers.heartbeat_interval, s.workers.max_attempts) == (
        5.0,
        1.0,
        3,
    )
    assert (s.server.sync_timeout, s.server.embedded_worker) == (60.0, True)
    assert s.server.max_upload_bytes == 1024 * 1024


def test_environment_overrides_nested_keys(
    config: Configuration, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLUX_SERVER__SYNC_TIMEOUT", "2.5")
    monkeypatch.setenv("FLUX_SERVER__EMBEDDED_WORKER", "false")
    monkeypatch.setenv("FLUX_WORKERS__MAX_ATTEMPTS", "7")
    monkeypatch.setenv("FLUX_SERVER_PORT", "9001")

    s = config.settings

    assert (s.server.sync_timeout, s.server.embedded_worker) == (2.5, False)
    assert (s.workers.max_attempts, s.server_port) == (7, 9001)


def test_invalid_values_are_refused(config: Configuration) -> None:
    with pytest.raises(ConfigurationError, match=r"workers\.lease_ttl"):
        config.override(workers={"lease_ttl": 0})
    with pytest.raises(ConfigurationError, match=r"server\.max_upload_bytes"):
        config.override(server={"max_upload_bytes": -1})
