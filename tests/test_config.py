from __future__ import annotations

import os
import textwrap
import timeit
from collections.abc import Iterator
from pathlib import Path

import pytest

from flux.config import Configuration, FluxSettings
from flux.errors import ConfigurationError


@pytest.fixture(autouse=True)
def clean_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Configuration]:
    """Each test runs in an empty directory with no FLUX_* variables and no overrides."""
    for name in list(os.environ):
        if name.upper().startswith("FLUX_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    config = Configuration.get()
    config.reset()
    yield config
    config.reset()


def write(path: Path, text: str) -> None:
    path.write_text(textwrap.dedent(text), encoding="utf-8")


def test_defaults_match_the_documented_values(clean_config: Configuration) -> None:
    s = clean_config.settings
    assert (s.debug, s.log_level, s.server_host, s.server_port) == (
        False,
        "INFO",
        "localhost",
        8000,
    )
    assert (s.home, s.database_url, s.serializer) == (".flux", "sqlite:///.flux/flux.db", "pkl")
    w = s.workers
    assert w.bootstrap_token is None
    assert (w.server_url, w.default_timeout) == ("http://localhost:8000", 300)
    assert (w.retry_attempts, w.retry_delay, w.retry_backoff) == (3, 1, 2)
    assert s.security.encryption_key is None
    m = s.mcp
    assert (m.name, m.host, m.port) == ("flux-workflows", "localhost", 8080)
    assert (m.server_url, m.transport) == ("http://localhost:8000", "sse")


def test_all_four_sources_in_precedence_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_config: Configuration
) -> None:
    write(
        tmp_path / "pyproject.toml",
        """
        [tool.flux]
        home = "from-pyproject"
        server_host = "from-pyproject"
        log_level = "ERROR"
        server_port = 1001
        [tool.flux.workers]
        retry_delay = 5
        default_timeout = 1
        """,
    )
    write(
        tmp_path / "flux.toml",
        """
        [flux]
        server_host = "from-flux-toml"
        log_level = "WARNING"
        server_port = 1002
        [flux.workers]
        default_timeout = 10
        bootstrap_token = "from-file"
        """,
    )
    monkeypatch.setenv("FLUX_LOG_LEVEL", "DEBUG")
    monkeypatch.setenv("FLUX_SERVER_PORT", "1003")
    monkeypatch.setenv("FLUX_WORKERS__BOOTSTRAP_TOKEN", "from-env")
    clean_config.override(server_port=1004)

    s = clean_config.settings
    assert s.home == "from-pyproject"
    assert s.server_host == "from-flux-toml"
    assert s.log_level == "DEBUG"
    assert s.server_port == 1004
    # Sections merge key by key: each source contributes the keys it sets.
    assert (s.workers.retry_delay, s.workers.default_timeout) == (5, 10)
    assert s.workers.bootstrap_token == "from-env"
    assert s.workers.retry_attempts == 3


def test_double_underscore_env_vars_reach_every_section(
    monkeypatch: pytest.MonkeyPatch, clean_config: Configuration
) -> None:
    monkeypatch.setenv("FLUX_WORKERS__SERVER_URL", "http://production:8000")
    monkeypatch.setenv("FLUX_WORKERS__DEFAULT_TIMEOUT", "600")
    monkeypatch.setenv("FLUX_SECURITY__ENCRYPTION_KEY", "k" * 32)
    monkeypatch.setenv("FLUX_MCP__PORT", "8081")
    monkeypatch.setenv("FLUX_MCP__TRANSPORT", "streamable-http")
    monkeypatch.setenv("FLUX_MCP__SERVER_URL", "http://mcp:1")
    monkeypatch.setenv("flux_debug", "true")

    s = clean_config.settings
    assert (s.workers.server_url, s.workers.default_timeout) == ("http://production:8000", 600)
    assert s.security.encryption_key == "k" * 32
    assert (s.mcp.port, s.mcp.transport, s.mcp.server_url) == (
        8081,
        "streamable-http",
        "http://mcp:1",
    )
    assert s.debug is True


