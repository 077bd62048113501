from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
import timeit
from collections.abc import Iterator
from pathlib import Path

import pytest

from flux import keyring
from flux.config import FluxSettings, SecuritySettings
from flux.errors import EncryptionKeyError, TamperedDataError

REPO = Path(__file__).resolve().parents[1]
KEY_A = "a-long-random-key-for-tests-0123456789"
KEY_B = "another-long-random-key-for-tests-9876"


@pytest.fixture(autouse=True)
def fresh_keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.chdir(tmp_path)
    keyring.clear_cache()
    yield
    keyring.clear_cache()


def settings(home: Path | str = ".flux", key: str | None = None) -> FluxSettings:
    return FluxSettings(home=str(home), security=SecuritySettings(encryption_key=key))


def test_local_key_is_created_once_private_and_announced(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    home = tmp_path / "deep" / "home"
    with caplog.at_level(logging.INFO, logger="flux.keyring"):
        first = keyring.signing_key(settings(home))
        keyring.clear_cache()
        second = keyring.signing_key(settings(home))

    key_file = home / "encryption.key"
    assert first == second
    assert len(first) == 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    created = [r for r in caplog.records if "created a local encryption key" in r.getMessage()]
    assert len(created) == 1
    assert created[0].levelno == logging.INFO
    assert str(key_file) in created[0].getMessage()
    assert key_file.read_text().strip() not in caplog.text


def test_configured_key_is_used_and_no_file_is_written(tmp_path: Path) -> None:
    configured = keyring.signing_key(settings(tmp_path, KEY_A))
    assert not (tmp_path / "encryption.key").exists()
    assert configured != keyring.signing_key(settings(tmp_path, KEY_B))
    assert configured == keyring.signing_key(settings(tmp_path / "elsewhere", KEY_A))


def test_key_file_content_works_as_the_configured_key(tmp_path: Path) -> None:
    token = keyring.secret_cipher(settings(tmp_path)).encrypt("API_KEY", b"value")
    file_key = (tmp_path / "encryption.key").read_text().strip()
    assert keyring.secret_cipher(settings("unused", file_key)).decrypt("API_KEY", token) == b"value"


def test_sub_keys_are_independent_of_each_other_and_of_the_master() -> None:
    s = settings(key=KEY_A)
    signing = keyring.signing_key(s)
    assert signing != keyring.master_key(s)
    assert signing not in keyring.secret_cipher(s).encrypt("n", signing)


def test_keys_are_derived_once_per_process() -> None:
    s = settings(key=KEY_A)
    assert keyring.secret_cipher(s) is keyring.secret_cipher(settings(key=KEY_A))
    assert keyring.signing_key(s) is keyring.signing_key(s)


def test_round_trip_with_a_fresh_nonce_each_time() -> None:
    cipher = keyring.secret_cipher(settings(key=KEY_A))
    first, second = cipher.encrypt("API_KEY", b"hunter2"), cipher.encrypt("API_KEY", b"hunter2")
    assert first != second
    assert b"hunter2" not in first
    assert cipher.decrypt("API_KEY", first) == cipher.decrypt("API_KEY", second) == b"hunter2"


def test_wrong_key_is_refused_with_a_clear_message() -> None:
    token = keyring.secret_cipher(settings(key=KEY_A)).encrypt("API_KEY", b"hunter2")
    with pytest.raises(EncryptionKeyError) as caught:
        keyring.secret_cipher(settings(key=KEY_B)).decrypt("API_KEY", token)
    message = str(caught.value)
    assert "'API_KEY' was encrypted with another key" in message
    assert "FLUX_SECURITY__ENCRYPTION_KEY" in message
    assert "hunter2" not in message


@pytest.mark.parametrize("position", [0, 1, 5, 20, -1])
def test_any_changed_byte_is_detected(position: int) -> None:
    cipher = keyring.secret_cipher(settings(key=KEY_A))
    token = bytearray(cipher.encrypt("API_KEY", b"hunter2"))
    token[position] ^= 0x01
    with pytest.raises((TamperedDataError, EncryptionKeyError)):
        cipher.decrypt("API_KEY", bytes(token))


def test_changed_ciphertext_is_tampering_not_a_key_problem() -> None:
    cipher = keyring.secret_cipher(settings(key=KEY_A))
    token = cipher.encrypt("API_KEY", b"hunter2")
    with pytest.raises(TamperedDataError, match="'API_KEY' failed authentication"):
        cipher.decrypt("API_KEY", token[:-1] + bytes([token[-1] ^ 1]))
    with pytest.raises(TamperedDataError, match="not in a format"):
        cipher.decrypt("API_KEY", token[:10])


def test_a_value_cannot_be_moved_to_another_name() -> None:
    cipher = keyring.secret_cipher(settings(key=KEY_A))
    token = cipher.encrypt("DB_PASSWORD", b"hunter2")
    with pytest.raises(TamperedDataError, match="another secret name"):
        cipher.decrypt("PUBLIC_NOTE", token)


def test_repr_shows_no_key_material() -> None:
    s = settings(key=KEY_A)
    cipher = keyring.secret_cipher(s)
    assert KEY_A not in repr(cipher)
    assert keyring.signing_key(s).hex() not in repr(cipher)


def test_empty_key_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "encryption.key").write_text("\n")
    with pytest.raises(EncryptionKeyError, match="is empty"):
        keyring.signing_key(settings(tmp_path))


