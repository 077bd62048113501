"""References to values kept outside the event log (large outputs).

A value whose encoded bytes are longer than the output store's inline limit is kept in that
store under the sha256 of those bytes, and the log records a reference instead:

    b"R" + HMAC-SHA256(key, DOMAIN + body) + body
    body = {"sha256": "<hex>", "size": <bytes>}            (compact JSON)
           plus "at": "<directory>" when a workflow chose its own local store

The reference is signed with the codec's key, so a row edited outside Flux cannot point a run
at other bytes; the blob is checked against the signed sha256 before it is decoded, so a blob
edited in the store is refused too. A blob holds an ordinary encoded value (its own tag, and
for pickles its own signature), never another reference.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any, Protocol

from flux.errors import OutputMissingError, TamperedDataError

REFERENCE_TAG = b"R"
_MAC_SIZE = 32
# Keeps a reference's signature from ever being valid for a pickle payload, and back.
_DOMAIN = b"flux-output-reference\x00"
# Longer than any reference Flux writes (the optional directory is the only open-ended part):
# pruning reads only stored values shorter than this, never the large ones.
MAX_REFERENCE_BYTES = 8192


@dataclass(frozen=True, slots=True)
class OutputRef:
    digest: str  # sha256 of the blob, lowercase hex
    size: int
    location: str | None = None  # a workflow's own directory; None: the configured store


class OutputSink(Protocol):
    """Where a codec keeps and finds the bytes of large values (see `flux.outputs`)."""

    @property
    def inline_limit(self) -> int:
        """Encoded values longer than this many bytes go to the store."""

    def keep(self, digest: str, data: bytes) -> str | None:
        """Keep `data` (whose sha256 is `digest`); the location to record, if not the default."""

    def read(self, ref: OutputRef) -> bytes:
        """The blob's bytes (unchecked). Raises OutputMissingError."""


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_digest(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


class References:
    def __init__(self, key: bytes):
        self._key = key

    def _mac(self, body: bytes) -> bytes:
        return hmac.digest(self._key, _DOMAIN + body, "sha256")

    def encode(self, digest: str, size: int, location: str | None = None) -> bytes:
        fields: dict[str, Any] = {"sha256": digest, "size": size}
        if location is not None:
            fields["at"] = location
        body = json.dumps(fields, separators=(",", ":")).encode()
        return REFERENCE_TAG + self._mac(body) + body

    def verify(self, data: bytes) -> OutputRef:
        """The reference in `data` (tag included). Raises TamperedDataError."""
        mac, body = data[1 : 1 + _MAC_SIZE], data[1 + _MAC_SIZE :]
        if len(mac) != _MAC_SIZE or not hmac.compare_digest(mac, self._mac(body)):
            raise TamperedDataError(
                "a reference to a stored output failed its signature check (changed outside "
                "Flux, or written with another key)"
            )
        ref = parse_body(body)
        if ref is None:
            raise TamperedDataError("a signed reference to a stored output is malformed")
        return ref

    def resolve(self, data: bytes, sink: OutputSink | None) -> bytes:
        """The encoded value a reference stands for, checked against its sha256."""
        ref = self.verify(data)
        if sink is None:
            raise OutputMissingError(ref.digest, "this process has no output store configured")
        return check_blob(ref, sink.read(ref))


def check_blob(ref: OutputRef, blob: bytes) -> bytes:
    if len(blob) != ref.size or digest_of(blob) != ref.digest:
        raise TamperedDataError(
            f"stored output {ref.digest[:12]}… does not match its reference (changed in the "
            "output store); it was not decoded"
        )
    if blob[:1] == REFERENCE_TAG:
        raise TamperedDataError(f"stored output {ref.digest[:12]}… is itself a reference")
    return blob


def parse_body(body: bytes) -> OutputRef | None:
    try:
        fields = json.loads(body)
        digest, size, location = fields["sha256"], fields["size"], fields.get("at")
    except (ValueError, TypeError, KeyError):
        return None
    if not isinstance(digest, str) or not is_digest(digest) or not isinstance(size, int):
        return None
    if location is not None and not isinstance(location, str):
        return None
    return OutputRef(digest, size, location)


def peek(data: bytes) -> OutputRef | None:
    """The reference in a stored value without checking its signature (pruning keeps what
    anything points at; it never decodes), or None if `data` is not a reference."""
    if data[:1] != REFERENCE_TAG:
        return None
    return parse_body(bytes(data[1 + _MAC_SIZE :]))
