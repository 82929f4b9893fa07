"""Faults the services cannot help: the database goes away, a client sends too much."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from shared.config import PROJECT_ROOT
from tests.support import (
    TEST_INSTANCE,
    FormClient,
    TcpRelay,
    base_config,
    drop_database,
    free_port,
    make_database,
)

SERVICES = {"panda": "panda_portal", "community": "support_community"}
PAGES = {"panda": ["/", "/sign-in", "/orgs"], "community": ["/", "/auth/sign-in"]}


def make_app(service: str, database_url: str, smtp_sink):
    create_app = __import__(SERVICES[service], fromlist=["create_app"]).create_app
    app = create_app(
        base_config(smtp_sink, database_url)
        | {
            "PANDA_ISSUER": "http://panda.test",
            "COMMUNITY_URL": "http://community.test",
            "COMMUNITY_CLIENT_SECRET": "community-test-secret",
            # As in production: an error outside a view reaches the error handlers instead of the test.
            "PROPAGATE_EXCEPTIONS": False,
        }
    )
    app.test_client_class = FormClient
    return app


@pytest.mark.parametrize("service", SERVICES)
def test_every_page_answers_503_with_retry_after_while_the_database_is_unreachable(service, smtp_sink):
    closed_port = free_port()
    app = make_app(service, f"postgresql://postgres@127.0.0.1:{closed_port}/gone", smtp_sink)
    client = app.test_client()
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], "a-session-to-look-up")
    for path in PAGES[service]:
        response = client.get(path)
        assert response.status_code == 503, path
        assert response.headers["Retry-After"] == "5"
        assert "Temporarily unavailable" in response.get_data(as_text=True)
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 503


@pytest.mark.postgres_only
@pytest.mark.parametrize("service", SERVICES)
def test_the_service_recovers_by_itself_when_the_database_comes_back(service, smtp_sink):
    real = sa.engine.make_url(make_database(f"outage_{service}", TEST_INSTANCE))
    relay = TcpRelay(real.host or "127.0.0.1", real.port or 5432).start()
    app = make_app(
        service, real.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False), smtp_sink
    )
    database = __import__(f"{SERVICES[service]}.extensions", fromlist=["db"]).db
    with app.app_context():
        database.create_all()
    client = app.test_client()
    # With a session cookie every page reads the session store.
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], "a-session-to-look-up")
    page = PAGES[service][0]
    assert client.get("/readyz").status_code == 200
    assert client.get(page).status_code in (200, 302)

    relay.cut()
    assert client.get("/readyz").status_code == 503
    assert client.get(page).status_code == 503

    relay = TcpRelay(real.host or "127.0.0.1", real.port or 5432)
    relay.port = int(app.config["DATABASE_URL"].rsplit(":", 1)[1].split("/")[0])
    relay.start()
    try:
        assert client.get("/readyz").status_code == 200
        assert client.get(page).status_code in (200, 302)
    finally:
        relay.cut()
        database.state(app).engine.dispose()
        drop_database(real.render_as_string(hide_password=False))


def test_a_body_that_is_too_large_gets_413_and_the_connection_is_closed(tmp_path):
    """A keep-alive connection must not carry the unread rest of a refused body into the next request."""
    port = free_port()
    env = dict(
        os.environ,
        APP_ENV="development",
        INSTANCE_PATH=str(tmp_path),
        PORT=str(port),
        WEB_CONCURRENCY="1",
        PANDA_DATABASE_URL=f"sqlite:///{tmp_path}/panda.db",
    )
    subprocess.run(
        [sys.executable, "-c", "from panda_portal.cli import main; main()", "db", "upgrade"],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(PROJECT_ROOT / "deploy/gunicorn.conf.py"),
            "panda_portal:create_app()",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        declared = 3 * 1024 * 1024  # Panda accepts 2 MB
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            conn.sendall(
                b"POST /sign-in HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n"
                + f"Content-Length: {declared}\r\n\r\n".encode()
                + b"email="
                + b"a" * 10_000
            )
            received = b""
            while chunk := conn.recv(65536):
                received += chunk
        head = received.split(b"\r\n\r\n", 1)[0].decode("latin-1").lower()
        assert head.startswith("http/1.1 413")
        assert "connection: close" in head
    finally:
        server.terminate()
        server.wait(timeout=30)
