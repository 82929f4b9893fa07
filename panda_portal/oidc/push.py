"""Back-channel messages leave at once, after the commit that caused them; the outbox retries the rest.

A change that clients must hear of (an access change, a session that ended) queues
its message in Panda's outbox in the same transaction, as every message is, and
marks it with ``after_commit``. Once that transaction has committed, the request
that made the change delivers the marked messages itself, before its answer goes
out (``push_committed``, called by ``init_oidc``'s ``after_request`` hook; for a
command outside a request, when its application context ends). So the client knows
before the administrator sees the confirmation page, even while the outbox workers
are stopped.

The delivery claims the row exactly as a worker would (``attempts`` + 1, the lease
pushed ahead, in one conditional ``UPDATE``), so a worker that polls at the same
moment cannot send it a second time. A client that does not answer within
``BACKCHANNEL_PUSH_TIMEOUT`` seconds, or refuses, leaves the row to the outbox,
which tries again with back-off. A transaction rolled back pushes nothing: its rows
never existed.
"""

from __future__ import annotations

import contextvars
import logging
from typing import Any

from flask import Flask, current_app, g, has_app_context
from sqlalchemy import event, inspect, update
from sqlalchemy.orm import Session

from panda_portal.extensions import db
from panda_portal.outbox.services import outbox
from shared.database import rowcount, utcnow
from shared.outbox.service import LEASE, MAX_ATTEMPTS, PermanentDeliveryError, backoff

log = logging.getLogger(__name__)

# ``Session.info`` key: rows queued in the session's transaction, to deliver after its commit.
_SCHEDULED = "panda.oidc.push"
# ``g`` key: ids of committed rows waiting for the end of the request.
_COMMITTED = "_oidc_push_committed"

_timeout: contextvars.ContextVar[float | None] = contextvars.ContextVar("backchannel_timeout", default=None)


def after_commit(row: Any) -> None:
    """Deliver the outbox ``row`` (just queued in this transaction) as soon as the transaction commits."""
    db.session.info.setdefault(_SCHEDULED, []).append(row)


def scheduled_rows() -> list[Any]:
    """The rows of the current transaction waiting for its commit (to merge messages into one)."""
    # A row of a savepoint that was rolled back is neither pending nor persistent any more.
    return [row for row in db.session.info.get(_SCHEDULED, []) if inspect(row).pending or inspect(row).persistent]


def delivery_timeout() -> float:
    """Seconds a handler waits for a client: short inside a person's request, longer in a worker."""
    pushed = _timeout.get()
    return pushed if pushed is not None else float(current_app.config["BACKCHANNEL_LOGOUT_TIMEOUT"])


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.in_nested_transaction():
        # A savepoint was released: nothing is committed yet, and the rows stay scheduled
        # (so that later changes in the same transaction merge into them).
        return
    rows = session.info.pop(_SCHEDULED, None)
    if not rows or not has_app_context():
        return
    # A row added in a savepoint that was rolled back is no longer persistent: it was never written.
    ids = [inspect(row).identity[0] for row in rows if inspect(row).persistent]
    if ids:
        g.setdefault(_COMMITTED, []).extend(ids)


def push_committed(app: Flask) -> int:
    """Deliver the messages committed in this application context; returns how many were delivered."""
    ids = g.pop(_COMMITTED, None)
    if not ids:
        return 0
    # Whatever the request left uncommitted is abandoned anyway; ending it now releases its
    # locks (SQLite's write lock in particular) before the clients are called.
    db.session.rollback()
    delivered = 0
    for row_id in dict.fromkeys(ids):
        try:
            delivered += _deliver(app, row_id)
        except Exception:  # the database went away meanwhile: the row waits for the worker
            log.exception("back-channel message %s left to the outbox", row_id)
    return delivered


def _deliver(app: Flask, row_id: int) -> bool:
    model = outbox.model
    sessions = db.state(app).sessionmaker
    now = utcnow()
    with sessions() as session:
        claimed = rowcount(
            session.execute(
                update(model)
                .where(
                    model.id == row_id,
                    model.sent_at.is_(None),
                    model.failed_at.is_(None),
                    model.next_attempt_at <= now,
                )
                .values(attempts=model.attempts + 1, next_attempt_at=now + LEASE)
                .execution_options(synchronize_session=False)
            )
        )
        if claimed != 1:  # a worker has it, or it is gone
            session.rollback()
            return False
        row = session.get_one(model, row_id)
        kind, payload, attempts = row.kind, dict(row.payload), row.attempts
        session.commit()

    error: str | None = None
    permanent = False
    token = _timeout.set(float(app.config["BACKCHANNEL_PUSH_TIMEOUT"]))
    try:
        handler = outbox.handlers.get(kind)
        if handler is None:
            raise PermanentDeliveryError(f"no handler for {kind!r}")
        with app.app_context():
            handler(payload)
    except PermanentDeliveryError as exc:
        permanent, error = True, str(exc)[:2000]
        log.error("back-channel message %s refused for good: %s", row_id, exc)
    except Exception as exc:  # the client is down, slow or refusing: the outbox tries again
        error = f"{type(exc).__name__}: {exc}"[:2000]
        log.warning("back-channel message %s not delivered at once, left to the outbox: %s", row_id, exc)
    finally:
        _timeout.reset(token)

    with sessions() as session:
        row = session.get_one(model, row_id)
        if error is None:
            row.sent_at = utcnow()
            row.last_error = None
        else:
            row.last_error = error
            if permanent or attempts >= MAX_ATTEMPTS:
                row.failed_at = utcnow()
            else:
                row.next_attempt_at = utcnow() + backoff(attempts)
        session.commit()
    return error is None
