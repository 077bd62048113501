"""Stored values: signed pickles, JSON, and what happens to bad or tampered bytes."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime

import pytest

from flux.codec import Codec
from flux.errors import (
    ExecutionError,
    NondeterminismError,
    RetryError,
    SerializationError,
    TamperedDataError,
)

KEY = b"k" * 32


class OddError(Exception):
    def __init__(self, code: int, text: str):
        super().__init__(f"{code}: {text}")
        self.code = code


def test_pickle_round_trip_and_signature() -> None:
    codec = Codec("pkl", KEY)
    value = {"when": datetime(2024, 1, 1, tzinfo=UTC), "ids": [uuid.uuid4()], "n": 1.5}
    assert codec.loads(codec.dumps(value)) == value


def test_a_flipped_byte_is_refused_before_unpickling() -> None:
    codec = Codec("pkl", KEY)
    data = bytearray(codec.dumps(["payload"]))
    data[-3] ^= 0xFF
    with pytest.raises(TamperedDataError, match="not unpickled"):
        codec.loads(bytes(data))


def test_a_value_signed_with_another_key_is_refused() -> None:
    data = Codec("pkl", b"x" * 32).dumps("v")
    with pytest.raises(TamperedDataError):
        Codec("pkl", KEY).loads(data)


def test_unknown_tag_is_refused() -> None:
    with pytest.raises(TamperedDataError, match="unknown serializer tag"):
        Codec("pkl", KEY).loads(b"Zgarbage")


def test_json_round_trip_and_mixed_reading() -> None:
    json_codec, pkl_codec = Codec("json", KEY), Codec("pkl", KEY)
    value = {"at": datetime(2024, 5, 1, 12, tzinfo=UTC), "id": uuid.UUID(int=7), "tags": {"b"}}
    back = json_codec.loads(json_codec.dumps(value))
    assert back == {"at": value["at"], "id": value["id"], "tags": ["b"]}
    # A database written with one serializer stays readable after switching to the other.
    assert json_codec.loads(pkl_codec.dumps([1, 2])) == [1, 2]
    assert pkl_codec.loads(json_codec.dumps([1, 2])) == [1, 2]


def test_json_rebuilds_exceptions() -> None:
    codec = Codec("json", KEY)
    back = codec.loads(codec.dumps(ValueError("bad input")))
    assert isinstance(back, ValueError) and str(back) == "bad input"


@pytest.mark.parametrize("serializer", ["pkl", "json"])
def test_unserializable_values_name_what_failed(serializer: str) -> None:
    with pytest.raises(SerializationError, match="the output of task 'x'"):
        Codec(serializer, KEY).dumps(threading.Lock(), "the output of task 'x'")


def test_flux_errors_survive_a_round_trip() -> None:
    codec = Codec("pkl", KEY)
    retry = codec.loads(codec.dumps(RetryError(ConnectionError("down"), 3, 1.0, 2.0)))
    assert isinstance(retry, RetryError) and retry.attempts == 3
    assert isinstance(retry.inner_exception, ConnectionError)
    nd = codec.loads(codec.dumps(NondeterminismError("e1", "2", "a call to 'a'", "b")))
    assert nd.step_id == "2" and "step 2" in str(nd)


def test_exceptions_that_cannot_be_rebuilt_are_kept_as_text() -> None:
    codec = Codec("pkl", KEY)
    back = codec.loads(codec.dumps(OddError(7, "odd")))
    assert isinstance(back, ExecutionError)
    assert str(back) == "OddError: 7: odd"


def test_unknown_serializer_setting() -> None:
    with pytest.raises(ValueError, match="unknown serializer 'xml'"):
        Codec("xml", KEY)
