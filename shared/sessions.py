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
from sqlalchemy import JSON, String, delete
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.datastructures import CallbackDict

from shared.database import Database, UTCDateTime, rowcount, utcnow

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
        with self.db.state(app).sessionmaker() as s:
            row = s.get(self.model, _hash(token))
            if row is None or row.expires_at <= utcnow():
                return ServerSession()
            return ServerSession(dict(row.data or {}), token=token, stored_expiry=row.expires_at)

    def save_session(self, app: Flask, session: ServerSession, response: Response) -> None:  # type: ignore[override]
        name = self.get_cookie_name(app)
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        now = utcnow()
        lifetime = self._lifetime(app)
        with self.db.state(app).sessionmaker() as s:
            if session.previous_token:
                s.execute(delete(self.model).where(self.model.id == _hash(session.previous_token)))
            if not session:
                if session.token:
                    s.execute(delete(self.model).where(self.model.id == _hash(session.token)))
                s.commit()
                if session.token or session.previous_token or session.modified:
                    response.delete_cookie(name, domain=domain, path=path)
                return
            expires = now + lifetime
            needs_touch = session.stored_expiry is None or (expires - session.stored_expiry) > TOUCH_INTERVAL
            if not session.modified and not needs_touch:
                s.commit()
                return
            if session.token is None:
                session.token = secrets.token_urlsafe(32)
            key = _hash(session.token)
            row = s.get(self.model, key)
            if row is None and session.stored_expiry is not None and not session.regenerate_requested:
                # Ended elsewhere while this request ran (sign-out, back-channel logout): stay ended.
                s.commit()
                response.delete_cookie(name, domain=domain, path=path)
                return
            is_new = row is None
            if row is None:
                row = self.model(id=key, created_at=now)
                s.add(row)
            if is_new or session.modified:
                # A request that changed nothing only extends the expiry, so it cannot write
                # back data that a concurrent request of the same browser has just updated.
                row.data = dict(session)
                row.subject = _as_str(session.get(self.subject_key))
                row.sid = _as_str(session.get(self.sid_key))
            row.updated_at = now
            row.expires_at = expires
            s.commit()
        response.set_cookie(
            name,
            session.token,
            expires=expires if session.permanent else None,
            httponly=True,
            domain=domain,
            path=path,
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
