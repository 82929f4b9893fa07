"""OpenTelemetry tracing, switched on by configuration: each request becomes a span sent over OTLP/HTTP."""

from __future__ import annotations

import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from shared.config import PROJECT_ROOT

SCRIPT = """
import os
from opentelemetry import trace
from panda_portal import create_app
from panda_portal.extensions import db
database = "sqlite:///" + os.path.join(os.environ["INSTANCE_PATH"], "panda.db")
app = create_app({"TESTING": True, "DATABASE_URL": database, "SECRET_KEY": "t" * 40})
with app.app_context():
    db.create_all()
app.test_client().get("/healthz")
app.test_client().get("/sign-in")
trace.get_tracer_provider().force_flush()
print("traced" if app.extensions.get("operations")["OTEL_TRACING"] else "not traced")
"""


class _Collector(BaseHTTPRequestHandler):
    received: list[tuple[str, bytes]] = []

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        _Collector.received.append((self.path, body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_with_tracing_on_each_request_is_sent_to_the_collector(tmp_path):
    server = HTTPServer(("127.0.0.1", 0), _Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        env = {
            "PATH": "/usr/bin:/bin",
            "APP_ENV": "testing",
            "INSTANCE_PATH": str(tmp_path),
            "OTEL_TRACING": "true",
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{server.server_port}",
        }
        result = subprocess.run(
            [sys.executable, "-c", SCRIPT], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip().endswith("traced")
        paths = [path for path, _ in _Collector.received]
        assert "/v1/traces" in paths
        body = b"".join(body for path, body in _Collector.received if path == "/v1/traces")
        assert b"/sign-in" in body and b"panda_portal" in body  # the span's route and the service's name
        assert b"/healthz" not in body  # health checks are not traced
    finally:
        server.shutdown()


def test_tracing_is_off_unless_switched_on(panda):
    assert panda.extensions["operations"]["OTEL_TRACING"] is False
