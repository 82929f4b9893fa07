"""A mail catcher for development: an SMTP server that keeps every message, and a page to read them.

    python -m devserver.mailcatcher [--host 127.0.0.1] [--smtp-port 1025] [--web-port 8025]
                                    [--store instance/mailcatcher.db | :memory:]

Messages are kept in a small SQLite file (the newest ``MAX_MESSAGES``), so they survive a
restart of ``make run``. Every subject, address and body is untrusted: pages escape all of
it, and a message's HTML part is only ever shown from its own URL under a ``sandbox`` CSP,
in a sandboxed iframe, so its scripts and forms never run with the catcher's origin.
Nothing on the page needs JavaScript.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import warnings
from typing import Any

from devserver.mailcatcher.store import MAX_MESSAGES, CaughtMessage, MessageStore, links_in
from devserver.mailcatcher.web import CatcherWebServer, linkify

__all__ = ["MAX_MESSAGES", "CaughtMessage", "MailCatcher", "MessageStore", "links_in", "linkify", "main"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_SMTP_PORT = 1025
DEFAULT_WEB_PORT = 8025


class _SmtpHandler:
    def __init__(self, store: MessageStore) -> None:
        self.store = store

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        self.store.add(envelope.mail_from or "", list(envelope.rcpt_tos), raw)
        return "250 Message caught"


def _accept_any_login(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> Any:
    # The services may be configured with MAIL_USERNAME/MAIL_PASSWORD; any login is fine here.
    from aiosmtpd.smtp import AuthResult

    return AuthResult(success=True)


class MailCatcher:
    """SMTP server + web page over one store; ``start()`` returns once both accept connections."""

    def __init__(
        self,
        host: str = DEFAULT_HOST,
        smtp_port: int = DEFAULT_SMTP_PORT,
        web_port: int = DEFAULT_WEB_PORT,
        store: MessageStore | None = None,
    ) -> None:
        self.host = host
        self.smtp_port = smtp_port
        self.web_port = web_port
        self.store = store or MessageStore()
        self._web: CatcherWebServer | None = None
        self._controller: Any = None

    @property
    def web_url(self) -> str:
        return f"http://{self.host}:{self.web_port}/"

    def start(self) -> MailCatcher:
        from aiosmtpd.controller import Controller

        self._web = CatcherWebServer((self.host, self.web_port), self.store, f"{self.host}:{self.smtp_port}")
        self.web_port = self._web.server_address[1]
        threading.Thread(
            target=self._web.serve_forever, kwargs={"poll_interval": 0.1}, name="mailcatcher-web", daemon=True
        ).start()
        self._controller = Controller(
            _SmtpHandler(self.store),
            hostname=self.host,
            port=self.smtp_port,
            enable_SMTPUTF8=True,
            auth_require_tls=False,
            authenticator=_accept_any_login,
        )
        try:
            self._controller.start()
        except BaseException:
            self._web.shutdown()
            self._web.server_close()
            raise
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        if self._web is not None:
            self._web.shutdown()
            self._web.server_close()
            self._web = None


def _port(value: str | None, default: int, name: str) -> int:
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise SystemExit(f"mailcatcher: {name} must be a port number, not {value!r}") from None


def main(argv: list[str] | None = None) -> int:
    from shared.config import instance_path

    parser = argparse.ArgumentParser(prog="mailcatcher", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--host",
        default=os.environ.get("MAILCATCHER_HOST") or DEFAULT_HOST,
        help="address to listen on (MAILCATCHER_HOST; default %(default)s)",
    )
    parser.add_argument(
        "--smtp-port",
        type=int,
        default=_port(os.environ.get("MAILCATCHER_SMTP_PORT"), DEFAULT_SMTP_PORT, "MAILCATCHER_SMTP_PORT"),
        help="SMTP port (MAILCATCHER_SMTP_PORT; default %(default)s)",
    )
    parser.add_argument(
        "--web-port",
        type=int,
        default=_port(os.environ.get("MAILCATCHER_WEB_PORT"), DEFAULT_WEB_PORT, "MAILCATCHER_WEB_PORT"),
        help="web page port (MAILCATCHER_WEB_PORT; default %(default)s)",
    )
    parser.add_argument(
        "--store",
        default=os.environ.get("MAILCATCHER_STORE") or str(instance_path() / "mailcatcher.db"),
        help="SQLite file for the messages, or :memory: (MAILCATCHER_STORE; default %(default)s)",
    )
    args = parser.parse_args(argv)

    # aiosmtpd itself still sets the deprecated attribute when a client logs in.
    warnings.filterwarnings("ignore", message="Session.login_data is deprecated")
    catcher = MailCatcher(args.host, args.smtp_port, args.web_port, MessageStore(args.store))
    try:
        catcher.start()
    except OSError as exc:
        print(f"mailcatcher: cannot listen on {args.host} ({exc}); is another mail catcher running?", file=sys.stderr)
        return 1
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f"Mail catcher: SMTP on {args.host}:{catcher.smtp_port}, messages at {catcher.web_url}", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        catcher.stop()
        catcher.store.close()
    return 0
