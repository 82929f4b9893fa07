from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from email import policy as email_policy
from email.header import Header
from email.mime.base import MIMEBase
from typing import Any

from flask import Flask
from flask_mail import Mail, Message
from sqlalchemy import select

from shared.database import Database, utcnow

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
        if self.subject and not self.subject.isascii():
            sending_policy = message.policy
            message.policy = email_policy.compat32  # stores the encoded lines as given
            del message["Subject"]
            message["Subject"] = Header(self.subject, "utf-8", header_name="Subject").encode()
            message.policy = sending_policy
        return message


class PermanentDeliveryError(Exception):
    """Raised by a handler when retrying cannot help (the row is marked failed at once)."""


def backoff(attempts: int) -> dt.timedelta:
    exponent = min(max(attempts - 1, 0), 20)
    return min(BASE_DELAY * (2 ** exponent), MAX_DELAY)


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

    def enqueue_mail(self, *, to: str, subject: str, text: str, html: str | None = None,
                     sender: str | None = None, headers: dict[str, str] | None = None) -> Any:
        return self.enqueue("mail", {
            "to": to, "subject": subject, "text": text, "html": html,
            "sender": sender, "headers": headers or {},
        })

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
        self.mail.send(message)

    def deliver_due(self, app: Flask, limit: int = 50) -> tuple[int, int]:
        """Deliver due messages one at a time; returns (sent, failed attempts)."""
        sent = failed = 0
        for _ in range(limit):
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
        return outcome

    def work(self, app: Flask, *, once: bool = False, interval: float = 1.0,
             should_stop: Callable[[], bool] = lambda: False) -> None:
        while not should_stop():
            try:
                sent, failed = self.deliver_due(app)
            except Exception:  # the database went away: keep polling, it will come back
                log.exception("outbox: delivery round failed")
                if once:
                    raise
                time.sleep(max(interval, 5.0))
                continue
            if sent or failed:
                log.info("outbox: %s sent, %s failed", sent, failed)
            if once:
                return
            if not sent:
                time.sleep(interval)
