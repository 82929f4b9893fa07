from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask_mail import Mail, Message
from sqlalchemy import select

from shared.database import Database, utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
BASE_DELAY = dt.timedelta(seconds=30)
MAX_DELAY = dt.timedelta(hours=6)

Handler = Callable[[dict], None]


class PermanentDeliveryError(Exception):
    """Raised by a handler when retrying cannot help (the row is marked failed at once)."""


def backoff(attempts: int) -> dt.timedelta:
    delay = BASE_DELAY * (2 ** max(attempts - 1, 0))
    return min(delay, MAX_DELAY)


class Outbox:
    def __init__(self, db: Database, model: type, mail: Mail) -> None:
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
        message = Message(
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
        model = self.model
        with self.db.state(app).sessionmaker() as session:
            query = (
                select(model)
                .where(model.sent_at.is_(None), model.failed_at.is_(None), model.next_attempt_at <= utcnow())
                .order_by(model.next_attempt_at, model.id)
                .limit(1)
            )
            if session.bind.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            row = session.execute(query).scalar_one_or_none()
            if row is None:
                session.rollback()
                return None
            handler = self.handlers.get(row.kind)
            row.attempts += 1
            try:
                if handler is None:
                    raise PermanentDeliveryError(f"no handler for {row.kind!r}")
                with app.app_context():
                    handler(dict(row.payload))
            except PermanentDeliveryError as exc:
                row.failed_at = utcnow()
                row.last_error = str(exc)[:2000]
                log.error("outbox message %s failed permanently: %s", row.id, exc)
                session.commit()
                return False
            except Exception as exc:  # SMTP down, peer unreachable, ...: retry later
                row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                if row.attempts >= MAX_ATTEMPTS:
                    row.failed_at = utcnow()
                else:
                    row.next_attempt_at = utcnow() + backoff(row.attempts)
                log.warning("outbox message %s attempt %s failed: %s", row.id, row.attempts, exc)
                session.commit()
                return False
            row.sent_at = utcnow()
            row.last_error = None
            session.commit()
            return True

    def work(self, app: Flask, *, once: bool = False, interval: float = 1.0,
             should_stop: Callable[[], bool] = lambda: False) -> None:
        while not should_stop():
            sent, failed = self.deliver_due(app)
            if sent or failed:
                log.info("outbox: %s sent, %s failed", sent, failed)
            if once:
                return
            if not sent:
                time.sleep(interval)
