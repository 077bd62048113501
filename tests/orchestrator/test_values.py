"""Decoding stored values for display without importing users' modules."""

from __future__ import annotations

import datetime
import decimal
import pickle
import sys
import types
import uuid
from collections import OrderedDict
from typing import Any

import pytest

from flux.codec import Codec
from flux.errors import ExecutionError, RetryError
from flux.orchestrator.values import DisplayDecoder, describe_error

KEY = b"k" * 32


@pytest.fixture
def codec() -> Codec:
    return Codec("pkl", KEY)


@pytest.fixture
def decoder() -> DisplayDecoder:
    return DisplayDecoder(KEY)


def test_plain_data_round_trips_to_json(codec: Codec, decoder: DisplayDecoder) -> None:
    moment = datetime.datetime(2025, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    value = {
        "s": "x",
        1: [1.5, None, True],
        "t": (1, 2),
        "set": {3, 1},
        "when": moment,
        "id": uuid.UUID(int=1),
        "money": decimal.Decimal("1.10"),
        "od": OrderedDict(a=1),
        "nan": float("nan"),
        "raw": b"\x00\x01",
    }

    shown = decoder.decode(codec.dumps(value))

    assert shown == {
        "s": "x",
        "1": [1.5, None, True],
        "t": [1, 2],
        "set": [1, 3],
        "when": "2025-01-02T03:04:05+00:00",
        "id": str(uuid.UUID(int=1)),
        "money": "1.10",
        "od": {"a": 1},
        "nan": "nan",
        "raw": "AAE=",
    }


def test_user_classes_become_placeholders_and_are_not_imported(
    codec: Codec, decoder: DisplayDecoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = types.ModuleType("user_mod_for_display")
    exec("class Point:\n    def __init__(self, x): self.x = x\n", module.__dict__)
    monkeypatch.setitem(sys.modules, "user_mod_for_display", module)
    blob = codec.dumps({"p": module.Point(1), "n": 2})
    monkeypatch.delitem(sys.modules, "user_mod_for_display")

    shown = decoder.decode(blob)

    assert shown == {"p": "<user_mod_for_display.Point object>", "n": 2}
    assert "user_mod_for_display" not in sys.modules


def test_a_pickle_that_would_run_code_is_shown_as_a_placeholder(decoder: DisplayDecoder) -> None:
    import hmac

    class Evil:
        def __reduce__(self) -> Any:
            return (eval, ("__import__('os')._exit(9)",))

    payload = pickle.dumps(Evil())
    blob = b"P" + hmac.digest(KEY, payload, "sha256") + payload

    assert decoder.decode(blob) == "<builtins.eval object>"


def test_errors_are_shown_as_text(codec: Codec, decoder: DisplayDecoder) -> None:
    error = RetryError(ValueError("boom"), 3, 1, 2)

    assert decoder.decode(codec.dumps(ValueError("bad"))) == "ValueError: bad"
    assert (
        decoder.decode(codec.dumps(error))
        == "RetryError: failed after 3 attempt(s): ValueError('boom')"
    )
    assert describe_error(decoder.decode_raw(codec.dumps(ExecutionError(message="m")))) == (
        "ExecutionError: m"
    )


def test_json_values_and_bad_bytes(decoder: DisplayDecoder) -> None:
    json_codec = Codec("json", KEY)

    assert decoder.decode(json_codec.dumps({"a": [1, "b"]})) == {"a": [1, "b"]}
    assert decoder.decode(json_codec.dumps(KeyError("k"))) == "KeyError: k"
    assert decoder.decode(None) is None
    assert decoder.decode(b"Pxx") == "<value failed its signature check>"
    assert decoder.decode(b"Zzz") == "<value with an unknown serializer tag>"
    assert decoder.decode(Codec("pkl", b"o" * 32).dumps(1)) == "<value failed its signature check>"
