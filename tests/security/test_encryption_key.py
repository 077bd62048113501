"""A server or `flux secrets` refuses to start when secrets are stored and the key that
reads them is missing or another one, instead of silently creating a new key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from flux import keyring
from flux.config import FluxSettings, SecuritySettings
from flux.errors import EncryptionKeyError
from flux.secret_managers import DatabaseSecretManager, check_encryption_key
from flux.storage.factory import create_store
from tests.conftest import clean_env, free_port

KEY_A = "a-long-random-key-for-tests-0123456789"
KEY_B = "another-long-random-key-for-tests-9876"


@pytest.fixture(autouse=True)
def fresh_keys() -> None:
    keyring.clear_cache()


def _settings(home: Path, key: str | None = None) -> FluxSettings:
    return FluxSettings(
        home=str(home),
        database_url=f"sqlite:///{home}/flux.db",
        security=SecuritySettings(encryption_key=key),
    )


async def _save(settings: FluxSettings) -> None:
    store = create_store(settings.database_url)
    try:
        await DatabaseSecretManager(store, keyring.secret_cipher(settings)).save("API", "v-123456")
    finally:
        await store.close()


async def _check(settings: FluxSettings) -> None:
    store = create_store(settings.database_url)
    try:
        await check_encryption_key(settings, store)
    finally:
        await store.close()


async def test_no_secrets_no_key_is_fine_and_creates_nothing(tmp_path: Path) -> None:
    await _check(_settings(tmp_path))
    assert not (tmp_path / "encryption.key").exists()


async def test_a_missing_key_file_is_refused_not_recreated(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    await _save(settings)
    await _check(settings)  # the key that wrote them: fine
    (tmp_path / "encryption.key").unlink()
    keyring.clear_cache()
    with pytest.raises(EncryptionKeyError) as refused:
        await _check(settings)
    message = str(refused.value)
    assert "1 secret(s) are stored" in message and "no encryption key" in message
    assert str(tmp_path / "encryption.key") in message
    assert not (tmp_path / "encryption.key").exists()


async def test_another_key_is_refused(tmp_path: Path) -> None:
    await _save(_settings(tmp_path, KEY_A))
    await _check(_settings(tmp_path, KEY_A))
    with pytest.raises(EncryptionKeyError, match="was encrypted with another key"):
        await _check(_settings(tmp_path, KEY_B))


def _flux(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flux.cli.main", *args],
        cwd=cwd,
        env=clean_env(FLUX_HOME=str(cwd / ".flux"), **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_and_server_refuse_a_missing_or_wrong_key(tmp_path: Path) -> None:
    saved = _flux(tmp_path, "secrets", "set", "--local", "API", "value-123456")
    assert saved.returncode == 0, saved.stderr
    key_file = tmp_path / ".flux" / "encryption.key"
    original = key_file.read_text()
    port = str(free_port())
    server = ("start", "server", "--no-worker", "--host", "127.0.0.1", "--port", port)

    key_file.unlink()
    for args in (("secrets", "list", "--local"), server):
        refused = _flux(tmp_path, *args)
        assert refused.returncode == 1, refused.stdout + refused.stderr
        assert "no encryption key" in refused.stderr
        assert "Traceback" not in refused.stderr
        assert not key_file.exists()

    key_file.write_text(original)
    wrong = _flux(tmp_path, *server, FLUX_SECURITY__ENCRYPTION_KEY=KEY_B)
    assert wrong.returncode == 1
    assert "refusing to start" in wrong.stderr and "another key" in wrong.stderr

    listed = _flux(tmp_path, "secrets", "list", "--local")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split() == ["API"]
