"""Where replies come in: a mailbox read over IMAP (production), or an SMTP port (development).

Either way a mail is first stored (``store``, committed) and only then forgotten by its
source: the IMAP message is deleted after its row is committed, and the SMTP client is
told ``250`` only then (a failure answers ``451``, so the sending server tries again).
Processing (``processing.process_due``) reads the stored rows afterwards; ``watching``
keeps the mailbox open and waits for new mail with IMAP IDLE.
"""

from __future__ import annotations

import hashlib
import imaplib
import logging
import ssl
from collections.abc import Callable
from typing import Any

from flask import Flask
from imapclient import DELETED, IMAPClient
from sqlalchemy.dialects import postgresql, sqlite

from shared.database import utcnow
from support_community.extensions import db
from support_community.inbound.models import InboundMessage, InboundState

log = logging.getLogger(__name__)

IMAP_TIMEOUT = 60.0  # seconds a command may wait for the server (IDLE waits on its own terms)
FETCH_LIMIT = 100
# What a lost, refused or broken IMAP connection raises (imapclient's errors are imaplib's).
IMAP_ERRORS = (OSError, imaplib.IMAP4.error)


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
    """The mailbox could not be read (unreachable, refused the login, no such folder, the connection dropped)."""


def _tls_context(config: dict[str, Any]) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=config["COMMUNITY_IMAP_CA_FILE"] or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


class MailboxNotSetError(MailboxError):
    """The settings do not say which mailbox to read: trying again changes nothing."""


def connect(config: dict[str, Any]) -> IMAPClient:
    """A logged-in connection to the mailbox, with its folder selected (TLS as the settings say)."""
    host, port = config["COMMUNITY_IMAP_HOST"], config["COMMUNITY_IMAP_PORT"]
    security = config["COMMUNITY_IMAP_SECURITY"]
    if not host or not config["COMMUNITY_IMAP_USERNAME"]:
        raise MailboxNotSetError(
            "COMMUNITY_IMAP_HOST and COMMUNITY_IMAP_USERNAME must be set to read replies over IMAP"
        )
    connection: IMAPClient | None = None
    try:
        if security == "tls":
            connection = IMAPClient(host, port, ssl=True, ssl_context=_tls_context(config), timeout=IMAP_TIMEOUT)
        else:
            connection = IMAPClient(host, port, ssl=False, timeout=IMAP_TIMEOUT)
            if security == "starttls":
                connection.starttls(_tls_context(config))
        connection.login(config["COMMUNITY_IMAP_USERNAME"], config["COMMUNITY_IMAP_PASSWORD"] or "")
        connection.select_folder(config["COMMUNITY_IMAP_FOLDER"])
        return connection
    except IMAP_ERRORS as error:
        if connection is not None:
            close(connection)
        raise MailboxError(f"cannot read the mailbox at {host}:{port}: {error}") from error


def close(connection: IMAPClient) -> None:
    """Log out, or just drop the connection when the server is gone already."""
    try:
        connection.logout()
    except Exception:  # the connection may be half dead in any way; it is dropped either way
        try:
            connection.shutdown()
        except Exception:
            pass


def fetch(
    app: Flask,
    *,
    limit: int = FETCH_LIMIT,
    connection: IMAPClient | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> int:
    """Store the mailbox's messages (at most ``limit``), deleting each from the mailbox once stored; returns how many.

    A message is marked deleted only after its row is committed, and the marked ones
    are expunged at the end, also when storing a later one failed. A message stored
    twice (the mailbox lost the deletion) is recognised by its fingerprint. Without a
    ``connection``, one is opened and closed; ``should_stop`` is asked between messages.
    """
    own = connection is None
    mailbox = connection if connection is not None else connect(app.config)
    deleted: list[int] = []
    try:
        uids = sorted(mailbox.search(["UNDELETED"]))[:limit]
        try:
            for uid in uids:
                if should_stop():
                    break
                raw = mailbox.fetch([uid], ["BODY.PEEK[]"]).get(uid, {}).get(b"BODY[]")
                if not isinstance(raw, bytes):
                    log.warning("inbound: IMAP message %s could not be read; left in the mailbox", uid)
                    continue
                store(raw, source="imap")
                db.session.commit()  # stored for good: only now may the mailbox forget it
                mailbox.add_flags([uid], [DELETED], silent=True)
                deleted.append(uid)
        except BaseException:
            db.session.rollback()
            raise
        finally:
            if deleted:
                # UID EXPUNGE (UIDPLUS) removes only what was stored here, not what another client marked.
                mailbox.expunge(deleted if mailbox.has_capability("UIDPLUS") else None)
    except IMAP_ERRORS as error:
        raise MailboxError(f"reading the mailbox failed: {error}") from error
    finally:
        if own:
            close(mailbox)
    return len(deleted)


def work(
    app: Flask,
    *,
    once: bool = False,
    interval: float | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> None:
    """Read the mailbox and handle what came in: once, or until ``should_stop`` (``watching.watch``)."""
    from support_community.inbound.processing import process_due

    if not once:
        from support_community.inbound.watching import watch

        watch(app, poll_seconds=interval, should_stop=should_stop)
        return
    try:
        fetched = fetch(app)
    except Exception:  # the mailbox or the database is away: what was not stored stays in the mailbox
        db.session.rollback()
        raise
    if fetched:
        log.info("inbound: %s mail(s) stored from the mailbox", fetched)
    try:
        process_due(should_stop=should_stop)
    except Exception:
        db.session.rollback()
        raise


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
