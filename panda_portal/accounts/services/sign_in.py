"""Signing in to Panda with an address and a password, and signing out."""

from __future__ import annotations

from panda_portal.accounts import signals
from panda_portal.accounts.models import Account
from panda_portal.accounts.passwords import burn_verification_time, hash_password, needs_rehash, verify_password
from panda_portal.accounts.services.errors import DisabledAccountError, UnverifiedAccountError
from panda_portal.accounts.services.lookup import find_account


def authenticate(email: str, password: str) -> Account | None:
    """The account when the password is right, else ``None``.

    Only after the right password does it say more: ``UnverifiedAccountError`` or
    ``DisabledAccountError``. An unknown address costs the same hashing time as a
    wrong password.
    """
    account = find_account(email)
    if account is None or not account.password_hash:
        burn_verification_time(password)
        return None
    if not verify_password(account.password_hash, password):
        return None
    if needs_rehash(account.password_hash):
        # Stronger hashing parameters take effect as people sign in; not a password change.
        account.password_hash = hash_password(password)
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