def test_unusable_home_is_a_key_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(EncryptionKeyError, match=r"cannot read the encryption key file"):
        keyring.signing_key(settings(blocker))
    with pytest.raises(EncryptionKeyError, match=r"cannot (read|create) the encryption key file"):
        keyring.signing_key(settings(blocker / "home"))


def _child(code: str, cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("FLUX_")}
    env["PYTHONPATH"] = str(REPO)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


ENCRYPT = (
    "from flux.config import FluxSettings; from flux.keyring import secret_cipher; "
    "print(secret_cipher(FluxSettings()).encrypt('API_KEY', b'hunter2').hex())"
)
DECRYPT = (
    "import sys; from flux.config import FluxSettings; from flux.keyring import secret_cipher; "
    "print(secret_cipher(FluxSettings()).decrypt('API_KEY', bytes.fromhex(sys.argv[1])).decode())"
)


@pytest.mark.slow
def test_local_key_persists_across_processes(tmp_path: Path) -> None:
    token = _child(ENCRYPT, tmp_path)
    code = DECRYPT.replace("sys.argv[1]", repr(token))
    assert _child(code, tmp_path) == "hunter2"


@pytest.mark.slow
def test_processes_racing_to_create_the_key_agree_on_one(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("FLUX_")}
    env["PYTHONPATH"] = str(REPO)
    code = (
        "from flux.config import FluxSettings; from flux.keyring import signing_key; "
        "print(signing_key(FluxSettings()).hex())"
    )
    children = [
        subprocess.Popen(
            [sys.executable, "-c", code], cwd=tmp_path, env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(8)
    ]
    keys = {child.communicate(timeout=60)[0].strip() for child in children}
    assert all(child.returncode == 0 for child in children)
    assert len(keys) == 1
    assert sorted(p.name for p in (tmp_path / ".flux").iterdir()) == ["encryption.key"]


def test_decrypting_one_secret_costs_microseconds() -> None:
    cipher = keyring.secret_cipher(settings(key=KEY_A))
    token = cipher.encrypt("API_KEY", b'"a typical api key value of some length"')
    runs = 10_000
    seconds = timeit.timeit(lambda: cipher.decrypt("API_KEY", token), number=runs)
    # Measured at a few µs; the bound only catches per-value key stretching.
    assert seconds / runs < 200e-6
