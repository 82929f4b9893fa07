from __future__ import annotations

import datetime as dt
import logging
import re
import smtplib
import time
from collections.abc import Callable
from email import encoders
from email import policy as email_policy
from email.header import Header
from email.mime.base import MIMEBase
from email.utils import make_msgid, parseaddr
from typing import Any

from flask import Flask
from flask_mail import Mail, Message
from sqlalchemy import func, select

from shared.database import Database, utcnow
from shared.metrics import record_delivery

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
BASE_DELAY = dt.timedelta(seconds=30)
MAX_DELAY = dt.timedelta(hours=6)
# How long a claimed message is left to its worker before another may try it.
LEASE = dt.timedelta(minutes=5)

Handler = Callable[[dict], None]


class _Message(Message):
    """Flask-Mail's message, with a non-ASCII subject that keeps its spaces.

    Flask-Mail encodes such a subject in lines that, once "Subject: " is in front,
    are too long; the SMTP policy then folds them again and drops the spaces
    between encoded words ("facture électronique refusée" arrives as "facture
    électroniquerefusée"). Encoded knowing the header's name, the lines fit and
    are sent as they are.
    """

    def _message(self) -> MIMEBase:
        message = super()._message()
        for part in message.walk():
            if part.get_content_maintype() == "text" and not part.is_multipart():
                _quoted_printable(part)
        if self.subject and not self.subject.isascii():
            sending_policy = message.policy
            message.policy = email_policy.compat32  # stores the encoded lines as given
            del message["Subject"]
            message["Subject"] = Header(self.subject, "utf-8", header_name="Subject").encode()
            message.policy = sending_policy
        return message


def _quoted_printable(part: MIMEBase) -> None:
    """Re-encode a text part as quoted-printable: no line of it exceeds 76 characters.

    Flask-Mail sends UTF-8 text as it is; one long paragraph then makes a line longer
    than SMTP's 998 characters, which servers refuse.
    """
    body = part.get_payload(decode=True)
    del part["Content-Transfer-Encoding"]
    part.set_payload(body)
    encoders.encode_quopri(part)


def _pause(seconds: float, should_stop: Callable[[], bool]) -> None:
    """Sleep, but no longer than a fifth of a second after being asked to stop."""
    deadline = time.monotonic() + seconds
    while not should_stop() and (left := deadline - time.monotonic()) > 0:
        time.sleep(min(left, 0.2))


