"""Keys for signing stored pickles and encrypting secrets, all derived from one master key.

The master key is `security.encryption_key` when it is set. Otherwise a random key is created
once in `<home>/encryption.key` (mode 0600) and reused by every later process in that
directory; its text can be copied into `FLUX_SECURITY__ENCRYPTION_KEY` to share it with other
machines, since a key file and a configured key are used the same way.

Sub-keys come from HKDF-SHA256 with a distinct label each, so a leaked signing key does not
expose the secrets key. HKDF runs once per (master key, label) per process; the master key
should therefore be high-entropy random text, not a memorable password.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from flux.config import FluxSettings
from flux.errors import EncryptionKeyError, TamperedDataError

logger = logging.getLogger(__name__)

KEY_FILE_NAME = "encryption.key"
_SALT = b"flux-keyring-v1"
_SIGNING_LABEL = b"flux/signing/v1"
_SECRETS_LABEL = b"flux/secrets/v1"
_KEY_ID_LABEL = b"flux/key-id/v1"
_FORMAT_VERSION = b"\x01"
_KEY_ID_SIZE = 4
_NONCE_SIZE = 12
_HEADER_SIZE = len(_FORMAT_VERSION) + _KEY_ID_SIZE
_SHORT_KEY_CHARS = 16

_file_keys: dict[str, bytes] = {}
_file_keys_lock = threading.Lock()


def key_file_path(settings: FluxSettings) -> Path:
    return Path(settings.home) / KEY_FILE_NAME


def master_key(settings: FluxSettings) -> bytes:
    """The key material everything is derived from (configured, or the local key file)."""
    configured = settings.security.encryption_key
    if configured:
        return _configured_key(configured)
    home = os.path.abspath(settings.home)
    key = _file_keys.get(home)
    if key is None:
        with _file_keys_lock:
            key = _file_keys.get(home)
            if key is None:
                key = _load_or_create_key_file(Path(home) / KEY_FILE_NAME)
                _file_keys[home] = key
    return key


@lru_cache(maxsize=8)
def _configured_key(text: str) -> bytes:
    if len(text) < _SHORT_KEY_CHARS:
        logger.warning(
            "security.encryption_key is shorter than %d characters; use a long random key",
            _SHORT_KEY_CHARS,
        )
    return text.encode()


def _load_or_create_key_file(path: Path) -> bytes:
    try:
        return _read_key_file(path)
    except FileNotFoundError:
        pass
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        created = _create_key_file(path)
    except OSError as exc:
        raise EncryptionKeyError(f"cannot create the encryption key file {path}: {exc}") from exc
    if created:
        logger.info(
            "created a local encryption key at %s; set FLUX_SECURITY__ENCRYPTION_KEY to its "
            "content to use the same key elsewhere",
            path,
        )
    return _read_key_file(path)


def _read_key_file(path: Path) -> bytes:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise
    except (OSError, UnicodeDecodeError) as exc:
        raise EncryptionKeyError(f"cannot read the encryption key file {path}: {exc}") from exc
    if not text:
        raise EncryptionKeyError(f"the encryption key file {path} is empty")
    return text.encode()


def _create_key_file(path: Path) -> bool:
    """Write a new key to `path` unless another process got there first (then False).

    The key is written to a private temporary file and linked into place, so a concurrent
    reader sees either no file or a complete one, and only one key ever wins."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(secrets.token_urlsafe(32) + "\n")
            file.flush()
            os.fsync(file.fileno())
        os.link(temporary, path)
        return True
    except FileExistsError:
        return False
    finally:
        temporary.unlink(missing_ok=True)


@lru_cache(maxsize=32)
def _derive(master: bytes, label: bytes, length: int = 32) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=_SALT, info=label).derive(master)


def signing_key(settings: FluxSettings) -> bytes:
    """32 bytes for HMAC-signing stored pickles."""
    return _derive(master_key(settings), _SIGNING_LABEL)


def secret_cipher(settings: FluxSettings) -> SecretCipher:
    return _cipher_for(master_key(settings))


@lru_cache(maxsize=8)
def _cipher_for(master: bytes) -> SecretCipher:
    return SecretCipher(_derive(master, _SECRETS_LABEL), _derive(master, _KEY_ID_LABEL))


class SecretCipher:
    """AES-256-GCM for secret values, bound to the secret's name.

    A token is `version (1) | key id (4) | nonce (12) | ciphertext+tag`. The key id tells a
    token written with another master key (EncryptionKeyError) from one that was altered or
    moved to another name (TamperedDataError); the header and the name are authenticated.
    """

    def __init__(self, key: bytes, key_id_material: bytes):
        self._aead = AESGCM(key)
        self.key_id = key_id_material[:_KEY_ID_SIZE]
        self._header = _FORMAT_VERSION + self.key_id

    def __repr__(self) -> str:
        return f"SecretCipher(key_id={self.key_id.hex()})"

    def _associated_data(self, name: str) -> bytes:
        return self._header + b"\x00" + name.encode()

    def encrypt(self, name: str, plaintext: bytes) -> bytes:
        nonce = os.urandom(_NONCE_SIZE)
        return (
            self._header + nonce + self._aead.encrypt(nonce, plaintext, self._associated_data(name))
        )

    def decrypt(self, name: str, token: bytes) -> bytes:
        header = token[:_HEADER_SIZE]
        if len(token) < _HEADER_SIZE + _NONCE_SIZE or header[:1] != _FORMAT_VERSION:
            raise TamperedDataError(f"secret '{name}' is not in a format this Flux can read")
        if header[1:] != self.key_id:
            raise EncryptionKeyError(
                f"secret '{name}' was encrypted with another key (key id {header[1:].hex()}, "
                f"current key id {self.key_id.hex()}): set security.encryption_key "
                "(FLUX_SECURITY__ENCRYPTION_KEY) to the key it was saved with"
            )
        nonce = token[_HEADER_SIZE : _HEADER_SIZE + _NONCE_SIZE]
        try:
            return self._aead.decrypt(
                nonce, token[_HEADER_SIZE + _NONCE_SIZE :], self._associated_data(name)
            )
        except InvalidTag:
            raise TamperedDataError(
                f"secret '{name}' failed authentication: its stored bytes were changed, "
                "or they belong to another secret name"
            ) from None


def clear_cache() -> None:
    """Forget every key read or derived so far (tests; rotating the key file by hand)."""
    with _file_keys_lock:
        _file_keys.clear()
    _configured_key.cache_clear()
    _derive.cache_clear()
    _cipher_for.cache_clear()
