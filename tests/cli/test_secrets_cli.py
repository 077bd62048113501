"""`flux secrets` as a user runs it: a real process in a project directory."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

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
    saved = flux(tmp_path, "secrets", "set", "API_KEY", "your-api-key-value")
    assert (saved.returncode, saved.stdout) == (0, "Secret 'API_KEY' saved.\n")
    flux(tmp_path, "secrets", "set", "DB_PASSWORD", "hunter2")

    listed = flux(tmp_path, "secrets", "list")
    assert (listed.returncode, listed.stdout) == (0, "API_KEY\nDB_PASSWORD\n")
    assert "your-api-key-value" not in listed.stdout + listed.stderr

    shown = flux(tmp_path, "secrets", "get", "API_KEY", "--yes")
    assert (shown.returncode, shown.stdout) == (0, "your-api-key-value\n")

    removed = flux(tmp_path, "secrets", "remove", "API_KEY")
    assert (removed.returncode, removed.stdout) == (0, "Secret 'API_KEY' removed.\n")
    assert flux(tmp_path, "secrets", "list").stdout == "DB_PASSWORD\n"


def test_first_use_creates_a_private_local_key_and_says_where(tmp_path: Path) -> None:
    result = flux(tmp_path, "secrets", "set", "API_KEY", "v")
    key_file = tmp_path / ".flux" / "encryption.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert f"INFO flux.keyring: created a local encryption key at {key_file}" in result.stderr
    again = flux(tmp_path, "secrets", "set", "OTHER", "v")
    assert "created a local encryption key" not in again.stderr


def test_get_asks_before_printing(tmp_path: Path) -> None:
    flux(tmp_path, "secrets", "set", "API_KEY", "hunter2")

    confirmed = flux(tmp_path, "secrets", "get", "API_KEY", stdin="y\n")
    assert (confirmed.returncode, confirmed.stdout) == (0, "hunter2\n")
    assert "Print the value of secret 'API_KEY'" in confirmed.stderr

    declined = flux(tmp_path, "secrets", "get", "API_KEY", stdin="n\n")
    assert declined.returncode == 1
    assert "hunter2" not in declined.stdout + declined.stderr
    assert "Aborted" in declined.stderr

    short = flux(tmp_path, "secrets", "get", "-y", "API_KEY")
    assert (short.returncode, short.stdout) == (0, "hunter2\n")


def test_get_of_a_missing_secret_fails_with_a_message(tmp_path: Path) -> None:
    result = flux(tmp_path, "secrets", "get", "NOPE", "--yes")
    assert result.returncode == 1
    assert result.stdout == ""
    assert "Error: secret(s) not found: NOPE" in result.stderr


def test_remove_of_a_missing_secret_fails(tmp_path: Path) -> None:
    result = flux(tmp_path, "secrets", "remove", "NOPE")
    assert (result.returncode, result.stdout) == (1, "")
    assert "Error: secret 'NOPE' not found" in result.stderr


def test_empty_list_says_so_on_stderr(tmp_path: Path) -> None:
    result = flux(tmp_path, "secrets", "list")
    assert (result.returncode, result.stdout) == (0, "")
    assert result.stderr.splitlines()[-1] == "No secrets."


def test_value_can_come_from_stdin_to_stay_out_of_shell_history(tmp_path: Path) -> None:
    assert flux(tmp_path, "secrets", "set", "TOKEN", stdin="from-stdin\n").returncode == 0
    assert flux(tmp_path, "secrets", "get", "TOKEN", "-y").stdout == "from-stdin\n"
    empty = flux(tmp_path, "secrets", "set", "TOKEN")
    assert empty.returncode == 2
    assert "no VALUE given" in empty.stderr


def test_invalid_name_is_a_user_error(tmp_path: Path) -> None:
    result = flux(tmp_path, "secrets", "set", "bad name", "v")
    assert result.returncode == 1
    assert "invalid secret name 'bad name'" in result.stderr


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert flux(tmp_path, "secrets", "get").returncode == 2
    unknown = flux(tmp_path, "secrets", "reveal", "X")
    assert unknown.returncode == 2
    assert "No such command 'reveal'" in unknown.stderr


def test_a_different_key_is_refused_clearly(tmp_path: Path) -> None:
    flux(tmp_path, "secrets", "set", "API_KEY", "hunter2")
    env = {"FLUX_SECURITY__ENCRYPTION_KEY": "some-other-long-random-key-0123456789"}
    result = flux(tmp_path, "secrets", "get", "API_KEY", "-y", env=env)
    assert result.returncode == 1
    assert "'API_KEY' was encrypted with another key" in result.stderr
    assert "hunter2" not in result.stdout + result.stderr


def test_configuration_from_flux_toml_and_env_is_used(tmp_path: Path) -> None:
    (tmp_path / "flux.toml").write_text('[flux]\ndatabase_url = "sqlite:///custom/db.sqlite"\n')
    (tmp_path / "custom").mkdir()
    key = {"FLUX_SECURITY__ENCRYPTION_KEY": "configured-long-random-key-0123456789"}
    assert flux(tmp_path, "secrets", "set", "API_KEY", "v", env=key).returncode == 0
    assert (tmp_path / "custom" / "db.sqlite").exists()
    assert not (tmp_path / ".flux" / "encryption.key").exists()
    assert flux(tmp_path, "secrets", "get", "API_KEY", "-y", env=key).stdout == "v\n"


def test_bad_configuration_is_reported_not_a_traceback(tmp_path: Path) -> None:
    result = flux(tmp_path, "secrets", "list", env={"FLUX_SERVER_PORT": "abc"})
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
