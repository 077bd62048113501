from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from flux import keyring
from flux.config import FluxSettings, SecuritySettings
from flux.engine.store import ExecutionStore
from flux.errors import EncryptionKeyError, SecretNotFoundError, TamperedDataError
from flux.secret_managers import DatabaseSecretManager, SecretManager, validate_secret_name
from flux.storage.factory import create_store

KEY = "a-long-random-key-for-secret-tests-0123"
OTHER_KEY = "a-different-long-random-key-for-tests-99"


@pytest.fixture(params=["sqlite", "memory"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ExecutionStore]:
    url = f"sqlite:///{tmp_path / 'flux.db'}" if request.param == "sqlite" else "memory://"
    opened = create_store(url)
    yield opened
    await opened.close()


def cipher_for(key: str) -> keyring.SecretCipher:
    return keyring.secret_cipher(FluxSettings(security=SecuritySettings(encryption_key=key)))


@pytest.fixture
def manager(store: ExecutionStore) -> DatabaseSecretManager:
    return DatabaseSecretManager(store, cipher_for(KEY))


VALUES: list[Any] = [
    "hunter2",
    "",
    "ünïcødé ✓",
    42,
    3.5,
    True,
    None,
    [1, "a"],
    {"user": "u", "n": [1]},
]


@pytest.mark.parametrize("value", VALUES)
async def test_any_json_value_round_trips(manager: SecretManager, value: Any) -> None:
    await manager.save("API_KEY", value)
    assert await manager.get(["API_KEY"]) == {"API_KEY": value}


async def test_get_returns_the_requested_names_in_order(manager: SecretManager) -> None:
    await manager.save("B", "2")
    await manager.save("A", "1")
    await manager.save("C", "3")
    assert list((await manager.get(["C", "A", "C"])).items()) == [("C", "3"), ("A", "1")]
    assert await manager.get([]) == {}


async def test_missing_names_are_all_reported(manager: SecretManager) -> None:
    await manager.save("PRESENT", "x")
    with pytest.raises(SecretNotFoundError) as caught:
        await manager.get(["PRESENT", "MISSING_B", "MISSING_A"])
    assert sorted(caught.value.names) == ["MISSING_A", "MISSING_B"]
    assert str(caught.value) == "secret(s) not found: MISSING_A, MISSING_B"
    assert isinstance(caught.value, KeyError)


async def test_save_replaces_and_remove_reports_whether_it_existed(manager: SecretManager) -> None:
    await manager.save("API_KEY", "old")
    await manager.save("API_KEY", "new")
    assert await manager.get(["API_KEY"]) == {"API_KEY": "new"}
    assert await manager.remove("API_KEY") is True
    assert await manager.remove("API_KEY") is False
    with pytest.raises(SecretNotFoundError):
        await manager.get(["API_KEY"])


async def test_all_lists_sorted_names_only(manager: SecretManager) -> None:
    assert await manager.all() == []
    for name in ("b.two", "A_one", "c-three"):
        await manager.save(name, f"value of {name}")
    assert await manager.all() == ["A_one", "b.two", "c-three"]


@pytest.mark.parametrize("name", ["", "has space", "a/b", "ключ", "x" * 256, "new\nline"])
async def test_invalid_names_are_refused_everywhere(manager: SecretManager, name: str) -> None:
    with pytest.raises(ValueError, match="secret name"):
        await manager.save(name, "v")
    with pytest.raises(ValueError, match="secret name"):
        await manager.get([name])
    with pytest.raises(ValueError, match="secret name"):
        await manager.remove(name)


def test_longest_valid_name_is_accepted() -> None:
    name = "a" * 255
    assert validate_secret_name(name) == name


async def test_values_are_stored_encrypted(manager: SecretManager, store: ExecutionStore) -> None:
    await manager.save("API_KEY", "hunter2-plaintext")
    stored = await store.secret_get(["API_KEY"])
    assert b"hunter2-plaintext" not in stored["API_KEY"]


async def test_tampered_or_moved_rows_are_refused(
    manager: SecretManager, store: ExecutionStore
) -> None:
    await manager.save("API_KEY", "hunter2")
    token = (await store.secret_get(["API_KEY"]))["API_KEY"]
    await store.secret_set("OTHER", token)
    with pytest.raises(TamperedDataError, match="'OTHER'"):
        await manager.get(["OTHER"])
    await store.secret_set("API_KEY", token[:-1] + bytes([token[-1] ^ 1]))
    with pytest.raises(TamperedDataError, match="'API_KEY'"):
        await manager.get(["API_KEY"])


async def test_secrets_written_with_another_key_are_refused(
    manager: SecretManager, store: ExecutionStore
) -> None:
    await manager.save("API_KEY", "hunter2")
    with pytest.raises(EncryptionKeyError, match="another key"):
        await DatabaseSecretManager(store, cipher_for(OTHER_KEY)).get(["API_KEY"])


async def test_non_json_values_are_refused_without_showing_them(manager: SecretManager) -> None:
    with pytest.raises(TypeError) as caught:
        await manager.save("API_KEY", {"hunter2-set"})
    assert "hunter2" not in str(caught.value)
    assert "'API_KEY'" in str(caught.value)
    with pytest.raises(TypeError):
        await manager.save("API_KEY", float("nan"))
    assert await manager.all() == []


async def test_no_value_reaches_logs_or_repr(
    manager: SecretManager, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        await manager.save("API_KEY", "hunter2-in-logs?")
        await manager.get(["API_KEY"])
        await manager.all()
        await manager.remove("API_KEY")
    assert "hunter2" not in caplog.text
    assert "hunter2" not in repr(manager)
    assert KEY not in repr(manager)


def test_secret_manager_is_abstract() -> None:
    with pytest.raises(TypeError):
        SecretManager()  # type: ignore[abstract]
