"""Fixtures shared by every test: apps on fresh databases, per-test rollback, mail sink.

Both services' suites run on SQLite by default and on PostgreSQL when
``TEST_DATABASE_URL`` is set. Each test runs inside a transaction that is rolled
back (SQLAlchemy's "join an external transaction" recipe), so tests see a clean
database without recreating it.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest

from tests.support import TEST_INSTANCE, FormClient, SmtpSink, base_config, drop_database, is_postgres, make_database

# Settings are read when an app is made, after this: no test reads the developer's own environment.
os.environ["APP_ENV"] = "testing"
os.environ["INSTANCE_PATH"] = TEST_INSTANCE
for _name in ("PANDA_DATABASE_URL", "COMMUNITY_DATABASE_URL", "REDIS_URL", "MAIL_SERVER", "MAIL_PORT"):
    os.environ.pop(_name, None)

LOOPBACK = {"127.0.0.1", "::1", "localhost"}


# -- no real network ---------------------------------------------------------------------
@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """Fail any connection that leaves this machine."""
    real_connect = socket.socket.connect

    def guarded_connect(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if (
            isinstance(host, str)
            and host not in LOOPBACK
            and not host.startswith("127.")
            and self.family in (socket.AF_INET, socket.AF_INET6)
        ):
            raise RuntimeError(f"test tried to reach the network: {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)


# -- mail --------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture()
def mail_sink(smtp_sink: SmtpSink) -> Iterator[SmtpSink]:
    smtp_sink.clear()
    smtp_sink.refuse = smtp_sink.refuse_permanently = False
    smtp_sink.delay = 0.0
    yield smtp_sink
    smtp_sink.refuse = smtp_sink.refuse_permanently = False
    smtp_sink.delay = 0.0


# -- Panda -------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def panda_app(smtp_sink: SmtpSink):
    from panda_portal import create_app
    from panda_portal.extensions import db

    url = make_database("panda", TEST_INSTANCE)
    config = base_config(smtp_sink, url) | {
        "PANDA_ISSUER": "http://panda.test",
        "COMMUNITY_URL": "http://community.test",
        "PASSWORD_MIN_LENGTH": 15,
    }
    app = create_app(config)
    app.test_client_class = FormClient
    with app.app_context():
        db.create_all()
    yield app
    db.state(app).engine.dispose()
    drop_database(url)


@pytest.fixture(scope="session")
def community_app(smtp_sink: SmtpSink):
    from support_community import create_app
    from support_community.extensions import db

    url = make_database("community", TEST_INSTANCE)
    config = base_config(smtp_sink, url) | {
        "PANDA_ISSUER": "http://panda.test",
        "COMMUNITY_URL": "http://community.test",
        "COMMUNITY_CLIENT_ID": "support-community",
        "COMMUNITY_CLIENT_SECRET": "community-test-secret",
    }
    app = create_app(config)
    app.test_client_class = FormClient
    with app.app_context():
        db.create_all()
    yield app
    db.state(app).engine.dispose()
    drop_database(url)


def _rollback_each_test(app, database):
    """Bind the app's sessions to one outer transaction that is rolled back afterwards."""
    from sqlalchemy.orm import sessionmaker

    state = database.state(app)
    connection = state.engine.connect()
    outer = connection.begin()
    original = state.sessionmaker
    state.sessionmaker = sessionmaker(bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint")
    try:
        yield
    finally:
        state.sessionmaker = original
        outer.rollback()
        connection.close()


@pytest.fixture()
def panda(panda_app, mail_sink):
    """Panda with a clean database for this test (rolled back afterwards)."""
    from panda_portal.extensions import db, limiter

    limiter.reset()
    yield from _wrap(panda_app, db)


@pytest.fixture()
def community(community_app, mail_sink):
    """The community with a clean database for this test (rolled back afterwards)."""
    from support_community.extensions import db, limiter

    limiter.reset()
    yield from _wrap(community_app, db)


def _wrap(app, database):
    gen = _rollback_each_test(app, database)
    next(gen)
    ctx = app.app_context()
    ctx.push()
    try:
        yield app
    finally:
        ctx.pop()
        try:
            next(gen)
        except StopIteration:
            pass


@pytest.fixture()
def panda_client(panda):
    client = panda.test_client()
    client.csrf_page = "/sign-in"
    return client


@pytest.fixture()
def community_client(community):
    client = community.test_client()
    client.csrf_page = "/"
    return client


@pytest.fixture()
def panda_db(panda):
    from panda_portal.extensions import db

    return db


@pytest.fixture()
def community_db(community):
    from support_community.extensions import db

    return db


def pytest_collection_modifyitems(config, items):
    """Tests marked ``postgres_only`` say why they do not run on SQLite."""
    if is_postgres():
        return
    reason = pytest.mark.skip(reason="needs PostgreSQL (set TEST_DATABASE_URL): SQLite cannot show this")
    for item in items:
        if item.get_closest_marker("postgres_only"):
            item.add_marker(reason)


def pytest_report_header(config):
    return f"database: {'PostgreSQL (TEST_DATABASE_URL)' if is_postgres() else 'SQLite'}"