def test_top_level_mcp_table_is_read_and_flux_mcp_wins(
    tmp_path: Path, clean_config: Configuration
) -> None:
    write(
        tmp_path / "flux.toml",
        """
        [mcp]
        name = "from-mcp"
        port = 9100
        transport = "stdio"
        [flux.mcp]
        port = 9200
        """,
    )
    m = clean_config.settings.mcp
    assert (m.name, m.port, m.transport) == ("from-mcp", 9200, "stdio")


def test_get_is_one_instance_and_settings_are_built_once(clean_config: Configuration) -> None:
    assert Configuration.get() is clean_config
    assert clean_config.settings is clean_config.settings


def test_override_merges_nested_sections_and_accumulates(clean_config: Configuration) -> None:
    clean_config.override(debug=True, server_port=9000, workers={"bootstrap_token": "test-token"})
    clean_config.override(workers={"retry_attempts": 9})
    s = Configuration.get().settings
    assert (s.debug, s.server_port) == (True, 9000)
    assert (s.workers.bootstrap_token, s.workers.retry_attempts) == ("test-token", 9)
    assert s.workers.server_url == "http://localhost:8000"


def test_rejected_override_keeps_the_previous_configuration(clean_config: Configuration) -> None:
    clean_config.override(server_port=9000)
    with pytest.raises(ConfigurationError, match=r"server_port.*Configuration\.override\(\)"):
        clean_config.override(server_port="not-a-port")
    with pytest.raises(ConfigurationError, match=r"unknown setting 'workers\.nope'"):
        clean_config.override(workers={"nope": 1})
    with pytest.raises(ConfigurationError, match="unknown setting 'colour'"):
        clean_config.override(colour="blue")
    assert clean_config.settings.server_port == 9000


def test_reload_reads_sources_again_and_keeps_overrides(
    monkeypatch: pytest.MonkeyPatch, clean_config: Configuration
) -> None:
    clean_config.override(debug=True)
    assert clean_config.settings.server_host == "localhost"
    monkeypatch.setenv("FLUX_SERVER_HOST", "0.0.0.0")
    assert clean_config.settings.server_host == "localhost", "cached until reload"
    clean_config.reload()
    assert (clean_config.settings.server_host, clean_config.settings.debug) == ("0.0.0.0", True)


def test_reset_forgets_overrides(tmp_path: Path, clean_config: Configuration) -> None:
    write(tmp_path / "flux.toml", "[flux]\nserver_port = 7000\n")
    clean_config.override(server_port=9000, workers={"bootstrap_token": "x"})
    clean_config.reset()
    assert clean_config.settings.server_port == 7000
    assert clean_config.settings.workers.bootstrap_token is None


def test_files_are_read_from_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_config: Configuration
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    write(other / "flux.toml", "[flux]\nserializer = 'json'\n")
    before = clean_config.settings
    monkeypatch.chdir(other)
    clean_config.reload()
    assert (before.serializer, clean_config.settings.serializer) == ("pkl", "json")


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("env", r"'server_port' from environment variable FLUX_SERVER_PORT.*'abc'"),
        ("flux.toml", r"'server_port' from flux.toml \(key flux.server_port\).*'abc'"),
        ("pyproject", r"'server_port' from pyproject.toml \(key tool.flux.server_port\)"),
    ],
)
def test_bad_value_names_the_setting_and_its_source(
    source: str,
    expected: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    clean_config: Configuration,
) -> None:
    if source == "env":
        monkeypatch.setenv("FLUX_SERVER_PORT", "abc")
    elif source == "flux.toml":
        write(tmp_path / "flux.toml", "[flux]\nserver_port = 'abc'\n")
    else:
        write(tmp_path / "pyproject.toml", "[tool.flux]\nserver_port = 'abc'\n")
    with pytest.raises(ConfigurationError, match=expected):
        _ = clean_config.settings


def test_the_highest_source_is_blamed_for_a_bad_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_config: Configuration
) -> None:
    write(tmp_path / "flux.toml", "[flux.mcp]\ntransport = 'sse'\n")
    monkeypatch.setenv("FLUX_MCP__TRANSPORT", "carrier-pigeon")
    with pytest.raises(ConfigurationError) as caught:
        _ = clean_config.settings
    message = str(caught.value)
    assert "'mcp.transport' from environment variable FLUX_MCP__TRANSPORT" in message
    assert "'sse', 'stdio' or 'streamable-http'" in message


