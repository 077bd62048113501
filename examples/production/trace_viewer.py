"""See the traces Flux exports without installing a collector: this prints each span it
receives over OTLP/HTTP as an indented tree line.

    python examples/production/trace_viewer.py 4318 &
    FLUX_TELEMETRY__OTLP_ENDPOINT=http://127.0.0.1:4318 flux start server
    flux workflow run ... --mode sync       # its spans print when the run ends

(Set OTEL_BSP_SCHEDULE_DELAY=100 on the server to have them sent within 0.1 s.)
"""

import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

depth: dict[bytes, int] = {}


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # the stdlib's handler name
        request = ExportTraceServiceRequest()
        request.ParseFromString(self.rfile.read(int(self.headers["Content-Length"])))
        spans = [s for r in request.resource_spans for sc in r.scope_spans for s in sc.spans]
        for span in sorted(spans, key=lambda s: s.start_time_unix_nano):
            level = depth.get(span.parent_span_id, -1) + 1
            depth[span.span_id] = level
            took = (span.end_time_unix_nano - span.start_time_unix_nano) / 1e6
            failed = " ERROR" if span.status.code == 2 else ""
            print(f"{'  ' * level}{span.name} {took:.1f} ms{failed}", flush=True)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


port = int(sys.argv[1]) if len(sys.argv) > 1 else 4318
print(f"listening on http://127.0.0.1:{port}", flush=True)
ThreadingHTTPServer(("127.0.0.1", port), Receiver).serve_forever()
