"""Observability through a real `flux start server` with its embedded worker: traces
exported over OTLP/HTTP to a collector on loopback (decoded with the OpenTelemetry
protobufs), Prometheus step durations, and JSON log lines."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import start_server, stop_server
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

pytestmark = pytest.mark.slow

TRACED = b"""
from flux import task, workflow, call
from flux.tasks import parallel

@task
async def fetch(n):
    return n * 2

@task.with_options(retry_max_attempts=1, retry_delay=0.01, fallback=lambda n: -1)
async def flaky(n):
    raise RuntimeError("down")

@task
async def boom():
    raise ValueError("no")

@workflow
async def child(ctx):
    return await fetch(ctx.input)

@workflow
async def traced(ctx):
    a = await fetch(1)
    b = await flaky(2)
    c = await call("child", 5)
    try:
        await boom()
    except ValueError:
        pass
    return [a, b, c]
"""


class Collector(ThreadingHTTPServer):
    spans: list[Any]


class _Handler(BaseHTTPRequestHandler):
    server: Collector

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        for resource in request.resource_spans:
            for scope in resource.scope_spans:
                self.server.spans.extend(scope.spans)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def collector() -> Iterator[Collector]:
    server = Collector(("127.0.0.1", 0), _Handler)
    server.spans = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_traces_metrics_and_json_logs(collector: Collector, tmp_path: Path) -> None:
    endpoint = f"http://127.0.0.1:{collector.server_address[1]}"
    server = start_server(
        tmp_path,
        FLUX_TELEMETRY__OTLP_ENDPOINT=endpoint,
        FLUX_LOG_FORMAT="json",
        OTEL_BSP_SCHEDULE_DELAY="50",  # the SDK's batch delay, in ms
    )
    try:
        files = {"file": ("traced.py", TRACED, "text/x-python")}
        assert httpx.post(f"{server.url}/workflows", files=files).status_code == 200
        run = httpx.post(f"{server.url}/workflows/traced/run/sync", json=None, timeout=60).json()
        assert run["state"] == "COMPLETED" and run["output"] == [2, -1, 10], run

        deadline = time.monotonic() + 20
        while len({s.name for s in collector.spans}) < 5:
            assert time.monotonic() < deadline, [s.name for s in collector.spans]
            time.sleep(0.1)
        metrics = httpx.get(f"{server.url}/metrics").text
    finally:
        stop_server(server)

    spans = {s.name: s for s in collector.spans}
    root = spans["workflow traced"]
    # The trace id is the execution id; every span of the run (and of its child) is in it.
    assert root.trace_id.hex() == run["execution_id"]
    assert {s.trace_id for s in collector.spans} == {root.trace_id}
    assert root.parent_span_id == b""
    fetches = [s for s in collector.spans if s.name == "task fetch"]
    assert len(fetches) == 2  # one in the parent, one in the child
    assert spans["task flaky"].parent_span_id == root.span_id
    # Its fallback answered: the step completed, its retry and fallback are span events.
    flaky_notes = [e.name for e in spans["task flaky"].events]
    assert spans["task flaky"].status.code != 2 and "TASK_FALLBACK_COMPLETED" in flaky_notes
    assert any(note.startswith("TASK_RETRY") for note in flaky_notes)
    assert spans["task boom"].status.code == 2
    assert spans["task fetch"].status.code != 2
    # The child run nests under the parent's step that called it.
    child = spans["workflow child"]
    assert child.parent_span_id not in (b"", root.span_id)
    child_fetch = next(s for s in fetches if s.parent_span_id == child.span_id)
    assert child_fetch.start_time_unix_nano >= child.start_time_unix_nano
    assert root.start_time_unix_nano <= spans["task flaky"].start_time_unix_nano
    assert root.end_time_unix_nano >= spans["task boom"].end_time_unix_nano

    step_count = (
        'flux_step_duration_seconds_count{outcome="completed",task="fetch",workflow="traced"}'
    )
    assert f"{step_count} 1.0" in metrics
    assert (
        'flux_step_duration_seconds_count{outcome="failed",task="boom",workflow="traced"} 1.0'
        in metrics
    )

    lines = (tmp_path / "server.log").read_text().splitlines()
    logged = [json.loads(line) for line in lines if line.startswith("{")]
    assert logged and all({"time", "level", "logger", "message"} <= set(e) for e in logged)
    assert any(e["logger"].startswith("flux") for e in logged)
