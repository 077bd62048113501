"""Serializers for stored values.

Every stored value starts with a one-byte tag naming the serializer that wrote it, so a
database written with `serializer = "pkl"` stays readable after switching to `"json"`.
Pickled values carry an HMAC-SHA256 of their bytes: a row changed outside Flux (or written
with another key) is refused before `pickle.loads` ever sees it, since unpickling runs code.
"""

from __future__ import annotations

import copy
import hmac
import importlib
import json
import pickle
import sys
from datetime import date, datetime
from typing import Any, Protocol
from uuid import UUID

from flux.codec.references import (
    REFERENCE_TAG,
    OutputRef,
    OutputSink,
    References,
    digest_of,
)
from flux.errors import (
    ExecutionError,
    FluxError,
    OutputStoreError,
    SerializationError,
    TamperedDataError,
)

_PICKLE_TAG = b"P"
_JSON_TAG = b"J"
_MAC_SIZE = 32
_UNLIMITED = sys.maxsize


class Serializer(Protocol):
    name: str
    tag: bytes

    def dumps(self, value: Any, what: str) -> bytes: ...

    def loads(self, data: bytes) -> Any: ...


class PickleSerializer:
    name = "pkl"
    tag = _PICKLE_TAG

    def __init__(self, key: bytes):
        if len(key) < 16:
            raise ValueError("the signing key must be at least 16 bytes")
        self._key = key

    def _mac(self, payload: bytes) -> bytes:
        # The one-shot `hmac.digest` with a digest *name* runs in OpenSSL; `hmac.new` with a
        # constructor falls back to pure Python and costs ~20x more per value.
        return hmac.digest(self._key, payload, "sha256")

    def dumps(self, value: Any, what: str) -> bytes:
        if isinstance(value, BaseException):
            payload = _pickled_exception(value)
        else:
            try:
                payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception as exc:
                raise SerializationError(what, self.name, exc) from exc
        return self._mac(payload) + payload

    def loads(self, data: bytes) -> Any:
        mac, payload = data[:_MAC_SIZE], data[_MAC_SIZE:]
        if len(mac) != _MAC_SIZE or not hmac.compare_digest(mac, self._mac(payload)):
            raise TamperedDataError(
                "a stored value failed its signature check (changed outside Flux, or written "
                "with another key); it was not unpickled"
            )
        return pickle.loads(payload)


def _pickled_exception(exc: BaseException) -> bytes:
    """An exception, pickled so that it loads back. Many exception classes take other
    `__init__` arguments than their `args` and pickle but fail to unpickle; those (and the
    unpicklable ones) are recorded as an ExecutionError carrying the type and message."""
    try:
        payload = pickle.dumps(exc, protocol=pickle.HIGHEST_PROTOCOL)
        pickle.loads(payload)
        return payload
    except Exception:
        portable = ExecutionError(message=f"{type(exc).__qualname__}: {exc}")
        return pickle.dumps(portable, protocol=pickle.HIGHEST_PROTOCOL)


class JsonSerializer:
    """JSON with a small, explicit set of extra types (datetimes, UUIDs, sets, exceptions)."""

    name = "json"
    tag = _JSON_TAG

    def dumps(self, value: Any, what: str) -> bytes:
        try:
            return json.dumps(value, default=_json_default, separators=(",", ":")).encode()
        except (TypeError, ValueError) as exc:
            raise SerializationError(what, self.name, exc) from exc

    def loads(self, data: bytes) -> Any:
        return json.loads(data, object_hook=_json_object_hook)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"__datetime__": value.isoformat()}
    if isinstance(value, date):
        return {"__date__": value.isoformat()}
    if isinstance(value, UUID):
        return {"__uuid__": str(value)}
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    if isinstance(value, BaseException):
        return {
            "__exception__": f"{type(value).__module__}.{type(value).__qualname__}",
            "args": [str(a) for a in value.args],
        }
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _json_object_hook(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        if "__datetime__" in obj:
            return datetime.fromisoformat(obj["__datetime__"])
        if "__date__" in obj:
            return date.fromisoformat(obj["__date__"])
        if "__uuid__" in obj:
            return UUID(obj["__uuid__"])
    if "__exception__" in obj:
        return _rebuild_exception(obj["__exception__"], obj.get("args", []))
    return obj


def _rebuild_exception(path: str, args: list[str]) -> BaseException:
    module_name, _, name = path.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), name)
        if isinstance(cls, type) and issubclass(cls, BaseException):
            return cls(*args)
    except Exception:
        pass
    return ExecutionError(message=f"{name}: {', '.join(args)}")


class Codec:
    """Writes with the configured serializer, reads whatever serializer wrote a value.

    With an output sink, a value whose encoded bytes are longer than the sink's inline limit
    is kept there and a signed reference is returned instead (`flux.codec.references`); the
    values under the limit cost one length comparison more.
    """

    def __init__(self, serializer: str, signing_key: bytes, outputs: OutputSink | None = None):
        self._pickle = PickleSerializer(signing_key)
        self._json = JsonSerializer()
        if serializer not in ("pkl", "json"):
            raise ValueError(f"unknown serializer '{serializer}' (expected 'pkl' or 'json')")
        self._writer: Serializer = self._pickle if serializer == "pkl" else self._json
        self._references = References(signing_key)
        self._outputs = outputs
        self._inline_limit = outputs.inline_limit if outputs is not None else _UNLIMITED

    @property
    def serializer(self) -> str:
        return self._writer.name

    @property
    def outputs(self) -> OutputSink | None:
        return self._outputs

    def with_outputs(self, outputs: OutputSink | None) -> Codec:
        """The same codec (serializer and key) keeping large values in `outputs`."""
        codec = copy.copy(self)
        codec._outputs = outputs
        codec._inline_limit = outputs.inline_limit if outputs is not None else _UNLIMITED
        return codec

    def dumps(self, value: Any, what: str = "a value") -> bytes:
        data = self._writer.tag + self._writer.dumps(value, what)
        if len(data) > self._inline_limit:
            return self._offload(data, what)
        return data

    def _offload(self, data: bytes, what: str) -> bytes:
        assert self._outputs is not None
        digest = digest_of(data)
        try:
            location = self._outputs.keep(digest, data)
        except FluxError:
            raise
        except Exception as exc:
            raise OutputStoreError(
                f"cannot keep {what} ({len(data)} bytes) in the output store: {exc}"
            ) from exc
        return self._references.encode(digest, len(data), location)

    def loads(self, data: bytes) -> Any:
        tag, body = data[:1], data[1:]
        if tag == _PICKLE_TAG:
            return self._pickle.loads(body)
        if tag == _JSON_TAG:
            return self._json.loads(body)
        if tag == REFERENCE_TAG:
            return self.loads(self._references.resolve(data, self._outputs))
        raise TamperedDataError(f"a stored value has an unknown serializer tag {tag!r}")

    def reference(self, data: bytes | None) -> OutputRef | None:
        """The checked reference `data` holds, or None when it holds a value itself."""
        if data is None or data[:1] != REFERENCE_TAG:
            return None
        return self._references.verify(data)
