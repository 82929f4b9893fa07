"""Who is signed in to Panda, in this browser.

The session (server-side, see ``shared.sessions``) holds ``account_id``,
``auth_time`` (for OIDC ``max_age``/``auth_time``) and ``sid``, the OpenID session
id carried in ID tokens and back-channel logout tokens.
"""

from __future__ import annotations

import secrets
import time
import uuid

from flask import abort, g, session

from panda_portal.accounts.models import Account, WebSession
from panda_portal.extensions import db
from shared.sessions import end_sessions


def sign_in(account: Account) -> None:
    """Start a fresh session for ``account`` (new identifier: no session fixation)."""
    language_choice = session.get("lang")
    session.clear()
    regenerate = getattr(session, "regenerate", None)
    if regenerate:
        regenerate()
    session["account_id"] = str(account.id)
    session["auth_time"] = int(time.time())
    session["sid"] = secrets.token_urlsafe(24)
    if language_choice:
        session["lang"] = language_choice
    g.pop("current_account", None)


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


def end_all_sessions(account: Account, *, keep_current: bool = False) -> int:
    """End every Panda session of ``account`` (after a password change or reset)."""
    keep = getattr(session, "token", None) if keep_current else None
    return end_sessions(db, WebSession, subject=str(account.id), keep_token=keep)
