"""The SSE parser: events split across chunks at every possible byte."""

from __future__ import annotations

import pytest

from flux.worker.sse import ServerSentEvent, SSEParser

STREAM = (
    ": keep-alive comment\n\n"
    "event: execution_scheduled\n"
    'data: {"execution_id": "a1"}\n\n'
    "event: execution_cancelled\r\n"
    "id: 7\r\n"
    "data: line one\r\n"
    "data:line two\r\n\r\n"
    "retry: 1500\r"
    "event: keepalive\r\r"
    "data: caf\u00e9 \u2615\n\n"
).encode()

EXPECTED = [
    ServerSentEvent("execution_scheduled", '{"execution_id": "a1"}'),
    ServerSentEvent("execution_cancelled", "line one\nline two", "7"),
    ServerSentEvent("keepalive", "", "7"),
    ServerSentEvent("message", "caf\u00e9 \u2615", "7"),
]


def _parse(chunks: list[bytes]) -> tuple[list[ServerSentEvent], SSEParser]:
    parser = SSEParser()
    events = [event for chunk in chunks for event in parser.feed(chunk)]
    return events, parser


def test_whole_stream() -> None:
    events, parser = _parse([STREAM])
    assert events == EXPECTED
    assert parser.retry_ms == 1500
    assert parser.last_event_id == "7"


@pytest.mark.parametrize("cut", range(1, len(STREAM)))
def test_split_at_every_byte(cut: int) -> None:
    events, _ = _parse([STREAM[:cut], STREAM[cut:]])
    assert events == EXPECTED


def test_one_byte_at_a_time() -> None:
    events, _ = _parse([STREAM[i : i + 1] for i in range(len(STREAM))])
    assert events == EXPECTED


def test_incomplete_event_waits_for_its_blank_line() -> None:
    parser = SSEParser()
    assert parser.feed(b"event: x\ndata: 1\n") == []
    assert parser.feed(b"\n") == [ServerSentEvent("x", "1")]


def test_field_without_colon_and_unknown_fields() -> None:
    events, _ = _parse([b"data\nfoo: bar\nevent: e\n\n"])
    assert events == [ServerSentEvent("e", "")]


def test_id_with_nul_is_ignored() -> None:
    events, parser = _parse([b"id: a\x00b\ndata: x\n\n"])
    assert events == [ServerSentEvent("message", "x")]
    assert parser.last_event_id is None
