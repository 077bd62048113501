"""The load generator of P5 (and of P6's burst): ``POST /jobs/submit`` from many keep-alive
connections at once.

Run in a process of its own (``python -m benchmarks.jobs_load URL N CONNECTIONS FORMAT
NAME [ids]``) so that the client's CPU is not the server's. Each connection sends one
request at a time, so CONNECTIONS is the number of submissions in flight. FORMAT is
``multipart`` (the form of the job document's curl example: ``name``, ``runtime``,
``payload`` fields and a ``script`` file) or ``json`` (the same fields as a JSON object,
``script`` as text). Each job is ``echo hi`` in bash and asks for no retries (``maxRetries``
0), so a failed one ends FAILED at once.

The client is asyncio streams with requests built up front and a minimal HTTP/1.1 reader
(uvloop when installed): about 0.3 ms of CPU per request, interpreter start included,
where the threads of ``http.client`` used elsewhere in the suite cost about 1 ms; on a
2-core box the difference would be taken from the server.

Prints one JSON line: ``n``, ``accepted`` (201 answers), ``started_at`` (wall-clock time
of the first request, comparable with the server's timestamps), ``elapsed_s`` (first request
sent -> last answer read), ``p50_ms``/``p95_ms`` of the submit calls, ``cpu_s`` (this
process's CPU time for the whole run, set-up included), ``errors`` (the first few unexpected
answers) and, when the last argument is ``ids``, ``job_ids`` (in the order answered).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import statistics
import sys
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from benchmarks.http_json import multipart

SCRIPT = b"echo hi\n"
FILENAME = "job.sh"
MAX_ERRORS_SHOWN = 3
USAGE = "URL N CONNECTIONS multipart|json NAME [ids]"


def request_bytes(host: str, index: int, body_format: str, name: str) -> bytes:
    payload = json.dumps({"i": index})
    if body_format == "json":
        document = {
            "name": name,
            "runtime": "bash",
            "script": SCRIPT.decode(),
            "filename": FILENAME,
            "payload": {"i": index},
            "maxRetries": 0,
        }
        body, content_type = json.dumps(document).encode(), "application/json"
    else:
        fields = {"name": name, "runtime": "bash", "payload": payload, "maxRetries": "0"}
        files = {"script": (FILENAME, SCRIPT, "application/octet-stream")}
        body, content_type = multipart(fields, files)
    head = (
        f"POST /jobs/submit HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def read_reply(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """(status, body, whether the server closes the connection) of one response."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        key, _, value = line.partition(":")
        headers[key.strip().lower()] = value.strip().lower()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        chunks = []
        while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
        await reader.readuntil(b"\r\n")
        body = b"".join(chunks)
    else:
        body = await reader.read()
    return status, body, headers.get("connection") == "close"


class Load:
    def __init__(self, url: str, requests: list[bytes]) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.requests = requests
        self.next = 0
        self.latencies_ns: list[int] = []
        self.errors: list[str] = []
        self.accepted = 0
        self.job_ids: list[str] = []
        self.started_at = 0.0

    async def connection(self, ready: asyncio.Event) -> None:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        await ready.wait()
        try:
            while self.next < len(self.requests):
                request = self.requests[self.next]
                self.next += 1
                start = time.perf_counter_ns()
                writer.write(request)
                status, body, closing = await read_reply(reader)
                self.latencies_ns.append(time.perf_counter_ns() - start)
                if status == 201 and b'"jobId"' in body:
                    self.accepted += 1
                    self.job_ids.append(json.loads(body)["jobId"])
                elif len(self.errors) < MAX_ERRORS_SHOWN:
                    self.errors.append(f"HTTP {status}: {body[:200].decode(errors='replace')}")
                if closing:
                    writer.close()
                    reader, writer = await asyncio.open_connection(self.host, self.port)
        finally:
            writer.close()

    async def run(self, connections: int) -> float:
        ready = asyncio.Event()
        tasks = [asyncio.create_task(self.connection(ready)) for _ in range(connections)]
        # Every connection is open before the clock starts.
        await asyncio.sleep(0.2)
        start = time.perf_counter()
        self.started_at = time.time()
        ready.set()
        await asyncio.gather(*tasks)
        return time.perf_counter() - start


def main(argv: list[str]) -> int:
    with_ids = argv[5:] == ["ids"]
    if len(argv) != 5 + with_ids or argv[3] not in ("multipart", "json"):
        print(f"usage: python -m benchmarks.jobs_load {USAGE}", file=sys.stderr)
        return 2
    url, n, connections, body_format, name = argv[0], int(argv[1]), int(argv[2]), *argv[3:5]
    host = urlsplit(url).netloc
    load = Load(url, [request_bytes(host, i, body_format, name) for i in range(n)])
    loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None
    with contextlib.suppress(ImportError):
        import uvloop

        loop_factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        elapsed_s = runner.run(load.run(connections))
    latencies_ms = [ns / 1e6 for ns in load.latencies_ns]
    result = {
        "n": n,
        "accepted": load.accepted,
        "started_at": load.started_at,
        "elapsed_s": elapsed_s,
        "p50_ms": statistics.median(latencies_ms) if latencies_ms else None,
        "p95_ms": statistics.quantiles(latencies_ms, n=100, method="inclusive")[94]
        if len(latencies_ms) > 1
        else None,
        "cpu_s": time.process_time(),
        "errors": load.errors,
    }
    if with_ids:
        result["job_ids"] = load.job_ids
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
