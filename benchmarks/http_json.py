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
        boundary = uuid.uuid4().hex
        body = b"".join(
            [
                f"--{boundary}\r\n".encode(),
                f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'.encode(),
                b"Content-Type: text/x-python\r\n\r\n",
                content,
                f"\r\n--{boundary}--\r\n".encode(),
            ]
        )
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        return self.request("POST", path, body, headers)
