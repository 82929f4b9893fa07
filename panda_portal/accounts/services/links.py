"""Single-use links sent by mail (confirm an address, reset a password).

Only the SHA-256 of a link's random token is stored. Using a link is a
compare-and-set on its row, so of two requests racing with the same link only one
gets through; older links of the same kind die with it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import cast

from sqlalchemy import CursorResult, select, update

from panda_portal.accounts.models import Account, AccountToken
from panda_portal.accounts.services.errors import InvalidLinkError
from panda_portal.extensions import db
from shared.database import utcnow
from shared.web import safe_next


@dataclass(frozen=True)
class UsedLink:
    account: Account
    next_path: str | None


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_link(account: Account, purpose: str, lifetime: dt.timedelta, next_path: str | None = None) -> str:
    """A new link for ``account``; returns the token (only its digest is stored)."""
    token = secrets.token_urlsafe(32)
    next_path = safe_next(next_path, "") or None
    if next_path and len(next_path) > 2000:
        next_path = None
    db.session.add(
        AccountToken(
            account=account,
            purpose=purpose,
            token_hash=digest(token),
            expires_at=utcnow() + lifetime,
            next_path=next_path,
        )
    )
    db.session.flush()
    return token


def expire_links(account: Account, purpose: str) -> None:
    db.session.execute(
        update(AccountToken)
        .where(AccountToken.account_id == account.id, AccountToken.purpose == purpose, AccountToken.used_at.is_(None))
        .values(used_at=utcnow())
    )


def check_link(token: str, purpose: str) -> AccountToken:
    """The unused, unexpired link for ``token``; raises ``InvalidLinkError`` otherwise."""
    if not token or len(token) > 128:
        raise InvalidLinkError(InvalidLinkError.UNKNOWN, purpose)
    row = db.session.execute(
        select(AccountToken).where(AccountToken.token_hash == digest(token), AccountToken.purpose == purpose)
    ).scalar_one_or_none()
    if row is None or row.account.disabled_at is not None:
        raise InvalidLinkError(InvalidLinkError.UNKNOWN, purpose)
    if row.used_at is not None:
        raise InvalidLinkError(InvalidLinkError.USED, purpose)
    if row.expires_at <= utcnow():
        raise InvalidLinkError(InvalidLinkError.EXPIRED, purpose)
    return row


def use_link(token: str, purpose: str) -> AccountToken:
    """Use the link up (``InvalidLinkError`` when it cannot be used, or another request used it first)."""
    row = check_link(token, purpose)
    # Compare-and-set: of two requests racing with the same link only one updates the row.
    claimed = cast(
        CursorResult,
        db.session.execute(
            update(AccountToken)
            .where(AccountToken.id == row.id, AccountToken.used_at.is_(None))
            .values(used_at=utcnow())
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    if claimed != 1:
        raise InvalidLinkError(InvalidLinkError.USED, purpose)
    # Older links of the same kind die with it.
    expire_links(row.account, purpose)
    db.session.refresh(row)
    return row
