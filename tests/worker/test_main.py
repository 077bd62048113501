"""`run_worker`'s settings, names and refusals (the full process is in test_end_to_end.py)."""

from __future__ import annotations

import re

import pytest

from flux.config import Configuration
from flux.errors import ConfigurationError
from flux.worker.main import default_name, run_worker, worker_options


def test_default_names_are_valid_and_unique() -> None:
    names = {default_name() for _ in range(50)}
    assert len(names) == 50
    assert all(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}", n) for n in names)


def test_options_come_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLUX_WORKERS__BOOTSTRAP_TOKEN", "secret-token")
    monkeypatch.setenv("FLUX_WORKERS__SHUTDOWN_GRACE", "2.5")
    monkeypatch.setenv("FLUX_WORKERS__SERVER_URL", "http://flux.example:9000")
    Configuration.get().reload()
    options = worker_options("w7", None)
    assert (options.name, options.server_url) == ("w7", "http://flux.example:9000")
    assert options.bootstrap_token == "secret-token"
    assert options.shutdown_grace == 2.5
    assert worker_options(None, "http://other:1").server_url == "http://other:1"


def test_a_missing_token_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLUX_WORKERS__BOOTSTRAP_TOKEN", raising=False)
    Configuration.get().reload()
    with pytest.raises(ConfigurationError, match="FLUX_WORKERS__BOOTSTRAP_TOKEN"):
        worker_options("w", None)


def test_run_worker_exits_1_without_a_token(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("FLUX_WORKERS__BOOTSTRAP_TOKEN", raising=False)
    Configuration.get().reload()
    assert run_worker("w", "http://127.0.0.1:9") == 1
    assert "no bootstrap token" in capsys.readouterr().err


def test_run_worker_exits_1_on_an_invalid_name(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FLUX_WORKERS__BOOTSTRAP_TOKEN", "t")
    Configuration.get().reload()
    assert run_worker("no spaces/allowed", "http://127.0.0.1:9") == 1
    assert "invalid worker name" in capsys.readouterr().err
