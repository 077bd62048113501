"""Showing stored values (inputs, outputs, event values) in the API without running users' code.

Stored pickles come from workers and may name any class of a user's module; unpickling one
imports that module, which is exactly what the server must never do. `DisplayDecoder` checks
the signature like the codec does, then unpickles with an allowlist: plain data types
(builtins, datetime, uuid, decimal, a few collections) and Flux's own errors. Any other class
becomes a placeholder object, shown as a string such as `<mymodule.Point object>`, so the rest
of a value (a dict holding one odd object) still shows. JSON values are shown as they are,
except that an encoded exception is shown as text instead of being rebuilt (which would
import its module).
"""

from __future__ import annotations

import base64
import builtins
import collections
import datetime
import decimal
import hmac
import io
import json
import math
import pickle
import uuid
from typing import Any

import flux.errors
from flux.codec.references import REFERENCE_TAG, OutputSink, References
from flux.codec.serializers import PickleSerializer
from flux.errors import OutputMissingError, TamperedDataError

_PICKLE_TAG, _JSON_TAG = b"P", b"J"
# Callables a pickle may invoke. `bytes` and `bytearray` are left out on purpose: protocol 5
# has opcodes for them, and `bytes(10**12)` in a crafted pickle would exhaust memory.
_SAFE_BUILTINS = {
    "dict",
    "list",
    "tuple",
    "set",
    "frozenset",
    "str",
    "int",
    "float",
    "complex",
    "bool",
    "range",
    "slice",
}
_SAFE_MODULES: dict[str, Any] = {
    "datetime": datetime,
    "uuid": uuid,
    "decimal": decimal,
    "collections": collections,
}
_SAFE_NAMES = {
    "datetime": {"datetime", "date", "time", "timedelta", "timezone"},
    "uuid": {"UUID", "SafeUUID"},
    "decimal": {"Decimal"},
    "collections": {"OrderedDict", "deque", "Counter"},
}
_MAX_DEPTH = 50


class Opaque:
    """Stands in for an object of a class the server will not import."""

    qualified_name = "object"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __setstate__(self, state: Any) -> None:
        pass

    def __repr__(self) -> str:
        return f"<{self.qualified_name} object>"


def _opaque_class(module: str, name: str) -> type[Opaque]:
    return type(name, (Opaque,), {"qualified_name": f"{module}.{name}"})


class _AllowlistUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if module == "builtins":
            found = getattr(builtins, name, None)
            is_error = isinstance(found, type) and issubclass(found, BaseException)
            if name in _SAFE_BUILTINS or is_error:
                return found
        elif module in _SAFE_NAMES and name in _SAFE_NAMES[module]:
            return getattr(_SAFE_MODULES[module], name)
        elif module == "flux.errors":
            found = getattr(flux.errors, name, None)
            is_flux = isinstance(found, type) and issubclass(found, BaseException)
            if is_flux or name == "_restore_error":
                return found
        return _opaque_class(module, name)


class _DisplayPickle(PickleSerializer):
    """The codec's pickle format (signature, then pickle), read with the allowlist."""

    def loads(self, data: bytes) -> Any:
        mac, payload = data[:32], data[32:]
        if len(mac) != 32 or not hmac.compare_digest(mac, self._mac(payload)):
            raise TamperedDataError("a stored value failed its signature check")
        return _AllowlistUnpickler(io.BytesIO(payload)).load()


class DisplayDecoder:
    """`outputs`: where large values are kept (a reference is shown as the value it stands
    for, read from there and checked against its signed sha256)."""

    def __init__(self, signing_key: bytes, outputs: OutputSink | None = None):
        self._pickle = _DisplayPickle(signing_key)
        self._references = References(signing_key)
        self._outputs = outputs

    def _dereferenced(self, data: bytes) -> bytes:
        if data[:1] == REFERENCE_TAG:
            return self._references.resolve(data, self._outputs)
        return data

    def decode(self, data: bytes | None) -> Any:
        """The stored value as a JSON-compatible value, never raising."""
        if data is None:
            return None
        try:
            data = self._dereferenced(data)
            tag, body = data[:1], data[1:]
            if tag == _PICKLE_TAG:
                return to_json(self._pickle.loads(body))
            if tag == _JSON_TAG:
                return to_json(json.loads(body, object_hook=_json_hook))
        except TamperedDataError:
            return "<value failed its signature check>"
        except OutputMissingError as exc:
            return f"<stored output {exc.digest[:12]}… is not available>"
        except Exception as exc:
            return f"<unreadable value: {type(exc).__name__}>"
        return "<value with an unknown serializer tag>"

    def decode_raw(self, data: bytes | None) -> Any:
        """The value as Python objects (placeholders included); None if unreadable."""
        if data is None:
            return None
        try:
            data = self._dereferenced(data)
            if data[:1] != _PICKLE_TAG:
                return self.decode(data)
            return self._pickle.loads(data[1:])
        except Exception:
            return None


def _json_hook(obj: dict[str, Any]) -> Any:
    if "__exception__" in obj:
        args = ", ".join(str(a) for a in obj.get("args", []))
        return f"{str(obj['__exception__']).rpartition('.')[2]}: {args}"
    if len(obj) == 1:
        ((key, value),) = obj.items()
        if key in ("__datetime__", "__date__", "__uuid__"):
            return value
    return obj


def describe_error(value: Any) -> str:
    """An exception (or placeholder) as one line of text."""
    if isinstance(value, BaseException):
        text = str(value)
        return f"{type(value).__name__}: {text}" if text else type(value).__name__
    if isinstance(value, Opaque):
        return repr(value)
    return str(value)


def to_json(value: Any, depth: int = 0) -> Any:
    """A JSON-compatible rendering: containers recursively, everything else as text."""
    if depth > _MAX_DEPTH:
        return "<nested too deep>"
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dict):
        return {_key(k): to_json(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset | collections.deque):
        items = sorted(value, key=repr) if isinstance(value, set | frozenset) else value
        return [to_json(item, depth + 1) for item in items]
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, BaseException):
        return describe_error(value)
    if isinstance(value, uuid.UUID | decimal.Decimal | datetime.timedelta | complex):
        return str(value)
    return repr(value) if isinstance(value, Opaque) else f"<{type(value).__name__} value>"


def _key(key: Any) -> str:
    return key if isinstance(key, str) else str(to_json(key))
