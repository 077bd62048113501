"""`flux secrets` as a user runs it: a real process in a project directory, on a Flux server
(the default) or with `--local` on the local database."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def flux(
    cwd: Path, *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.upper().startswith("FLUX_")}
    clean["PYTHONPATH"] = str(REPO)
    return subprocess.run(
        [sys.executable, "-m", "flux.cli.main", *args],
        cwd=cwd,
        env={**clean, **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_set_list_get_remove(tmp_path: Path) -> None:
    saved = flux(tmp_path, "secrets", "set", "--local", "API_KEY", "your-api-key-value")
    assert (saved.returncode, saved.stdout) == (0, "Secret 'API_KEY' saved.\n")
    flux(tmp_path, "secrets", "set", "--local", "DB_PASSWORD", "hunter2")

    listed = flux(tmp_path, "secrets", "list", "--local")
    assert (listed.returncode, listed.stdout) == (0, "API_KEY\nDB_PASSWORD\n")
    assert "your-api-key-value" not in listed.stdout + listed.stderr

    shown = flux(tmp_path, "secrets", "get", "--local", "API_KEY", "--yes")
    assert (shown.returncode, shown.stdout) == (0, "your-api-key-value\n")

    removed = flux(tmp_path, "secrets", "remove", "--local", "API_KEY")
    assert (removed.returncode, removed.stdout) == (0, "Secret 'API_KEY' removed.\n")
    assert flux(tmp_path, "secrets", "list", "--local").stdout == "DB_PASSWORD\n"


def test_first_use_creates_a_private_local_key_and_says_where(tmp_path: Path) -> None:
    result = flux(tmp_path, "secrets", "set", "--local", "API_KEY", "v")
    key_file = tmp_path / ".flux" / "encryption.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert f"INFO flux.keyring: created a local encryption key at {key_file}" in result.stderr
    again = flux(tmp_path, "secrets", "set", "--local", "OTHER", "v")
    assert "created a local encryption key" not in again.stderr


def test_get_asks_before_printing(tmp_path: Path) -> None:
    flux(tmp_path, "secrets", "set", "--local", "API_KEY", "hunter2")

    confirmed = flux(tmp_path, "secrets", "get", "--local", "API_KEY", stdin="y\n")
    assert (confirmed.returncode, confirmed.stdout) == (0, "hunter2\n")
    assert "Print the value of secret 'API_KEY'" in confirmed.stderr

    declined = flux(tmp_path, "secrets", "get", "--local", "API_KEY", stdin="n\n")
    assert declined.returncode == 1
    assert "hunter2" not in declined.stdout + declined.stderr
    assert "Aborted" in declined.stderr

    short = flux(tmp_path, "secrets", "get", "--local", "-y", "API_KEY")
    assert (short.returncode, short.stdout) == (0, "hunter2\n")


def test_get_of_a_missing_secret_fails_with_a_message(tmp_path: Path) -> None:
    result = flux(tmp_path, "secrets", "get", "--local", "NOPE", "--yes")
    assert result.returncode == 1
    assert result.stdout == ""
    assert "Error: secret(s) not found: NOPE" in result.stderr


def test_remove_of_a_missing_secret_fails(tmp_path: Path) -> None:
    result = flux(tmp_path, "secrets", "remove", "--local", "NOPE")
    assert (result.returncode, result.stdout) == (1, "")
    assert "Error: secret 'NOPE' not found" in result.stderr


def test_empty_list_says_so_on_stderr(tmp_path: Path) -> None:
    result = flux(tmp_path, "secrets", "list", "--local")
    assert (result.returncode, result.stdout) == (0, "")
    assert result.stderr.splitlines()[-1] == "No secrets."


def test_value_can_come_from_stdin_to_stay_out_of_shell_history(tmp_path: Path) -> None:
    assert (
        flux(tmp_path, "secrets", "set", "--local", "TOKEN", stdin="from-stdin\n").returncode == 0
    )
    assert flux(tmp_path, "secrets", "get", "--local", "TOKEN", "-y").stdout == "from-stdin\n"
    empty = flux(tmp_path, "secrets", "set", "--local", "TOKEN")
    assert empty.returncode == 2
    assert "no VALUE given" in empty.stderr


def test_invalid_name_is_a_user_error(tmp_path: Path) -> None:
    result = flux(tmp_path, "secrets", "set", "--local", "bad name", "v")
    assert result.returncode == 1
    assert "invalid secret name 'bad name'" in result.stderr


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert flux(tmp_path, "secrets", "get", "--local").returncode == 2
    unknown = flux(tmp_path, "secrets", "reveal", "X")
    assert unknown.returncode == 2
    assert "No such command 'reveal'" in unknown.stderr


def test_a_different_key_is_refused_clearly(tmp_path: Path) -> None:
    flux(tmp_path, "secrets", "set", "--local", "API_KEY", "hunter2")
    env = {"FLUX_SECURITY__ENCRYPTION_KEY": "some-other-long-random-key-0123456789"}
    result = flux(tmp_path, "secrets", "get", "--local", "API_KEY", "-y", env=env)
    assert result.returncode == 1
    assert "'API_KEY' was encrypted with another key" in result.stderr
    assert "hunter2" not in result.stdout + result.stderr


def test_configuration_from_flux_toml_and_env_is_used(tmp_path: Path) -> None:
    (tmp_path / "flux.toml").write_text('[flux]\ndatabase_url = "sqlite:///custom/db.sqlite"\n')
    (tmp_path / "custom").mkdir()
    key = {"FLUX_SECURITY__ENCRYPTION_KEY": "configured-long-random-key-0123456789"}
    assert flux(tmp_path, "secrets", "set", "--local", "API_KEY", "v", env=key).returncode == 0
    assert (tmp_path / "custom" / "db.sqlite").exists()
    assert not (tmp_path / ".flux" / "encryption.key").exists()
    assert flux(tmp_path, "secrets", "get", "--local", "API_KEY", "-y", env=key).stdout == "v\n"


def test_bad_configuration_is_reported_not_a_traceback(tmp_path: Path) -> None:
    result = flux(tmp_path, "secrets", "list", "--local", env={"FLUX_SERVER_PORT": "abc"})
    assert result.returncode == 1
    assert "invalid setting 'server_port' from environment variable FLUX_SERVER_PORT" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr


def test_help_lists_the_secrets_commands(tmp_path: Path) -> None:
    top = flux(tmp_path, "--help")
    assert top.returncode == 0
    assert "secrets" in top.stdout
    group = flux(tmp_path, "secrets", "--help")
    for command in ("list", "set", "get", "remove"):
        assert command in group.stdout


# On a server (the default)


def test_on_a_server_set_list_get_remove(flux_cli: Any, server_url: str) -> None:
    flux = flux_cli.at(server_url)
    saved = flux("secrets", "set", "SERVER_KEY", "server-value")
    assert (saved.returncode, saved.stdout) == (0, "Secret 'SERVER_KEY' saved.\n")
    assert flux("secrets", "set", "FROM_STDIN", stdin="piped\n").returncode == 0

    listed = flux("secrets", "list")
    assert listed.returncode == 0
    assert {"SERVER_KEY", "FROM_STDIN"} <= set(listed.stdout.splitlines())
    assert "server-value" not in listed.stdout + listed.stderr

    assert flux("secrets", "get", "SERVER_KEY", "-y").stdout == "server-value\n"
    assert flux("secrets", "get", "FROM_STDIN", "-y").stdout == "piped\n"
    declined = flux("secrets", "get", "SERVER_KEY", stdin="n\n")
    assert declined.returncode == 1
    assert "server-value" not in declined.stdout + declined.stderr

    removed = flux("secrets", "remove", "SERVER_KEY")
    assert (removed.returncode, removed.stdout) == (0, "Secret 'SERVER_KEY' removed.\n")
    assert "SERVER_KEY" not in flux("secrets", "list").stdout
    # Nothing was written locally: the server holds them.
    assert flux_cli("secrets", "list", "--local").stdout == ""


def test_on_a_server_missing_secrets_fail_with_a_message(flux_cli: Any, server_url: str) -> None:
    flux = flux_cli.at(server_url)
    for command in (("get", "-y"), ("remove",)):
        result = flux("secrets", *command, "NOPE_NOT_THERE")
        assert (result.returncode, result.stdout) == (1, "")
        assert "NOPE_NOT_THERE" in result.stderr
        assert "not found" in result.stderr


def test_a_secret_name_the_server_refuses_exits_1(flux_cli: Any, server_url: str) -> None:
    result = flux_cli.at(server_url)("secrets", "set", "bad name", "v")
    assert result.returncode == 1
    assert "bad name" in result.stderr


def test_secrets_server_down_exits_3(flux_cli: Any, dead_server_url: str) -> None:
    result = flux_cli.at(dead_server_url)("secrets", "list")
    assert result.returncode == 3
    assert result.stderr == (
        f"Error: cannot reach the Flux server at {dead_server_url}: connection refused; "
        "start it with `flux start server`, or add --local to use the local database\n"
    )


def test_local_and_server_url_exclude_each_other(flux_cli: Any) -> None:
    result = flux_cli("secrets", "list", "--local", "--server-url", "http://127.0.0.1:1")
    assert result.returncode == 2
    assert "--local and --server-url exclude each other" in result.stderr


def _dead_url() -> str:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_with_no_server_the_local_database_is_used_and_said_so(tmp_path: Path) -> None:
    env = {"FLUX_WORKERS__SERVER_URL": _dead_url()}
    saved = flux(tmp_path, "secrets", "set", "API_KEY", "local-value", env=env)
    assert saved.returncode == 0, saved.stderr
    assert "No Flux server is running; using the local database" in saved.stderr
    listed = flux(tmp_path, "secrets", "list", "--local")
    assert listed.stdout == "API_KEY\n"


def test_an_explicit_server_url_never_falls_back(tmp_path: Path) -> None:
    result = flux(tmp_path, "secrets", "set", "--server-url", _dead_url(), "API_KEY", "v")
    assert result.returncode == 3
    assert "or add --local to use the local database" in result.stderr
    assert flux(tmp_path, "secrets", "list", "--local").stdout == ""
