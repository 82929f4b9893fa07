"""Browsers that skip the second step for 30 days ("remember this browser").

The browser keeps a signed cookie with the account and a random token (the views);
the database keeps the token's SHA-256, so a remembered browser can be forgotten:
when two-step verification is turned off, when the password changes or is reset,
and from the person's two-step page ("forget every remembered browser").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from sqlalchemy import delete, func, select

from panda_portal.accounts.models import Account
from panda_portal.accounts.services.history import record_change
from panda_portal.extensions import db
from panda_portal.mfa.models import RememberedBrowser
from shared.database import rowcount, utcnow

REMEMBER_DAYS = 30


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def remember(account: Account, *, user_agent: str | None) -> str:
    """Remember a browser for ``account``; returns the token its cookie carries."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        RememberedBrowser(
            account_id=account.id,
            token_hash=_hash(token),
            user_agent=(user_agent or "")[:300] or None,
            created_at=now,
            expires_at=now + dt.timedelta(days=REMEMBER_DAYS),
        )
    )
    db.session.flush()
    return token


def recognises(account: Account, token: str) -> bool:
    """Whether the browser with ``token`` is remembered, unexpired, for ``account`` (and notes its use)."""
    browser = db.session.execute(
        select(RememberedBrowser).where(
            RememberedBrowser.token_hash == _hash(token),
            RememberedBrowser.account_id == account.id,
            RememberedBrowser.expires_at > utcnow(),
        )
    ).scalar_one_or_none()
    if browser is None:
        return False
    browser.last_used_at = utcnow()
    return True


def count(account: Account) -> int:
    return db.session.execute(
        select(func.count())
        .select_from(RememberedBrowser)
        .where(RememberedBrowser.account_id == account.id, RememberedBrowser.expires_at > utcnow())
    ).scalar_one()


def forget_all(account: Account, *, actor: Account | None, reason: str) -> int:
    """Forget every remembered browser of ``account``; the audit log says why (``reason``) when there were any."""
    forgotten = rowcount(
        db.session.execute(delete(RememberedBrowser).where(RememberedBrowser.account_id == account.id))
    )
    if forgotten:
        record_change("remembered_browsers_forgotten", account, actor=actor, browsers=forgotten, reason=reason)
    return forgotten


def forget_after_password_change(_sender: Any, *, account: Account, **_data: Any) -> None:
    """A new password (changed or reset) forgets every remembered browser: whoever knew the old one may hold one."""
    forget_all(account, actor=None, reason="password_changed")
