"""Test helpers: database targets, the SMTP sink, CSRF-aware form posts."""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import re
import socket
import tempfile
import threading
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import g, has_app_context
from flask.testing import FlaskClient

# Everything a test run keeps on disk (SQLite databases, development secrets, attachments).
TEST_INSTANCE = tempfile.mkdtemp(prefix="panda-tests-")


def base_config(smtp: SmtpSink, database_url: str) -> dict:
    """The settings every test app gets: testing mode, its own database, the SMTP sink for mail."""
    return {
        "TESTING": True,
        "APP_ENV": "testing",
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-" + database_url[-12:],
        "MAIL_SERVER": smtp.host,
        "MAIL_PORT": smtp.port,
        "MAIL_USE_TLS": False,
        "MAIL_USE_SSL": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": None,
    }


CSRF_INPUT = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- databases ---------------------------------------------------------------------------
def test_database_url() -> str | None:
    return os.environ.get("TEST_DATABASE_URL") or None


def is_postgres() -> bool:
    url = test_database_url()
    return bool(url and url.startswith("postgres"))


def _admin_url(url: str) -> str:
    parts = sa.engine.make_url(
        url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url
    )
    return parts.render_as_string(hide_password=False)


def make_database(label: str, tmp_dir: str) -> str:
    """A fresh, empty database for one service in this test run; returns its URL."""
    url = test_database_url()
    if not url or not url.startswith("postgres"):
        return f"sqlite:///{tmp_dir}/{label}-{uuid.uuid4().hex[:8]}.db"
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    admin = sa.engine.make_url(_admin_url(url))
    name = f"{admin.database}_{label}_{worker}_{os.getpid()}".lower()
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin.set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    if not url.startswith("postgres"):
        return
    target = sa.engine.make_url(url)
    admin = target.set(database=sa.engine.make_url(_admin_url(test_database_url() or url)).database)
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    engine.dispose()


# -- mail --------------------------------------------------------------------------------
@dataclass
class CaughtMail:
    sender: str
    recipients: list[str]
    message: email.message.EmailMessage

    @property
    def to(self) -> str:
        return self.recipients[0]

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, subtype: str) -> str:
        part = self.message.get_body(preferencelist=(subtype,))
        return part.get_content() if part is not None else ""

    @property
    def text(self) -> str:
        return self.part("plain")

    @property
    def html(self) -> str:
        return self.part("html")

    def links(self) -> list[str]:
        return re.findall(r"https?://[^\s\"'<>]+", self.text)

    def link_path(self, contains: str = "") -> str:
        """The path+query of the first link containing ``contains`` (for a test client)."""
        for link in self.links():
            if contains in link:
                parts = urlsplit(link)
                return parts.path + (f"?{parts.query}" if parts.query else "")
        raise AssertionError(f"no link containing {contains!r} in mail {self.subject!r}: {self.links()}")


@dataclass
class SmtpSink:
    """A real SMTP server on a free loopback port that keeps what it receives.

    It is as strict as a real one (aiosmtpd refuses lines over 1,000 bytes with a 500).
    ``refuse`` answers 451 (try again later), ``refuse_permanently`` 550 (never), and
    ``delay`` makes it take that many seconds before accepting a message.
    """

    host: str = "127.0.0.1"
    port: int = 0
    messages: list[CaughtMail] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    refuse: bool = False
    refuse_permanently: bool = False
    delay: float = 0.0
    receiving: threading.Event = field(default_factory=threading.Event)  # set once a message's data arrived

    def start(self) -> SmtpSink:
        from aiosmtpd.controller import Controller

        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                sink.receiving.set()
                if sink.delay:
                    await asyncio.sleep(sink.delay)
                if sink.refuse:
                    return "451 Try again later"
                if sink.refuse_permanently:
                    return "550 5.1.1 No such mailbox"
                message = email.message_from_bytes(
                    envelope.original_content or envelope.content, policy=email.policy.default
                )
                with sink.lock:
                    sink.messages.append(CaughtMail(envelope.mail_from, list(envelope.rcpt_tos), message))
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname=self.host, port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()
        self.receiving.clear()

    def to(self, address: str) -> list[CaughtMail]:
        with self.lock:
            return [m for m in self.messages if address.lower() in [r.lower() for r in m.recipients]]

    def last_to(self, address: str) -> CaughtMail:
        found = self.to(address)
        assert found, f"no mail to {address}; caught: {[(m.to, m.subject) for m in self.messages]}"
        return found[-1]


# -- forms -------------------------------------------------------------------------------
class FormClient(FlaskClient):
    """A test client that posts forms the way a browser does: with the page's CSRF token.

    Each request runs in its own application context, as in production, so nothing
    cached in ``g`` (the signed-in person, the organization, the CSRF token, the
    database session) leaks from one request to the next. The test's own database
    session is flushed before the request (so the request sees the test's rows)
    and expired after it (so the test reads what the request committed).
    """

    csrf_page = "/"

    def _test_sessions(self) -> list:
        if not has_app_context():
            return []
        return list(g.get("_db_sessions", {}).values())

    def open(self, *args, **kwargs):
        for session in self._test_sessions():
            session.flush()
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        for session in self._test_sessions():
            session.expire_all()
        return response

    def csrf_token(self, page: str | None = None) -> str:
        response = self.get(page or self.csrf_page, follow_redirects=True)
        match = CSRF_INPUT.search(response.get_data(as_text=True))
        assert match, f"no CSRF token on {page or self.csrf_page}"
        return match.group(1)

    def post_form(self, url: str, data: dict | None = None, *, page: str | None = None, **kwargs):
        payload = dict(data or {})
        payload.setdefault("csrf_token", self.csrf_token(page))
        return self.post(url, data=payload, **kwargs)


# -- a database that goes away ----------------------------------------------------------------
class TcpRelay:
    """A loopback TCP relay in front of a server; ``cut()`` drops every connection and refuses new ones.

    Put between a service and its database, it shows what the service does while the database
    is unreachable (a restart, a fail-over, a network cut) and after it comes back.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()

    def start(self) -> TcpRelay:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def cut(self) -> None:
        """Close the listener and every relayed connection, as a database restart would."""
        with self._lock:
            if self._listener is not None:
                try:
                    self._listener.shutdown(socket.SHUT_RDWR)  # wakes the thread waiting in accept()
                except OSError:
                    pass
                self._listener.close()
                self._listener = None
            for sock in self._sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
            self._sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets |= {client, upstream}
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.close()
                except OSError:
                    pass
