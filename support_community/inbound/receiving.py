"""Where replies come in: a mailbox read over IMAP (production), or an SMTP port (development).

Either way a mail is first stored (``store``, committed) and only then forgotten by its
source: the IMAP message is deleted after its row is committed, and the SMTP client is
told ``250`` only then (a failure answers ``451``, so the sending server tries again).
Processing (``processing.process_due``) reads the stored rows afterwards.
"""

from __future__ import annotations

import hashlib
import imaplib
import logging
import re
import ssl
import time
from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy.dialects import postgresql, sqlite

from shared.database import utcnow
from support_community.extensions import db
from support_community.inbound.models import InboundMessage, InboundState

log = logging.getLogger(__name__)

IMAP_TIMEOUT = 60.0
_UID = re.compile(rb"UID (\d+)")


def store(raw: bytes, *, source: str, envelope_sender: str | None = None, recipients: list[str] | None = None) -> bool:
    """Keep ``raw`` to be handled (in the caller's transaction); False when the same mail was stored before."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(InboundMessage)
        .values(
            fingerprint=hashlib.sha256(raw).hexdigest(),
            source=source,
            envelope_sender=envelope_sender[:320] if envelope_sender is not None else None,
            envelope_recipients=",".join(recipients or [])[:5000] or None,
            raw=raw,
            received_at=utcnow(),
            state=InboundState.PENDING,
            attempts=0,
            next_attempt_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["fingerprint"])
    )
    result = db.session.execute(statement)
    return bool(getattr(result, "rowcount", 0))


# -- IMAP ------------------------------------------------------------------------------------------
class MailboxError(RuntimeError):
    """The mailbox could not be read (unreachable, refused the login, no such folder)."""


def _tls_context(config: dict[str, Any]) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=config["COMMUNITY_IMAP_CA_FILE"] or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def connect(config: dict[str, Any]) -> imaplib.IMAP4:
    """A logged-in connection to the mailbox, with its folder selected (TLS as the settings say)."""
    host, port = config["COMMUNITY_IMAP_HOST"], config["COMMUNITY_IMAP_PORT"]
    security = config["COMMUNITY_IMAP_SECURITY"]
    if not host or not config["COMMUNITY_IMAP_USERNAME"]:
        raise MailboxError("COMMUNITY_IMAP_HOST and COMMUNITY_IMAP_USERNAME must be set to read replies over IMAP")
    try:
        connection: imaplib.IMAP4
        if security == "tls":
            connection = imaplib.IMAP4_SSL(host, port, ssl_context=_tls_context(config), timeout=IMAP_TIMEOUT)
        else:
            connection = imaplib.IMAP4(host, port, timeout=IMAP_TIMEOUT)
            if security == "starttls":
                connection.starttls(ssl_context=_tls_context(config))
        connection.login(config["COMMUNITY_IMAP_USERNAME"], config["COMMUNITY_IMAP_PASSWORD"] or "")
        status, _ = connection.select(_quoted(config["COMMUNITY_IMAP_FOLDER"]))
        if status != "OK":
            raise MailboxError(f"the folder {config['COMMUNITY_IMAP_FOLDER']!r} cannot be opened")
        return connection
    except (OSError, imaplib.IMAP4.error, ssl.SSLError) as error:
        raise MailboxError(f"cannot read the mailbox at {host}:{port}: {error}") from error


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def fetch(app: Flask, *, limit: int = 100) -> int:
    """Store the mailbox's messages (at most ``limit``), deleting each from the mailbox once stored; returns how many.

    A message is marked deleted only after its row is committed, and the marked ones
    are expunged at the end, also when storing a later one failed. A message stored
    twice (the mailbox lost the deletion) is recognised by its fingerprint.
    """
    connection = connect(app.config)
    stored = 0
    try:
        status, data = connection.uid("SEARCH", "UNDELETED")
        if status != "OK":
            raise MailboxError(f"the mailbox refused to list its messages: {data!r}")
        uids = [uid.decode() for uid in (data[0] or b"").split() if uid.isdigit()][:limit]
        try:
            for uid in uids:
                status, parts = connection.uid("FETCH", uid, "(BODY.PEEK[])")
                raw = next((part[1] for part in parts if isinstance(part, tuple) and len(part) == 2), None)
                if status != "OK" or not isinstance(raw, bytes):
                    log.warning("inbound: IMAP message %s could not be read; left in the mailbox", uid)
                    continue
                store(raw, source="imap")
                db.session.commit()  # stored for good: only now may the mailbox forget it
                connection.uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted)")
                stored += 1
        except BaseException:
            db.session.rollback()
            raise
        finally:
            if stored:
                connection.expunge()
    finally:
        try:
            connection.logout()
        except (OSError, imaplib.IMAP4.error):
            pass
    return stored


def work(
    app: Flask,
    *,
    once: bool = False,
    interval: float | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> None:
    """Read the mailbox and handle what came in, every ``interval`` seconds (``COMMUNITY_IMAP_POLL_SECONDS``)."""
    from support_community.inbound.processing import process_due

    pause = app.config["COMMUNITY_IMAP_POLL_SECONDS"] if interval is None else interval
    while not should_stop():
        try:
            fetched = fetch(app)
            if fetched:
                log.info("inbound: %s mail(s) stored from the mailbox", fetched)
        except Exception as error:  # the mailbox or the database is away: what was not stored stays in the mailbox
            db.session.rollback()
            if once:
                raise
            log.warning("inbound: reading the mailbox failed: %s", error)
        try:
            process_due(should_stop=should_stop)
        except Exception as error:
            db.session.rollback()
            if once:
                raise
            log.warning("inbound: handling stored mail failed: %s", error)
        if once:
            return
        _pause(pause, should_stop)


def _pause(seconds: float, should_stop: Callable[[], bool]) -> None:
    deadline = time.monotonic() + seconds
    while not should_stop() and (left := deadline - time.monotonic()) > 0:
        time.sleep(min(left, 0.2))


# -- SMTP (development) ----------------------------------------------------------------------------
class SmtpReceiver:
    """aiosmtpd's handler: a mail is answered ``250`` once stored, ``451`` (send again later) when it cannot be."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        try:
            with self.app.app_context():
                try:
                    store(
                        raw,
                        source="smtp",
                        envelope_sender=envelope.mail_from or "",
                        recipients=[str(r) for r in envelope.rcpt_tos],
                    )
                    db.session.commit()
                except BaseException:
                    db.session.rollback()
                    raise
        except Exception as error:
            log.warning("inbound: a mail over SMTP could not be stored: %s", error)
            return "451 4.3.0 Cannot store the message now; try again later"
        return "250 2.0.0 Stored"


def listen(app: Flask, host: str, port: int) -> Any:
    """Start an SMTP server on ``host:port`` storing what it receives (aiosmtpd: a development dependency)."""
    from aiosmtpd.controller import Controller

    controller = Controller(
        SmtpReceiver(app),
        hostname=host,
        port=port,
        data_size_limit=int(app.config["MAX_CONTENT_LENGTH"] or 0) or None,
        enable_SMTPUTF8=True,
    )
    controller.start()
    return controller
