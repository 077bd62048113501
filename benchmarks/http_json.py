"""A small blocking HTTP client for the server benchmarks.

Built on ``http.client`` rather than httpx: per request it costs about a tenth of a
millisecond, so a latency measured through it (P3 targets 5 ms) is the server's, not the
client's. One client is one keep-alive connection: use one per thread.
"""

from __future__ import annotations

import http.client
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

# uvicorn closes idle keep-alive connections after 5 s; reconnecting well before that means
# a request is never sent on a connection the server is closing, so it never needs a retry
# (a retried POST .../run could start a second execution).
MAX_IDLE_S = 2.0


class HttpError(Exception):
    """No usable answer: connection refused or reset, timeout, or an unexpected status."""


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            raise HttpError(f"HTTP {self.status}: not JSON: {self.body[:200]!r}") from None

    def expect(self, *statuses: int) -> Reply:
        if self.status not in statuses:
            text = self.body[:300].decode(errors="replace")
            raise HttpError(f"HTTP {self.status}: {text}")
        return self


class HttpJson:
    def __init__(self, base_url: str, timeout_s: float = 30.0) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.timeout_s = timeout_s
        self._conn: http.client.HTTPConnection | None = None
        self._last_used = 0.0

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> Reply:
        conn = self._connection()
        try:
            conn.request(method, path, body=body or None, headers=headers or {})
            response = conn.getresponse()
            reply = Reply(response.status, response.read())
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise HttpError(f"{method} {path}: {type(exc).__name__}: {exc}") from None
        if response.will_close:
            self.close()
        self._last_used = time.monotonic()
        return reply

    def event(self, path: str, name: str, deadline: float) -> Any:
        """Follow the server-sent events at ``path`` until the first event ``name``; its data
        (JSON), or None when the stream ended without it or ``deadline`` (monotonic) passed.
        The stream is read to its end, so the connection can be used again."""
        conn = self._connection()
        found: Any = None
        try:
            conn.request("GET", path, headers={"Accept": "text/event-stream"})
            response = conn.getresponse()
            if response.status != 200:
                raise HttpError(f"HTTP {response.status}: {response.read()[:300]!r}")
            current = ""
            while found is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or conn.sock is None:
                    self.close()
                    return None
                conn.sock.settimeout(remaining)
                line = response.readline().decode().rstrip("\r\n")
                if not line and response.isclosed():
                    break
                if line.startswith("event:"):
                    current = line[len("event:") :].strip()
                elif line.startswith("data:") and current == name:
                    found = json.loads(line[len("data:") :])
            response.read()
            if conn.sock is not None:
                conn.sock.settimeout(self.timeout_s)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            self.close()
            if isinstance(exc, TimeoutError):
                return None
            raise HttpError(f"GET {path}: {type(exc).__name__}: {exc}") from None
        if response.will_close:
            self.close()
        self._last_used = time.monotonic()
        return found

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is not None and time.monotonic() - self._last_used > MAX_IDLE_S:
            self.close()
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout_s)
        return self._conn

    def get(self, path: str, **params: Any) -> Reply:
        query = {key: value for key, value in params.items() if value is not None}
        return self.request("GET", f"{path}?{urlencode(query)}" if query else path)

    def post_json(self, path: str, payload: Any) -> Reply:
        body = json.dumps(payload).encode()
        return self.request("POST", path, body, {"Content-Type": "application/json"})

    def upload(self, path: str, filename: str, content: bytes) -> Reply:
        """POST ``content`` as the multipart form field ``file``."""
        return self.post_form(path, {}, {"file": (filename, content, "text/x-python")})

    def post_form(
        self, path: str, fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]
    ) -> Reply:
        """POST a ``multipart/form-data`` body, as ``curl -F`` sends one."""
        body, content_type = multipart(fields, files)
        return self.request("POST", path, body, {"Content-Type": content_type})


def multipart(
    fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]
) -> tuple[bytes, str]:
    """A ``multipart/form-data`` body and its Content-Type: text ``fields`` first, then each
    file as ``name: (filename, content, content type)``."""
    boundary = uuid.uuid4().hex
    parts: list[bytes] = []
    for name, value in fields.items():
        parts += [
            f"--{boundary}\r\n".encode(),
            f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode(),
            value.encode(),
            b"\r\n",
        ]
    for name, (filename, content, content_type) in files.items():
        disposition = f'form-data; name="{name}"; filename="{filename}"'
        parts += [
            f"--{boundary}\r\n".encode(),
            f"Content-Disposition: {disposition}\r\n".encode(),
            f"Content-Type: {content_type}\r\n\r\n".encode(),
            content,
            b"\r\n",
        ]
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
