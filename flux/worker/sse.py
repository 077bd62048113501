"""An incremental parser of Server-Sent Events (the WHATWG `text/event-stream` format).

Bytes arrive in arbitrary chunks: a chunk may end inside a UTF-8 character, inside a line,
or between the CR and LF of one line ending, so the parser keeps that state between calls.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

_LINE_END = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    event: str
    data: str
    id: str | None = None


class SSEParser:
    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""
        # A chunk ended with CR: an LF opening the next chunk belongs to the same line end.
        self._skip_lf = False
        self._data: list[str] = []
        self._event = ""
        self._last_id: str | None = None
        self.retry_ms: int | None = None

    @property
    def last_event_id(self) -> str | None:
        return self._last_id

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """The events completed by `chunk`, in order."""
        text = self._decoder.decode(chunk)
        if self._skip_lf and text:
            if text.startswith("\n"):
                text = text[1:]
            self._skip_lf = False
        if not text:
            return []
        self._buffer += text
        lines = _LINE_END.split(self._buffer)
        self._buffer = lines.pop()
        if not self._buffer and text.endswith("\r"):
            self._skip_lf = True
        events: list[ServerSentEvent] = []
        for line in lines:
            event = self._line(line)
            if event is not None:
                events.append(event)
        return events

    def _line(self, line: str) -> ServerSentEvent | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None  # a comment: servers send these as keep-alives
        field, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if field == "data":
            self._data.append(value)
        elif field == "event":
            self._event = value
        elif field == "id":
            if "\0" not in value:
                self._last_id = value
        elif field == "retry" and value.isdigit():
            self.retry_ms = int(value)
        return None

    def _dispatch(self) -> ServerSentEvent | None:
        data, event = self._data, self._event
        self._data, self._event = [], ""
        if not data:
            # The standard drops events without data; an `event: keepalive` line alone is
            # still reported, since the worker only needs to know the stream is alive.
            return ServerSentEvent(event, "", self._last_id) if event else None
        return ServerSentEvent(event or "message", "\n".join(data), self._last_id)
