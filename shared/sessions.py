"""Server-side sessions stored in the service's own database.

The cookie holds only a random identifier; the row is keyed by its SHA-256, so a
copy of the table gives no usable session. Each service declares its table with
``WebSessionMixin``. A session row records the ``subject`` (Panda: the account id;
community: the token's ``sub``) and an ``sid`` so that all sessions of a person,
or one OpenID session, can be ended at once (password change, back-channel logout).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin
from sqlalchemy import JSON, String, delete, insert, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column
from werkzeug.datastructures import CallbackDict

from shared.database import Database, UTCDateTime, begin_read, rowcount, utcnow

# Refresh the stored expiry at most this often when a session is only read.
TOUCH_INTERVAL = dt.timedelta(minutes=5)


class WebSessionMixin:
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject: Mapped[str | None] = mapped_column(String(64), index=True)
    sid: Mapped[str | None] = mapped_column(String(64), index=True)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def stored_session_id(token: str) -> str:
    """The primary key of the row that holds the session whose cookie value is ``token``."""
    return _hash(token)


class ServerSession(CallbackDict, SessionMixin):
    def __init__(
        self, initial: dict | None = None, token: str | None = None, stored_expiry: dt.datetime | None = None
    ) -> None:
        def on_update(_self: ServerSession) -> None:
            _self.modified = True

        super().__init__(initial or {}, on_update)
        self.token = token
        self.stored_expiry = stored_expiry
        self.modified = False
        self.regenerate_requested = False
        self.previous_token: str | None = None
        self.cookie_pending = False  # stored with the request's own transaction; the cookie is still to send

    def regenerate(self) -> None:
        """Issue a new identifier (call at sign-in to defeat session fixation)."""
        if self.token and not self.previous_token:
            self.previous_token = self.token
        self.token = None
        self.regenerate_requested = True
        self.modified = True


# Requests that never need a session: health checks must answer without the database,
# and stylesheets should not cost a query.
SESSIONLESS_PATHS = frozenset({"/healthz", "/readyz"})
SESSIONLESS_PREFIXES = ("/static/", "/shared-static/")


class DatabaseSessionInterface(SessionInterface):
    def __init__(self, db: Database, model: type[Any], *, subject_key: str, sid_key: str = "sid") -> None:
        self.db = db
        self.model = model
        self.subject_key = subject_key
        self.sid_key = sid_key

    def _lifetime(self, app: Flask) -> dt.timedelta:
        return app.permanent_session_lifetime

    def open_session(self, app: Flask, request: Request) -> SessionMixin:
        if request.path in SESSIONLESS_PATHS or request.path.startswith(SESSIONLESS_PREFIXES):
            return self.make_null_session(app)
        token = request.cookies.get(self.get_cookie_name(app))
        if not token or len(token) > 128:
            return ServerSession()
        model = self.model
        with self.db.state(app).sessionmaker() as s:
            # A read: on SQLite it neither takes the write lock nor queues behind the writers.
            begin_read(s)
            row = s.execute(select(model.data, model.expires_at).where(model.id == _hash(token))).first()
            s.rollback()
        if row is None or row.expires_at <= utcnow():
            return ServerSession()
        return ServerSession(dict(row.data or {}), token=token, stored_expiry=row.expires_at)

    def _values(self, session: ServerSession, now: dt.datetime, expires: dt.datetime) -> dict[str, Any]:
        values: dict[str, Any] = {"updated_at": now, "expires_at": expires}
        if session.modified or session.token is None:
            values.update(
                data=dict(session),
                subject=_as_str(session.get(self.subject_key)),
                sid=_as_str(session.get(self.sid_key)),
            )
        return values

    def store_with(self, app: Flask, session: ServerSession, db_session: Session) -> None:
        """Write the session now, in ``db_session``'s transaction, which the caller commits.

        A sign-in stores the person's new session with its own writes: one transaction (on
        SQLite one write lock and one fsync) instead of two. The response still gets the cookie
        (``save_session``); a change made to the session later in the request is saved there as
        usual. Should the caller's transaction roll back, the cookie names no session: signed out.
        """
        if not session:
            return
        model = self.model
        now = utcnow()
        expires = now + self._lifetime(app)
        if session.previous_token:
            db_session.execute(delete(model).where(model.id == _hash(session.previous_token)))
        values = self._values(session, now, expires)
        if session.token is None:
            session.token = secrets.token_urlsafe(32)
            db_session.execute(insert(model).values(id=_hash(session.token), created_at=now, **values))
        else:
            db_session.execute(update(model).where(model.id == _hash(session.token)).values(**values))
        session.previous_token = None
        session.regenerate_requested = False
        session.stored_expiry = expires
        session.modified = False
        session.cookie_pending = True

    def save_session(self, app: Flask, session: ServerSession, response: Response) -> None:  # type: ignore[override]
        name = self.get_cookie_name(app)
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        if not session and not session.token and not session.previous_token and not session.modified:
            return  # no session before, none now: nothing to store (a client's API or token call)
        now = utcnow()
        model = self.model
        expires = now + self._lifetime(app)
        if session and not session.modified and session.stored_expiry is not None and not session.previous_token:
            if (expires - session.stored_expiry) <= TOUCH_INTERVAL:
                # Only read, and its expiry was moved a moment ago (or stored with the request's work).
                if session.cookie_pending:
                    self._set_cookie(app, session, response, session.stored_expiry)
                return
        with self.db.state(app).sessionmaker() as s:
            if session.previous_token:
                s.execute(delete(model).where(model.id == _hash(session.previous_token)))
            if not session:
                if session.token:
                    s.execute(delete(model).where(model.id == _hash(session.token)))
                s.commit()
                if session.token or session.previous_token or session.modified:
                    response.delete_cookie(name, domain=domain, path=path)
                return
            values = self._values(session, now, expires)
            if session.token is None:
                # A new random identifier: no row can hold it yet.
                session.token = secrets.token_urlsafe(32)
                s.execute(insert(model).values(id=_hash(session.token), created_at=now, **values))
            else:
                # A request that changed nothing only extends the expiry, so it cannot write
                # back data that a concurrent request of the same browser has just updated.
                updated = rowcount(s.execute(update(model).where(model.id == _hash(session.token)).values(**values)))
                if not updated:
                    # Ended elsewhere while this request ran (sign-out, back-channel logout): stay ended.
                    s.commit()
                    response.delete_cookie(name, domain=domain, path=path)
                    return
            s.commit()
        self._set_cookie(app, session, response, expires)

    def _set_cookie(self, app: Flask, session: ServerSession, response: Response, expires: dt.datetime) -> None:
        response.set_cookie(
            self.get_cookie_name(app),
            session.token or "",
            expires=expires if session.permanent else None,
            httponly=True,
            domain=self.get_cookie_domain(app),
            path=self.get_cookie_path(app),
            secure=self.get_cookie_secure(app),
            samesite=self.get_cookie_samesite(app) or "Lax",
        )
        response.vary.add("Cookie")


def _as_str(value: Any) -> str | None:
    return None if value is None else str(value)


def end_sessions(
    db: Database, model: type[Any], *, subject: str | None = None, sid: str | None = None, keep_token: str | None = None
) -> int:
    """Delete the stored sessions of a subject or an OpenID session id (uses ``db.session``)."""
    query = delete(model)
    if subject is not None:
        query = query.where(model.subject == subject)
    if sid is not None:
        query = query.where(model.sid == sid)
    if subject is None and sid is None:
        raise ValueError("end_sessions needs a subject or an sid")
    if keep_token is not None:
        query = query.where(model.id != _hash(keep_token))
    return rowcount(db.session.execute(query))


def purge_expired_sessions(db: Database, model: type[Any]) -> int:
    return rowcount(db.session.execute(delete(model).where(model.expires_at <= utcnow())))