def test_every_bad_value_is_reported_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_config: Configuration
) -> None:
    write(tmp_path / "flux.toml", "[flux]\nserializer = 'xml'\n[mcp]\nport = 70000\n")
    monkeypatch.setenv("FLUX_WORKERS__RETRY_ATTEMPTS", "many")
    with pytest.raises(ConfigurationError) as caught:
        _ = clean_config.settings
    message = str(caught.value)
    assert "'serializer' from flux.toml (key flux.serializer)" in message
    assert "'xml'" in message
    assert "'mcp.port' from flux.toml (key mcp.port)" in message
    assert "'workers.retry_attempts' from environment variable FLUX_WORKERS__RETRY_ATTEMPTS" in (
        message
    )


def test_sensitive_values_never_appear_in_errors(
    tmp_path: Path, clean_config: Configuration
) -> None:
    write(
        tmp_path / "flux.toml",
        """
        [flux.security]
        encryption_key = 987654321
        [flux.workers]
        bootstrap_token = 123456789
        """,
    )
    with pytest.raises(ConfigurationError) as caught:
        _ = clean_config.settings
    message = str(caught.value)
    assert "security.encryption_key" in message
    assert "workers.bootstrap_token" in message
    assert "987654321" not in message
    assert "123456789" not in message


def test_sensitive_values_are_hidden_from_repr(clean_config: Configuration) -> None:
    clean_config.override(
        security={"encryption_key": "s3cr3t-key"}, workers={"bootstrap_token": "t0k3n"}
    )
    text = repr(clean_config.settings)
    assert "s3cr3t-key" not in text
    assert "t0k3n" not in text


def test_log_level_is_case_insensitive_and_checked(
    monkeypatch: pytest.MonkeyPatch, clean_config: Configuration
) -> None:
    monkeypatch.setenv("FLUX_LOG_LEVEL", "debug")
    assert clean_config.settings.log_level == "DEBUG"
    monkeypatch.setenv("FLUX_LOG_LEVEL", "LOUD")
    with pytest.raises(ConfigurationError, match=r"log_level.*FLUX_LOG_LEVEL"):
        clean_config.reload()


def test_malformed_toml_names_the_file(tmp_path: Path, clean_config: Configuration) -> None:
    write(tmp_path / "flux.toml", "[flux\nserver_port = 1\n")
    with pytest.raises(ConfigurationError, match=r"cannot read configuration file .*flux\.toml"):
        _ = clean_config.settings


def test_a_section_that_is_not_a_table_is_refused(
    tmp_path: Path, clean_config: Configuration
) -> None:
    write(tmp_path / "pyproject.toml", "[tool]\nflux = 3\n")
    with pytest.raises(ConfigurationError, match=r"pyproject.toml: \[tool.flux\] must be a table"):
        _ = clean_config.settings


def test_section_env_var_with_bad_json_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch, clean_config: Configuration
) -> None:
    monkeypatch.setenv("FLUX_WORKERS", "{not json")
    with pytest.raises(ConfigurationError, match="workers"):
        _ = clean_config.settings


def test_unrelated_keys_and_env_vars_are_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_config: Configuration
) -> None:
    write(tmp_path / "flux.toml", "[flux]\nfuture_option = 1\n[other]\nx = 1\n")
    monkeypatch.setenv("FLUX_TEST_POSTGRES_URL", "postgresql://x")
    assert clean_config.settings.server_port == 8000


def test_settings_can_be_built_directly_for_tests() -> None:
    assert FluxSettings(server_port=1).server_port == 1


def test_getting_settings_is_cheap(clean_config: Configuration) -> None:
    _ = clean_config.settings
    runs = 100_000
    seconds = timeit.timeit(lambda: Configuration.get().settings, number=runs)
    # Called on hot paths; measured well under 1 µs. The bound only catches a lost cache.
    assert seconds / runs < 20e-6
