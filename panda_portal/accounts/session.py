"""Who is signed in to Panda, in this browser.

The session (server-side, see ``shared.sessions``) holds ``account_id``,
``auth_time`` (for OIDC ``max_age``/``auth_time``) and ``sid``, the OpenID session
id carried in ID tokens and back-channel logout tokens. It also holds how the person
proved who they are: ``amr`` (RFC 8176 values: ``pwd``, then ``otp`` for a code or ``hwk``
for a passkey, and ``mfa``, once a second factor was given) and ``second_factor_at``, when
a second factor was last given in this session (at sign-in or to confirm a sensitive change,
see ``panda_portal.mfa``).
A session started before these existed counts as ``["pwd"]`` with no second factor.
"""

from __future__ import annotations

import secrets
import time
import uuid

from flask import abort, current_app, g, request, session

from panda_portal.accounts.models import Account, WebSession
from panda_portal.extensions import db
from shared.sessions import end_sessions

# The RFC 8176 values that name a second factor (a code from an app or a recovery code: "otp").
SECOND_FACTOR_METHODS = frozenset({"otp", "hwk", "swk"})


def sign_in(account: Account, *, methods: tuple[str, ...] = ("pwd",)) -> None:
    """Start a fresh session for ``account`` (new identifier: no session fixation).

    ``methods``: how the person proved who they are (RFC 8176 ``amr`` values). The new session
    is written with the request's database session: the caller commits it with the sign-in.
    """
    language_choice = session.get("lang")
    session.clear()
    regenerate = getattr(session, "regenerate", None)
    if regenerate:
        regenerate()
    session["account_id"] = str(account.id)
    session["auth_time"] = int(time.time())
    session["sid"] = secrets.token_urlsafe(24)
    session["amr"] = _amr(list(methods))
    if SECOND_FACTOR_METHODS & set(methods):
        session["second_factor_at"] = session["auth_time"]
    if language_choice:
        session["lang"] = language_choice
    # What the person's list of signed-in browsers shows (``services.sessions``).
    session["ua"] = request.headers.get("User-Agent", "")[:300]
    session["ip"] = (request.remote_addr or "")[:64]
    g.pop("current_account", None)
    from panda_portal.accounts.services.sessions import note_sign_in

    note_sign_in(account)
    # One transaction for the sign-in's writes and its session (on SQLite: one lock, one fsync).
    store_with = getattr(current_app.session_interface, "store_with", None)
    if store_with is not None:
        store_with(current_app, session, db.session)


def sign_out() -> None:
    session.clear()
    g.pop("current_account", None)


def current_account() -> Account | None:
    if "current_account" in g:
        return g.current_account
    account = None
    raw = session.get("account_id")
    if raw:
        try:
            account = db.session.get(Account, uuid.UUID(raw))
        except ValueError:
            account = None
        if account is not None and not account.is_active:
            account = None
    g.current_account = account
    return account


def signed_in_account() -> Account:
    """The signed-in person, in a view marked ``@authenticated`` (the access hook lets no one else in)."""
    account = current_account()
    if account is None:
        abort(401)
    return account


def auth_time() -> int | None:
    value = session.get("auth_time")
    return int(value) if value is not None else None


def session_sid() -> str | None:
    return session.get("sid")


def authentication_methods() -> list[str]:
    """How the signed-in person proved who they are in this session (``amr``, RFC 8176)."""
    return list(session.get("amr") or ["pwd"])


def second_factor_time() -> int | None:
    """When a second factor was last given in this session (Unix time), or ``None``."""
    value = session.get("second_factor_at")
    return int(value) if value is not None else None


def record_second_factor(method: str) -> None:
    """The signed-in person gave a second factor (``method``, e.g. ``otp``) again, just now."""
    methods = [item for item in authentication_methods() if item != "mfa"]
    if method not in methods:
        methods.append(method)
    session["amr"] = _amr(methods)
    session["second_factor_at"] = int(time.time())


def _amr(methods: list[str]) -> list[str]:
    if SECOND_FACTOR_METHODS & set(methods) and len(methods) > 1:
        return [*methods, "mfa"]
    return methods


def end_all_sessions(account: Account, *, keep_current: bool = False) -> int:
    """End every Panda session of ``account`` (after a password change or reset)."""
    keep = getattr(session, "token", None) if keep_current else None
    return end_sessions(db, WebSession, subject=str(account.id), keep_token=keep)