def _is_permanent(error: Exception) -> bool:
    """An SMTP refusal that sending again will not change (5xx), as opposed to 4xx or a lost connection."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    return isinstance(error, smtplib.SMTPResponseException) and error.smtp_code >= 500


_HEADER_NAME = re.compile(r"[!-9;-~]{1,76}")  # printable ASCII without ":" (RFC 5322 field name)
# Set by the outbox or Flask-Mail itself: a caller's copy would make the mail carry two.
_RESERVED_HEADERS = {"from", "to", "cc", "bcc", "subject", "message-id", "date", "content-type", "mime-version"}


def _check_header(name: str, value: str) -> None:
    if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name) or name.lower() in _RESERVED_HEADERS:
        raise ValueError(f"not a header a caller may set: {name!r}")
    if not isinstance(value, str) or any(ch in value for ch in "\r\n\0") or len(value) > 900:
        raise ValueError(f"header {name} must be one line of at most 900 characters")


class PermanentDeliveryError(Exception):
    """Raised by a handler when retrying cannot help (the row is marked failed at once)."""


def backoff(attempts: int) -> dt.timedelta:
    exponent = min(max(attempts - 1, 0), 20)
    return min(BASE_DELAY * (2**exponent), MAX_DELAY)


class Outbox:
    def __init__(self, db: Database, model: type[Any], mail: Mail) -> None:
        self.db = db
        self.model = model
        self.mail = mail
        self.handlers: dict[str, Handler] = {"mail": self._send_mail}

    # -- writing (inside the caller's transaction) -------------------------------------
    def enqueue(self, kind: str, payload: dict[str, Any]) -> Any:
        if kind not in self.handlers:
            raise ValueError(f"no outbox handler for {kind!r}")
        row = self.model(kind=kind, payload=payload, attempts=0, next_attempt_at=utcnow())
        self.db.session.add(row)
        return row

    def enqueue_mail(
        self,
        *,
        to: str,
        subject: str,
        text: str,
        html: str | None = None,
        sender: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """Queue a mail. Its ``Message-ID`` is chosen now and kept across retries, so a mail
        delivered twice (a worker stopped between the server's acceptance and the record of
        it) arrives as the same message, which mail clients recognise as a duplicate.

        ``headers`` (``Reply-To``, ``In-Reply-To``, ``References``, ``Auto-Submitted``, …)
        are checked here: a name or value that could start another header (a line break)
        is refused with ``ValueError``, whoever supplied it.
        """
        for name, value in (headers or {}).items():
            _check_header(name, value)
        return self.enqueue(
            "mail",
            {
                "to": to,
                "subject": subject,
                "text": text,
                "html": html,
                "sender": sender,
                "headers": headers or {},
                "message_id": self._new_message_id(sender),
            },
        )

    def _new_message_id(self, sender: str | None) -> str:
        from flask import current_app

        address = parseaddr(sender or current_app.config.get("MAIL_DEFAULT_SENDER") or "")[1]
        domain = address.rpartition("@")[2] or "localhost"
        return make_msgid(domain=domain)

    def register(self, kind: str, handler: Handler) -> None:
        self.handlers[kind] = handler

    # -- delivering --------------------------------------------------------------------
    def _send_mail(self, payload: dict) -> None:
        message = _Message(
            subject=payload["subject"],
            recipients=[payload["to"]],
            body=payload["text"],
            html=payload.get("html"),
            sender=payload.get("sender") or None,
            extra_headers=payload.get("headers") or None,
        )
        if payload.get("message_id"):
            message.msgId = payload["message_id"]
        try:
            self.mail.send(message)
        except (smtplib.SMTPException, OSError) as error:
            if _is_permanent(error):
                raise PermanentDeliveryError(f"refused by the mail server: {error}") from error
            raise

    def deliver_due(
        self, app: Flask, limit: int = 50, should_stop: Callable[[], bool] = lambda: False
    ) -> tuple[int, int]:
        """Deliver due messages one at a time; returns (sent, failed attempts).

        ``should_stop`` is asked before each message: a worker told to stop finishes the
        message in hand and takes no other.
        """
        sent = failed = 0
        for _ in range(limit):
            if should_stop():
                break
            outcome = self._deliver_one(app)
            if outcome is None:
                break
            if outcome:
                sent += 1
            else:
                failed += 1
        return sent, failed

    def _deliver_one(self, app: Flask) -> bool | None:
        """Claim one due message, deliver it outside any transaction, then record the outcome.

        The claim pushes ``next_attempt_at`` a lease ahead and is committed before the
        delivery, so no lock is held while SMTP or the other service is slow, other
        workers skip the row, and a worker that dies mid-delivery leaves the row to be
        retried once the lease has run out.
        """
        model = self.model
        sessions = self.db.state(app).sessionmaker
        with sessions() as session:
            query = (
                select(model)
                .where(model.sent_at.is_(None), model.failed_at.is_(None), model.next_attempt_at <= utcnow())
                .order_by(model.next_attempt_at, model.id)
                .limit(1)
            )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            row = session.execute(query).scalar_one_or_none()
            if row is None:
                session.rollback()
                return None
            row.attempts += 1
            row.next_attempt_at = utcnow() + LEASE
            session.commit()
            row_id, kind, payload, attempts = row.id, row.kind, dict(row.payload), row.attempts

        handler = self.handlers.get(kind)
        outcome: bool
        error: str | None = None
        permanent = False
        try:
            if handler is None:
                raise PermanentDeliveryError(f"no handler for {kind!r}")
            with app.app_context():
                handler(payload)
            outcome = True
        except PermanentDeliveryError as exc:
            outcome, permanent, error = False, True, str(exc)[:2000]
            log.error("outbox message %s failed permanently: %s", row_id, exc)
        except Exception as exc:  # SMTP down, peer unreachable, ...: retry later
            outcome, error = False, f"{type(exc).__name__}: {exc}"[:2000]
            log.warning("outbox message %s attempt %s failed: %s", row_id, attempts, exc)

        with sessions() as session:
            row = session.get_one(model, row_id)
            if outcome:
                row.sent_at = utcnow()
                row.last_error = None
            else:
                row.last_error = error
                if permanent or attempts >= MAX_ATTEMPTS:
                    row.failed_at = utcnow()
                else:
                    row.next_attempt_at = utcnow() + backoff(attempts)
            session.commit()
        given_up = permanent or attempts >= MAX_ATTEMPTS
        record_delivery(app.import_name.split(".")[0], kind, "sent" if outcome else "failed" if given_up else "retry")
        return outcome

    # -- what operators look at ------------------------------------------------------------
    def failed(self, limit: int = 100) -> list[Any]:
        """Messages given up on (refused for good, or out of attempts), newest first."""
        model = self.model
        return list(
            self.db.session.execute(
                select(model)
                .where(model.failed_at.is_not(None), model.sent_at.is_(None))
                .order_by(model.failed_at.desc())
                .limit(limit)
            ).scalars()
        )

    def failed_count(self) -> int:
        model = self.model
        return int(
            self.db.session.execute(
                select(func.count()).select_from(model).where(model.failed_at.is_not(None), model.sent_at.is_(None))
            ).scalar_one()
        )

    def retry(self, message_id: int) -> bool:
        """Give a failed message a fresh set of attempts; False when there is no such failed message."""
        row = self.db.session.get(self.model, message_id)
        if row is None or row.failed_at is None or row.sent_at is not None:
            return False
        row.failed_at = None
        row.attempts = 0
        row.next_attempt_at = utcnow()
        return True

    def work(
        self, app: Flask, *, once: bool = False, interval: float = 1.0, should_stop: Callable[[], bool] = lambda: False
    ) -> None:
        while not should_stop():
            try:
                sent, failed = self.deliver_due(app, should_stop=should_stop)
            except Exception:  # the database went away: keep polling, it will come back
                log.exception("outbox: delivery round failed")
                if once:
                    raise
                _pause(max(interval, 5.0), should_stop)
                continue
            if sent or failed:
                log.info("outbox: %s sent, %s failed", sent, failed)
            if once:
                return
            if not sent:
                _pause(interval, should_stop)
