"""Masking secret values by value, wherever text or values leave a run (no I/O here).

A `Masker` knows the values of some secrets and replaces each occurrence of one in text by
`MASK` (`***`). The worker, the local runtime and the server each hold one built from the
values they can see (`SecretMasks`), and pass everything they record or show through it:
log text, error messages, and values before they are encoded.

What counts as an occurrence of a secret value:
- a string value itself, and its JSON-escaped forms (`"` and `\\` escaped, non-ASCII as is
  or as `\\uXXXX`), so a secret quoted inside JSON text is found too;
- a number's decimal text; the leaves of a list or object value, each on its own.
Strings shorter than `MIN_LENGTH` characters are never masked: masking "a" or "1" would
turn every log into asterisks while hiding nothing worth hiding.

Values: strings inside dicts, lists, tuples and sets are masked in place (the structure is
kept); an exception keeps its type, with its message and attributes masked. Any other object
cannot be rewritten safely, so the caller that encodes it checks the encoded bytes
(`found_in`) and, when a secret is in them, records `placeholder(value)` instead.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any

from flux.errors import ExecutionError

MASK = "***"
MIN_LENGTH = 4
_MAX_DEPTH = 64  # deeper structures are left to the byte check


def secret_texts(value: Any) -> set[str]:
    """Every text form of a secret's value that masking looks for (at least MIN_LENGTH)."""
    found: set[str] = set()
    _collect(value, found, 0)
    return {text for text in found if len(text) >= MIN_LENGTH}


def _collect(value: Any, found: set[str], depth: int) -> None:
    if depth > _MAX_DEPTH or value is None or isinstance(value, bool):
        return
    if isinstance(value, str):
        found.add(value)
        found.add(json.dumps(value)[1:-1])
        found.add(json.dumps(value, ensure_ascii=False)[1:-1])
    elif isinstance(value, int | float):
        found.add(str(value))
    elif isinstance(value, dict):
        for item in value.values():
            _collect(item, found, depth + 1)
    elif isinstance(value, list | tuple):
        for item in value:
            _collect(item, found, depth + 1)


class Masker:
    """An immutable set of secret texts; `Masker()` masks nothing and costs nothing."""

    __slots__ = ("_needles", "_ordered", "_pattern", "texts")

    def __init__(self, texts: Iterable[str] = ()):
        self.texts = frozenset(t for t in texts if len(t) >= MIN_LENGTH)
        # Longest first, so a secret containing another one is masked whole.
        ordered = sorted(self.texts, key=lambda t: (-len(t), t))
        self._ordered = tuple(ordered)
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None
        self._needles = tuple(t.encode() for t in ordered)

    @classmethod
    def of(cls, values: Iterable[Any]) -> Masker:
        """A masker for these secret values (any JSON values)."""
        texts: set[str] = set()
        for value in values:
            texts |= secret_texts(value)
        return cls(texts)

    def __bool__(self) -> bool:
        return self._pattern is not None

    def __repr__(self) -> str:  # never the texts themselves
        return f"Masker({len(self.texts)} texts)"

    def with_values(self, values: Iterable[Any]) -> Masker:
        added = Masker.of(values).texts
        return self if added <= self.texts else Masker(self.texts | added)

    def mask_text(self, text: str, *, keep_length: bool = False) -> str:
        """`text` with every secret text replaced by MASK, or with `keep_length` by as many
        `*` (for text placed by character offsets, such as live log chunks)."""
        if self._pattern is None or not text:
            return text
        if not any(secret in text for secret in self._ordered):
            return text  # substring searches cost far less than the regular expression
        if keep_length:
            return self._pattern.sub(lambda m: "*" * len(m.group()), text)
        return self._pattern.sub(MASK, text)

    def found_in(self, data: bytes) -> bool:
        """Whether encoded bytes (UTF-8 text, JSON, a pickle) hold a secret text."""
        return any(needle in data for needle in self._needles)

    def mask_value(self, value: Any, holds_secret: Callable[[Any], bool] | None = None) -> Any:
        """`value` with secret texts masked in its strings (see the module docstring). With
        `holds_secret` (whether an object's encoded bytes hold a secret), objects of other
        types inside containers that do are replaced by `placeholder(obj)` one by one, so
        the rest of the structure is kept."""
        if self._pattern is None:
            return value
        return self._mask(value, 0, holds_secret)

    def _mask(self, value: Any, depth: int, check: Callable[[Any], bool] | None = None) -> Any:
        if isinstance(value, str):
            return self.mask_text(value)
        if depth > _MAX_DEPTH or value is None or isinstance(value, int | float | bytes):
            return value
        kind = type(value)
        if kind is dict:
            return {
                self._mask(k, depth + 1, check): self._mask(v, depth + 1, check)
                for k, v in value.items()
            }
        if kind in (list, tuple, set, frozenset):
            return kind(self._mask(item, depth + 1, check) for item in value)
        if isinstance(value, BaseException):
            return self._mask_exception(value, depth)
        if check is not None and depth > 0 and check(value):
            return self.placeholder(value)
        return value

    def _mask_exception(self, exc: BaseException, depth: int) -> BaseException:
        # Built without calling __init__ (exceptions often take other arguments than their
        # args): the same type, args and attributes, masked; what pickling keeps.
        kind = type(exc)
        try:
            clone = kind.__new__(kind)
            clone.args = tuple(self._mask(arg, depth + 1) for arg in exc.args)
            for key, item in vars(exc).items():
                setattr(clone, key, self._mask(item, depth + 1))
        except Exception:
            return ExecutionError(message=self.mask_text(f"{kind.__name__}: {exc}"))
        return clone

    def placeholder(self, value: Any) -> Any:
        """What is recorded instead of a value that still holds a secret once masked: an
        exception stays an exception (replay raises it), anything else becomes text."""
        if isinstance(value, BaseException):
            return ExecutionError(message=self.mask_text(f"{type(value).__name__}: {value}"))
        return f"{MASK} (a {type(value).__name__} value that contained a secret)"


class SecretMasks:
    """The current `Masker` of a process, grown as secret values are seen (a worker fetching
    a run's secrets) or replaced (a server reloading every secret). Thread-safe: readers
    take `current`, an immutable masker; writers swap it."""

    def __init__(self) -> None:
        self.current = Masker()
        self._lock = threading.Lock()

    def add(self, values: Iterable[Any]) -> Masker:
        with self._lock:
            self.current = self.current.with_values(values)
            return self.current

    def replace(self, masker: Masker) -> None:
        with self._lock:
            self.current = masker

    def mask_text(self, text: str) -> str:
        return self.current.mask_text(text)
