"""Signing in to Panda with an address and a password, and signing out."""

from __future__ import annotations

from panda_portal.accounts import signals
from panda_portal.accounts.models import Account
from panda_portal.accounts.passwords import needs_rehash
from panda_portal.accounts.services.errors import DisabledAccountError, UnverifiedAccountError
from panda_portal.accounts.services.hashing import burn_verification_time, new_password_hash, password_matches
from panda_portal.accounts.services.lookup import find_account
from panda_portal.extensions import db
from shared.database import begin_read


def authenticate(email: str, password: str) -> Account | None:
    """The account when the password is right, else ``None``.

    Only after the right password does it say more: ``UnverifiedAccountError`` or
    ``DisabledAccountError``. An unknown address costs the same hashing time as a
    wrong password. The password is checked outside any transaction; what counts
    afterwards is the account as it is then (disabled, or its password changed,
    meanwhile).
    """
    begin_read(db.session)  # what follows only reads, until the password has been checked
    account = find_account(email)
    if account is None or not account.password_hash:
        burn_verification_time(password)
        return None
    stored = account.password_hash
    if not password_matches(stored, password):
        return None
    # Stronger hashing parameters take effect as people sign in; not a password change.
    rehashed = new_password_hash(password) if needs_rehash(stored) else None
    db.session.refresh(account)
    if account.password_hash != stored:
        return None  # changed while it was checked: the old password no longer opens the account
    if rehashed is not None:
        account.password_hash = rehashed
    if account.disabled_at is not None:
        raise DisabledAccountError()
    if not account.is_verified:
        raise UnverifiedAccountError(account)
    return account


def announce_sign_out(account: Account, *, sid: str | None) -> None:
    """``account`` signs out of Panda in this browser (session ``sid``); the caller then clears the session.

    The OpenID Provider ends the grants made in that session and tells the clients.
    """
    signals.announce(signals.signed_out, account=account, sid=sid)
