"""What operators read: the instance's name, request ids, JSON log lines, /metrics and readiness."""

from __future__ import annotations

import json
import logging
import shutil
import socket
import subprocess
import sys
import time

import pytest

from shared.config import PROJECT_ROOT
from shared.logs import JsonFormatter, accepted_request_id, outgoing_headers
from shared.metrics import MetricsEndpoint, count_sign_in
from tests.support import free_port


# -- the instance and the request id -------------------------------------------------------------
def test_every_response_names_the_instance_and_carries_a_request_id(panda_client):
    response = panda_client.get("/sign-in")
    instance = panda_client.application.extensions["operations"]["INSTANCE_NAME"]
    assert response.headers["X-Served-By"] == instance
    assert len(response.headers["X-Request-ID"]) == 32
    assert panda_client.get("/healthz").json["instance"] == instance


def test_a_callers_request_id_is_kept_and_an_unsafe_one_replaced(community_client):
    kept = community_client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.42:1"})
    assert kept.headers["X-Request-ID"] == "lb-7f3a.42:1"
    replaced = community_client.get("/healthz", headers={"X-Request-ID": "x" * 101})
    assert replaced.headers["X-Request-ID"] != "x" * 101
    assert accepted_request_id("two words") != "two words"
    assert accepted_request_id('quote"') != 'quote"'


def test_the_request_id_goes_along_to_the_other_service(panda):
    with panda.test_request_context("/", headers={"X-Request-ID": "abc-123"}):
        panda.preprocess_request()
        assert outgoing_headers() == {"X-Request-ID": "abc-123"}
    assert outgoing_headers() == {}


# -- log lines ---------------------------------------------------------------------------------
def test_a_request_ends_with_one_line_without_its_query_string(panda_client, caplog):
    caplog.set_level(logging.INFO, logger="shared.requests")
    panda_client.get("/sign-in?next=/authorize%3Fcode%3Dsecret-code", headers={"X-Request-ID": "req-1"})
    [record] = [r for r in caplog.records if r.name == "shared.requests"]
    assert record.request_id == "req-1"
    assert record.fields["path"] == "/sign-in" and record.fields["status"] == 200
    assert "secret-code" not in record.getMessage() + json.dumps(record.fields)
    assert record.fields["duration_ms"] >= 0


def test_a_json_line_holds_time_level_service_instance_request_and_person():
    record = logging.LogRecord("shared.requests", logging.INFO, __file__, 1, "GET / 200", (), None)
    record.service, record.instance = "panda_portal", "panda-1"
    record.request_id, record.person_id = "req-9", "5f0c-person"
    record.fields = {"status": 200, "duration_ms": 3.2}
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert "\n" not in line
    assert entry["level"] == "INFO" and entry["service"] == "panda_portal" and entry["instance"] == "panda-1"
    assert entry["request_id"] == "req-9" and entry["person_id"] == "5f0c-person"
    assert entry["status"] == 200 and entry["duration_ms"] == 3.2 and entry["message"] == "GET / 200"
    assert entry["time"].endswith("+00:00")


def test_production_writes_json_lines_and_development_readable_ones(tmp_path):
    code = (
        "import logging, os\n"
        "from shared.logs import configure_logging\n"
        "from shared.settings import operations_settings\n"
        "ops = operations_settings()\n"
        "configure_logging(service='panda_portal', instance='panda-7', fmt=ops['LOG_FORMAT'], level='INFO')\n"
        "logging.getLogger('x').info('hello')\n"
    )
    env = {"PATH": "/usr/bin:/bin", "INSTANCE_PATH": str(tmp_path)}
    production = subprocess.run(
        [sys.executable, "-c", code],
        env=env | {"APP_ENV": "production"},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=PROJECT_ROOT,
    )
    entry = json.loads(production.stderr.strip().splitlines()[-1])
    assert entry["message"] == "hello" and entry["instance"] == "panda-7"
    development = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, cwd=PROJECT_ROOT
    )
    assert development.stderr.strip().endswith("INFO x: hello")


# -- metrics -------------------------------------------------------------------------------------
def test_metrics_count_requests_by_endpoint_for_a_local_scraper(panda_client):
    panda_client.get("/sign-in")
    text = panda_client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).text
    assert 'http_requests_total{endpoint="accounts.sign_in",method="GET",service="panda_portal",status="200"}' in text
    assert "http_request_duration_seconds_bucket" in text
    assert 'outbox_backlog{service="panda_portal"}' in text
    assert 'database_up{service="panda_portal"} 1.0' in text
    assert "db_pool_connections_in_use" in text


def test_metrics_are_refused_through_a_proxy_and_from_other_addresses(community_client):
    forwarded = community_client.get(
        "/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}, headers={"X-Forwarded-For": "203.0.113.9"}
    )
    assert forwarded.status_code == 404
    elsewhere = community_client.get("/metrics", environ_base={"REMOTE_ADDR": "198.51.100.4"})
    assert elsewhere.status_code == 404


def test_the_allowed_networks_are_a_setting():
    endpoint = MetricsEndpoint(lambda e, s: [], collectors=lambda: [], networks="10.0.0.0/8, ::1/128", instance="i")
    assert endpoint.may_read({"REMOTE_ADDR": "10.2.3.4"})
    assert not endpoint.may_read({"REMOTE_ADDR": "127.0.0.1"})
    assert not endpoint.may_read({"REMOTE_ADDR": "10.2.3.4", "HTTP_X_FORWARDED_FOR": "10.9.9.9"})


def test_a_sign_in_counted_by_the_domain_shows_in_the_metrics(panda_client, panda):
    count_sign_in("failed")
    text = panda_client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).text
    wanted = 'sign_ins_total{outcome="failed",service="panda_portal"}'
    line = next(line for line in text.splitlines() if line.startswith(wanted))
    assert float(line.rsplit(" ", 1)[1]) >= 1


def test_waiting_and_failed_outbox_messages_are_read_from_the_database(panda_client, panda, panda_db):
    from panda_portal.outbox.services import outbox
    from shared.database import utcnow

    outbox.enqueue_mail(to="a@example.be", subject="waiting", text="x")
    failed = outbox.enqueue_mail(to="b@example.be", subject="failed", text="x")
    failed.failed_at = utcnow()
    panda_db.session.flush()
    text = panda_client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).text
    assert 'outbox_backlog{service="panda_portal"} 1.0' in text
    assert 'outbox_failed{service="panda_portal"} 1.0' in text


# -- readiness follows Redis ---------------------------------------------------------------------
needs_redis_server = pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server")


@needs_redis_server
def test_readiness_turns_false_while_redis_is_down_and_true_again_without_a_restart(panda_client, panda):
    port = free_port()
    panda.config["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
    try:
        down = panda_client.get("/readyz")
        assert down.status_code == 503 and "redis" in down.json
        server = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        try:
            _wait_for_port(port)
            up = panda_client.get("/readyz")
            assert up.status_code == 200 and up.json["redis"] == "ok"
        finally:
            server.terminate()
            server.wait(timeout=10)
        assert panda_client.get("/readyz").status_code == 503
    finally:
        panda.config["REDIS_URL"] = None


def _wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"redis-server did not listen on {port}")
